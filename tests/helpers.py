"""Helpers for driving the app like a browser would: logins, forms with CSRF tokens, mails."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import Flask, appcontext_tearing_down, g, request_started
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from matchmaker import outbox
from matchmaker.models import User

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_as(client: FlaskClient, user: User | None) -> FlaskClient:
    """Log ``user`` in without the slow password check (None: stay anonymous)."""
    if user is not None:
        with client.session_transaction() as sess:
            sess["_user_id"] = f"{user.id}:{user.session_version}"
            sess["_fresh"] = True
    return client


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    response = client.get(page)
    match = _CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    """POST a form with a valid CSRF token, as a browser would after loading the page."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=payload, **kwargs)


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def drain_after_requests(app: Flask) -> Flask:
    """Deliver the outbox synchronously when each request of ``app`` has finished.

    The app itself delivers in a background thread (file backend) or leaves it to the
    scheduler (SMTP); tests read mail right after a request, so they drain in the request.
    """

    def _mark(sender: Flask, **_extra: object) -> None:
        g.drain_after_request = True

    def _drain(sender: Flask, **_extra: object) -> None:
        if not g.get("drain_after_request"):
            return  # an app context a test opened itself (a job): its session may be writing
        outbox.drain(
            engine=sender.extensions["matchmaker.engine"], settings=sender.config["MATCHMAKER"]
        )

    # After the request's session is closed: a request that failed still holds its write
    # transaction until teardown, and a drain inside it would wait on that lock (SQLite).
    request_started.connect(_mark, app, weak=False)
    appcontext_tearing_down.connect(_drain, app, weak=False)
    return app


def drain_outbox(app: Flask, **kwargs: Any) -> outbox.DrainResult:
    """Run the outbox drain of ``app`` now (``now=`` moves the clock forward for retries)."""
    return outbox.drain(
        engine=app.extensions["matchmaker.engine"], settings=app.config["MATCHMAKER"], **kwargs
    )


def sent_mails(instance_path: Path) -> list[EmailMessage]:
    """Messages the ``file`` mail backend wrote, oldest first."""
    folder = instance_path / "mail"
    if not folder.is_dir():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def chosen_filters(page: str) -> dict[str, str]:
    """The filter form's chosen values: each select's selected option and the text fields."""
    start = page.index('class="filters" role="search"')
    form = page[start : page.index("</form>", start)]
    chosen = {}
    for name, options in re.findall(r'<select id="\w+" name="(\w+)">(.*?)</select>', form, re.S):
        picked = re.findall(r'<option value="([^"]*)" selected>', options)
        chosen[name] = picked[0] if len(picked) == 1 else ""
        assert len(picked) <= 1, name
    chosen.update(
        re.findall(r'<input type="(?:search|text)" id="\w+" name="(\w+)" value="([^"]*)"', form)
    )
    return chosen
