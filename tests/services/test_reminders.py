"""A week before a posting ends its company gets a reminder with a renew link that works
without a login, once per validity; the link is refused once it has done its job."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock, scheduler
from matchmaker.config import Settings
from matchmaker.models import OutboxMessage, Posting
from tests.factories import World
from tests.helpers import drain_outbox, sent_mails

RENEW_RE = re.compile(r"http://localhost(/postings/renew/\S+)")


def _ending_in(session: Session, world: World, days: int) -> Posting:
    posting = session.get(Posting, world.posting_a1.id)
    assert posting is not None
    posting.valid_until = clock.today() + timedelta(days=days)
    session.add(posting)
    session.commit()
    return posting


def _daily_job(app: Flask) -> None:
    with app.app_context():  # as the scheduler runs it
        scheduler.expire_postings_job(app)


def _renew_link(settings: Settings) -> str:
    (message,) = sent_mails(settings.instance_path)
    body = message.get_body(("plain",))
    assert body is not None
    match = RENEW_RE.search(body.get_content())
    assert match
    return match.group(1)


def test_the_daily_job_reminds_once_per_validity(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    _ending_in(session, world, 8)
    _daily_job(app)
    assert session.scalars(select(OutboxMessage)).all() == []  # more than a week left
    _ending_in(session, world, 5)
    _daily_job(app)
    _daily_job(app)  # the next day, or a second scheduler: no second mail
    drain_outbox(app)
    (message,) = sent_mails(settings.instance_path)
    assert message["To"].addresses[0].addr_spec == world.member_a1.email
    assert message["Subject"] == f"Ihr Eintrag „{world.posting_a1.title}“ endet bald"


def test_the_renew_link_works_without_login_once(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    posting = _ending_in(session, world, 5)
    before = posting.valid_until
    _daily_job(app)
    drain_outbox(app)
    link = _renew_link(settings)
    client = app.test_client()
    assert client.get(link).status_code == 200
    session.expire_all()
    assert session.get(Posting, posting.id).valid_until == before  # type: ignore[union-attr]
    assert client.post(link).status_code == 200
    session.expire_all()
    renewed = session.get(Posting, posting.id)
    assert renewed is not None
    assert renewed.valid_until == clock.today() + timedelta(
        days=settings.posting_default_validity_days
    )
    assert client.post(link).status_code == 404  # the validity changed: the link is used up
    assert client.get(link[:-2] + "xx").status_code == 404
