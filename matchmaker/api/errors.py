"""The API's error shape: ``{"error": code, "message": text, "details": ...}``.

Errors that only the API can cause (a body that is not JSON, a failed ``If-Match``) are
:class:`DomainError` s too, so the app-wide handlers answer them like every other one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from matchmaker.errors import DomainError, Unauthenticated
from matchmaker.i18n import lazy_gettext as _l

# Messages for errors raised by the HTTP layer itself (no route, wrong method, body too large).
HTTP_MESSAGES: dict[int, Any] = {
    400: _l("The request could not be understood."),
    404: _l("There is no such endpoint. The list of endpoints is at /api/v1/docs."),
    405: _l("This method is not allowed on this endpoint."),
    413: _l("The request body is too large."),
}


def json_error(status: int, code: str, message: str, details: Any = None) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, "details": details}), status


def http_message(status: int, default: str) -> str:
    """The translated message of an HTTP-level error, or werkzeug's English one."""
    message = HTTP_MESSAGES.get(status)
    return str(message) if message is not None else default


class MalformedBody(DomainError):
    """The body is not JSON, or not a JSON object."""

    status = 400
    code = "malformed_json"


class UnsupportedMediaType(DomainError):
    """A body was sent, but not as ``application/json``."""

    status = 415
    code = "unsupported_media_type"


class PreconditionFailed(DomainError):
    """``If-Match`` names a version that is no longer current."""

    status = 412
    code = "precondition_failed"


class MissingToken(Unauthenticated):
    """No usable bearer token; answered with ``WWW-Authenticate: Bearer``."""

    def __init__(self, message: Any, *, invalid: bool) -> None:
        super().__init__(message)
        self.invalid = invalid

    def challenge(self) -> str:
        if self.invalid:
            return 'Bearer realm="matchmaker", error="invalid_token"'
        return 'Bearer realm="matchmaker"'
