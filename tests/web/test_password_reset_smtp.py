"""Password reset end to end, with the mail going through a real SMTP server on loopback."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.accounts import authenticate
from matchmaker.app import create_app
from matchmaker.config import Settings
from matchmaker.db import utcnow
from matchmaker.models import OutboxMessage, PasswordToken, Role, User
from tests.factories import PASSWORD, World, make_user
from tests.helpers import drain_after_requests, drain_outbox, post_form, text_of
from tests.smtp import ACCEPT, SmtpServer

pytestmark = pytest.mark.smtp

LINK_RE = re.compile(r"http://localhost(/password/[A-Za-z0-9_\-]+)")
NEW_PASSWORD = "a new and long password"
NEUTRAL_EN = "If an account exists for this address, we have sent an e-mail"
NEUTRAL_DE = "Falls es zu dieser Adresse ein Konto gibt, haben wir eine E-Mail"


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())  # type: ignore[attr-defined]
        for part in message.walk()
        if not part.is_multipart()
    }


def _request_reset(client: FlaskClient, address: str) -> str:
    response = post_form(client, "/password/forgot", {"email": address}, follow_redirects=True)
    assert response.status_code == 200
    return text_of(response)


def _reset_link(message: EmailMessage) -> str:
    match = LINK_RE.search(_parts(message)["text/plain"])
    assert match, "no reset link in the text part"
    return match.group(1)


def test_reset_mail_is_multipart_in_the_users_language_and_the_link_works_once(
    smtp_client: FlaskClient, smtp_server: SmtpServer, session: Session, world: World
) -> None:
    english = make_user(
        session, Role.MEMBER, company=world.company_a1, email="jane@example.org", language="en"
    )
    session.commit()

    # The visitor's pages are German; the mail follows the account's language.
    page = _request_reset(smtp_client, "Jane@Example.org ")
    assert NEUTRAL_DE in page
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"].addresses[0].addr_spec == "jane@example.org"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"].strip())
    assert message.get_content_type() == "multipart/alternative"
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    assert message["Subject"] == "Reset your Matchmaker password"
    assert f"Hello {english.name}," in parts["text/plain"]
    assert "Hello" in parts["text/html"] and "Guten Tag" not in parts["text/plain"]
    link = _reset_link(message)
    assert link in parts["text/html"]

    form = smtp_client.get(link)
    assert form.status_code == 200
    assert "jane@example.org" in text_of(form)
    done = post_form(smtp_client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert smtp_client.get("/my/").status_code == 200  # logged in by the link
    session.expire_all()
    assert authenticate(session=session, email="jane@example.org", password=NEW_PASSWORD).user
    assert authenticate(session=session, email="jane@example.org", password=PASSWORD).user is None

    # The link works once.
    assert smtp_client.get(link).status_code == 404
    again = post_form(smtp_client, link, {"password": "x" * 12, "password_repeat": "x" * 12})
    assert again.status_code == 404
    session.expire_all()
    assert authenticate(session=session, email="jane@example.org", password=NEW_PASSWORD).user


def test_german_account_gets_a_german_mail(
    smtp_client: FlaskClient, smtp_server: SmtpServer, world: World
) -> None:
    smtp_client.get("/language/en")  # the visitor reads English pages
    page = _request_reset(smtp_client, world.member_a1.email)
    assert NEUTRAL_EN in page
    (message,) = smtp_server.messages
    assert message["Subject"] == "Matchmaker-Passwort zurücksetzen"
    parts = _parts(message)
    assert f"Guten Tag {world.member_a1.name}," in parts["text/plain"]
    assert 'lang="de"' in parts["text/html"]


def test_reset_link_expires(
    smtp_client: FlaskClient, smtp_server: SmtpServer, session: Session, world: World
) -> None:
    _request_reset(smtp_client, world.member_a1.email)
    link = _reset_link(smtp_server.messages[-1])
    assert smtp_client.get(link).status_code == 200
    session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == world.member_a1.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    expired = smtp_client.get(link)
    assert expired.status_code == 404
    assert "/password/forgot" in text_of(expired)
    response = post_form(
        smtp_client, link, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    )
    assert response.status_code == 404
    session.expire_all()
    assert authenticate(session=session, email=world.member_a1.email, password=PASSWORD).user


def _age_reset_links(session: Session, user: User, minutes: int) -> None:
    """Pretend the user's reset links were issued ``minutes`` earlier."""
    session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id)
        .values(created_at=utcnow() - timedelta(minutes=minutes))
    )
    session.commit()


