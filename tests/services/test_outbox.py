"""The outbox: mail queued in the caller's transaction, delivered by the drain, retried, dead."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import outbox
from matchmaker.app import create_app
from matchmaker.config import Settings
from matchmaker.db import utcnow
from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.models import OutboxMessage
from tests.factories import World
from tests.helpers import drain_outbox, post_form, sent_mails
from tests.smtp import SmtpServer


def _queue(app: Flask, session: Session, world: World, **kwargs: object) -> OutboxMessage:
    user = world.member_a1
    with app.app_context():  # as in a scheduler job: no request
        return queue_template_mail(
            session=session,
            to=user.email,
            to_name=user.name,
            language="de",
            template="emails/password_reset",
            subject="Passwort zurücksetzen",
            kind="password_reset",
            recipient=user,
            link=absolute_url("auth.set_password", token="abc"),
            hours=2,
            **kwargs,  # type: ignore[arg-type]
        )


def _states(session: Session) -> list[tuple[str, int]]:
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [(row.state, row.attempts) for row in rows]


def test_nothing_leaves_before_the_commit_and_a_rollback_sends_nothing(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _queue(app, session, world)
    assert drain_outbox(app).sent == []  # not committed: another transaction does not see it
    session.rollback()
    assert drain_outbox(app).sent == []
    assert sent_mails(settings.instance_path) == []

    _queue(app, session, world)
    session.commit()
    assert len(drain_outbox(app).sent) == 1
    assert drain_outbox(app).sent == []
    (message,) = sent_mails(settings.instance_path)
    assert message["Subject"] == "Passwort zurücksetzen"
    body = message.get_body(("plain",))
    assert body is not None and "http://localhost/password/abc" in body.get_content()
    assert _states(session) == [("sent", 0)]


def test_a_dedupe_key_queues_once(app: Flask, session: Session, world: World) -> None:
    first = _queue(app, session, world, dedupe_key="digest:1:2026-W49")
    again = _queue(app, session, world, dedupe_key="digest:1:2026-W49")
    session.commit()
    assert first.id == again.id
    assert len(_states(session)) == 1


def test_451_is_retried_with_backoff_and_550_is_dead(
    smtp_settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    session: Session,
    world: World,
) -> None:
    app = create_app(smtp_settings, engine=engine)
    _queue(app, session, world)
    session.commit()
    smtp_server.refuse_with("451 Mailbox busy")
    assert len(drain_outbox(app).retried) == 1
    assert _states(session) == [("queued", 1)]
    row = session.scalars(select(OutboxMessage)).one()
    assert "451" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)  # at least half a minute
    smtp_server.refuse_with("550 No such user")
    assert drain_outbox(app).retried == []  # not due yet
    assert len(drain_outbox(app, now=utcnow() + timedelta(hours=1)).dead) == 1
    assert _states(session) == [("dead", 2)]
    assert drain_outbox(app, now=utcnow() + timedelta(days=30)).sent == []
    assert smtp_server.messages == []

    smtp_server.refuse_with("250 OK")
    assert outbox.retry_dead(session=session, message_id=row.id) is not None  # type: ignore[arg-type]
    session.commit()
    assert len(drain_outbox(app).sent) == 1
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_killed_drain_is_taken_over_after_the_lease(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _queue(app, session, world)
    session.commit()
    claimed = outbox.claim(engine=session.get_bind(), now=utcnow(), limit=10)  # type: ignore[arg-type]
    assert len(claimed) == 1  # ... and the process dies here, before or after sending
    assert drain_outbox(app).sent == []  # another drain does not touch a live claim
    later = utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert len(drain_outbox(app, now=later).sent) == 1
    assert len(sent_mails(settings.instance_path)) == 1


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts in range(1, 12):
        step = min(outbox.BACKOFF_CAP, outbox.BACKOFF_BASE * 2 ** (attempts - 1))
        delay = outbox.backoff(attempts)
        assert step / 2 <= delay <= step
    assert outbox.backoff(30) <= outbox.BACKOFF_CAP


def test_the_embedded_default_writes_a_requests_mail_at_once(
    settings: Settings, engine: Engine, world: World
) -> None:
    """No scheduler needed for a password link on a laptop: the commit triggers delivery."""
    app = create_app(settings.model_copy(update={"mail_drain_after_commit": True}), engine=engine)
    client = app.test_client()
    post_form(client, "/password/forgot", {"email": world.member_a1.email})
    folder: Path = settings.instance_path
    for _ in range(100):  # a background thread writes it; wait for it, not for a given time
        if sent_mails(folder):
            break
        time.sleep(0.05)
    assert len(sent_mails(folder)) == 1


def test_mail_of_a_failed_transaction_is_never_sent(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _queue(app, session, world)
    session.flush()
    session.execute(update(OutboxMessage).values(kind="changed"))
    session.rollback()
    assert drain_outbox(app).sent == []
    assert _states(session) == []
