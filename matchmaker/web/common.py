"""What every page handler uses: the request plumbing of :mod:`matchmaker.context`, forms, roles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.context import LoginUser, actor, current_db_user, db, engine, settings
from matchmaker.errors import InvalidInput
from matchmaker.models import Role

# Re-exported for the page modules, which import all they use from here.
__all__ = [
    "Form",
    "LoginUser",
    "actor",
    "current_db_user",
    "db",
    "engine",
    "form_data",
    "page_arg",
    "redirect_to",
    "role_required",
    "safe_next",
    "settings",
]

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Log in first; then 403 unless the user has one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            user = current_db_user()
            if user is None or user.role not in {r.value for r in roles}:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


@dataclass
class Form:
    """Values to show in a form again and the messages for its fields."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    @classmethod
    def failed(cls, values: Mapping[str, Any], error: InvalidInput, *, prefix: str = "") -> Form:
        errors: dict[str, list[str]] = {}
        for name, messages in error.by_field().items():
            key = name[len(prefix) :] if prefix and name.startswith(prefix) else name
            errors.setdefault(key, []).extend(messages)
        return cls(values=dict(values), errors=errors, message=str(error.message))

    def value(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def error(self, name: str) -> list[str]:
        return self.errors.get(name, [])


def form_data(*names: str) -> dict[str, str]:
    """The submitted values of ``names`` (missing ones as ""), exactly as typed."""
    return {name: request.form.get(name, "") for name in names}


def safe_next(default: str) -> str:
    """A same-site ``next`` target, never an open redirect."""
    target = request.values.get("next", "")
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        # Browsers read "/\\host" as "//host", and drop tabs and line breaks.
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def redirect_to(endpoint: str, **values: Any) -> Response:
    return redirect(url_for(endpoint, **values))


def page_arg(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