def test_a_new_link_replaces_the_previous_one(
    smtp_client: FlaskClient, smtp_server: SmtpServer, session: Session, world: World
) -> None:
    _request_reset(smtp_client, world.member_a1.email)
    _age_reset_links(session, world.member_a1, minutes=6)
    _request_reset(smtp_client, world.member_a1.email)
    first, second = (_reset_link(m) for m in smtp_server.messages)
    assert first != second
    assert smtp_client.get(first).status_code == 404
    assert smtp_client.get(second).status_code == 200


def test_repeated_requests_within_the_interval_send_one_mail(
    smtp_app: Flask,
    smtp_client: FlaskClient,
    smtp_server: SmtpServer,
    session: Session,
    world: World,
) -> None:
    """The form cannot be used to flood a mailbox; the answer does not tell that it held back."""
    # Past the throttle's limit the form answers 429 (tests/web/test_throttle.py); here the
    # mail interval alone is under test.
    smtp_app.config["MATCHMAKER"] = smtp_app.config["MATCHMAKER"].model_copy(
        update={"login_rate_limit": "100 per minute"}
    )
    for _ in range(5):
        assert NEUTRAL_DE in _request_reset(smtp_client, world.member_a1.email)
    assert len(smtp_server.messages) == 1
    link = _reset_link(smtp_server.messages[0])
    assert smtp_client.get(link).status_code == 200  # the link sent first still works

    _age_reset_links(session, world.member_a1, minutes=4)
    _request_reset(smtp_client, world.member_a1.email)
    assert len(smtp_server.messages) == 1
    _age_reset_links(session, world.member_a1, minutes=5)
    _request_reset(smtp_client, world.member_a1.email)
    assert len(smtp_server.messages) == 2


def test_reset_mail_interval_is_configurable(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpServer, world: World
) -> None:
    unlimited = smtp_settings.model_copy(update={"reset_mail_interval_minutes": 0})
    client = drain_after_requests(create_app(unlimited, engine=engine)).test_client()
    for _ in range(3):
        _request_reset(client, world.member_a1.email)
    assert len(smtp_server.messages) == 3


def test_unknown_address_gets_the_same_answer_and_no_mail(
    smtp_client: FlaskClient, smtp_server: SmtpServer, world: World
) -> None:
    known = _request_reset(smtp_client, world.member_a1.email)
    unknown = _request_reset(smtp_client, "nobody@example.org")
    assert NEUTRAL_DE in known and NEUTRAL_DE in unknown
    assert len(smtp_server.messages) == 1


def _flash(page: str) -> str:
    match = re.search(r'<p class="flash[^"]*" role="status">(.*?)</p>', page, re.S)
    assert match, "no flash message"
    return match.group(1).strip()


@pytest.mark.parametrize("failure", ["outage", "451"])
def test_mail_failure_gives_the_same_neutral_answer_is_logged_and_retried(
    smtp_app: Flask,
    smtp_client: FlaskClient,
    smtp_server: SmtpServer,
    session: Session,
    world: World,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    """A mail server that is down or answers 451 delays the reset mail; it is not lost."""
    expected = _flash(_request_reset(smtp_client, "nobody@example.org"))
    if failure == "outage":
        smtp_server.stop()
    else:
        smtp_server.refuse_with("451 Try again later")
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="matchmaker.outbox"):
        response = post_form(smtp_client, "/password/forgot", {"email": world.member_a1.email})
    assert response.status_code == 302
    page = text_of(smtp_client.get(response.headers["Location"]))
    assert _flash(page) == expected
    failures = [
        record
        for record in caplog.records
        if record.name == "matchmaker.outbox" and record.levelno == logging.ERROR
    ]
    assert len(failures) == 1
    assert world.member_a1.email in failures[0].getMessage()
    assert failures[0].exc_info is not None
    if failure == "451":
        assert "451" in str(failures[0].exc_info[1])
    assert smtp_server.messages == []
    (queued,) = session.scalars(select(OutboxMessage)).all()
    assert (queued.state, queued.attempts) == ("queued", 1)

    if failure == "outage":
        return  # the stopped server cannot come back on its port; the 451 case shows the rest
    smtp_server.refuse_with(ACCEPT)
    assert drain_outbox(smtp_app).sent == []  # not due yet: the retry waits its backoff
    later = utcnow() + timedelta(hours=1)
    assert len(drain_outbox(smtp_app, now=later).sent) == 1
    assert drain_outbox(smtp_app, now=later).sent == []  # sent once
    (message,) = smtp_server.messages
    assert smtp_client.get(_reset_link(message)).status_code == 200
