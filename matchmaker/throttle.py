"""Throttles for guessable forms (login, password reset) through Flask-Limiter.

Failed attempts are counted per account (the e-mail address as typed, so an unknown address is
throttled exactly like a known one and the answer tells nobody which addresses have an account)
and per client address, in three limits:

- one account from one client address: tight, it stops guessing from one machine;
- one account from all addresses: loose, it slows guessing spread over many machines;
- one client address for all accounts: it stops trying one password on many accounts, and is
  loose enough for a company whose staff share one address.

Nobody is locked out: an attacker on one address exhausts only its own budget for the account,
so its owner logs in from their own address. Counters live in memory, or in Redis when
``MATCHMAKER_REDIS_URL`` is set, so that several web workers share them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from matchmaker.config import Settings
from matchmaker.i18n import gettext as _

F = TypeVar("F", bound=Callable[..., Any])

limiter = Limiter(key_func=get_remote_address, key_prefix="matchmaker")


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=False,
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _throttled)


def _throttled(error: RateLimitExceeded) -> Response | tuple[str, int]:
    """The answer a limit prepared (see ``attempts``), or a plain 429 page."""
    if error.response is not None:
        return make_response(error.response)
    title = _("Too many attempts. Please wait a few minutes and try again.")
    return render_template("error.html", status=429, title=title, message=""), 429


def _settings() -> Settings:
    return current_app.config["MATCHMAKER"]


def account_key() -> str:
    """The submitted e-mail address, hashed: Redis never holds the addresses themselves."""
    email = request.form.get("email", "").strip().lower()
    return "account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def account_from_address_key() -> str:
    return f"{account_key()}@{get_remote_address()}"


def retry_after(limit: RequestLimit) -> int:
    """Seconds until the breached window lets the next attempt through."""
    return max(1, int(limit.reset_at - time.time()))


def attempts(
    *,
    on_breach: Callable[[RequestLimit], Any],
    failed: Callable[[Response], bool] | None = None,
) -> Callable[[F], F]:
    """Limit a form's POSTs per account and per client address.

    ``failed`` says which answers count (a successful login does not); ``on_breach`` renders the
    page to show instead, with status 429.
    """

    def with_retry_after(limit: RequestLimit) -> Response:
        response = make_response(on_breach(limit))
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after(limit))
        return response

    limits = [
        limiter.limit(
            limit,
            key_func=key,
            methods=["POST"],
            scope=scope,
            deduct_when=failed,
            on_breach=with_retry_after,
        )
        for limit, key, scope in (
            (lambda: _settings().login_rate_limit, account_from_address_key, "pair"),
            (lambda: _settings().login_account_rate_limit, account_key, "account"),
            (lambda: _settings().login_address_rate_limit, get_remote_address, "address"),
        )
    ]

    def decorator(view: F) -> F:
        limited: Callable[..., Any] = view
        for limit in limits:
            limited = limit(limited)
        return cast(F, limited)

    return decorator
