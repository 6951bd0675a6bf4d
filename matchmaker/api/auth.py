"""Bearer-token authentication, request body checks and the one commit of an API request.

Cookies play no part: a browser session does not authenticate API calls, so no CSRF token is
needed. The token's account becomes the request's :class:`Actor`, with the same scoped rules as
on the web pages.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from matchmaker import accounts
from matchmaker.access import Actor
from matchmaker.api import bp
from matchmaker.api.errors import MalformedBody, MissingToken, UnsupportedMediaType, json_error
from matchmaker.context import db
from matchmaker.i18n import lazy_gettext as _l

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH")


def authenticate() -> None:
    """Find the account of the ``Authorization: Bearer`` token or answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MissingToken(
            _l("Please send an API token as 'Authorization: Bearer <token>'."),
            invalid=bool(header),
        )
    user = accounts.user_for_api_token(session=db(), token=token)
    if user is None:
        raise MissingToken(_l("This API token is invalid or has been revoked."), invalid=True)
    g.user = user
    g.api_actor = Actor.for_user(db(), user)


def check_body() -> None:
    """Bodies are JSON objects; anything else is refused before validation sees it."""
    if request.method not in BODY_METHODS:
        return
    body = request.get_data(cache=True)
    if request.mimetype in FORM_TYPES or (body and not request.is_json):
        raise UnsupportedMediaType(_l("Please send the request body as application/json."))
    if not body:
        return
    try:
        data = request.get_json()
    except BadRequest as exc:
        raise MalformedBody(_l("The request body is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise MalformedBody(_l("The request body must be a JSON object."))


def commit(response: Response) -> Response:
    """Store the request's work once it succeeded (the token's last use included)."""
    session = g.get("db_session")
    if session is not None and response.status_code < 400:
        session.commit()
    return response


def missing_token(error: MissingToken) -> Any:
    response, status = json_error(error.status, error.code, str(error.message))
    response.headers["WWW-Authenticate"] = error.challenge()
    return response, status


bp.before_request(authenticate)
bp.before_request(check_body)
bp.after_request(commit)
bp.register_error_handler(MissingToken, missing_token)
