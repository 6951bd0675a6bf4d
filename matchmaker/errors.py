"""Domain errors raised by services; entry points turn them into pages, JSON or CLI messages.

Messages are lazy translatable strings, so the same error reads in German on a German page and in
English in an English API response or terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``company.name``."""

    field: str
    code: str
    message: Any  # a str or a lazy translatable string
    params: dict[str, Any] = dc_field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class DomainError(Exception):
    """Base of all errors a user can cause; never a bug."""

    status = 400
    code = "bad_request"

    def __init__(self, message: Any = "") -> None:
        super().__init__(str(message))
        self.message = message

    def details(self) -> Any:
        return None


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Conflict(DomainError):
    """The request clashes with the stored state (a duplicate, a stale edit, a state change)."""

    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    """An edit based on a version of the object that has been changed since."""

    code = "stale_version"


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"

    def __init__(self, errors: list[FieldError], message: Any = "") -> None:
        from matchmaker.i18n import lazy_gettext as _l

        super().__init__(message or _l("Please correct the marked fields."))
        self.errors = errors

    @classmethod
    def single(cls, field_name: str, code: str, message: Any, **params: Any) -> InvalidInput:
        return cls([FieldError(field_name, code, message, params)])

    def by_field(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for error in self.errors:
            result.setdefault(error.field, []).append(str(error.message))
        return result

    def details(self) -> list[dict[str, Any]]:
        return [error.as_dict() for error in self.errors]
