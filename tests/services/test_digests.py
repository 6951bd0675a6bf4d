"""The weekly digest: content, mail quality, preferences, one-click unsubscribe, the week."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock, digests
from matchmaker.config import Settings
from matchmaker.models import DigestDelivery, DigestPreference, OutboxMessage
from tests.digest_helpers import MONDAY, WEEK, parts, run, with_matches
from tests.factories import World
from tests.helpers import drain_outbox, sent_mails

UNSUBSCRIBE_RE = re.compile(r"<http://localhost(/digest/unsubscribe/[^>]+)>")


def _digest_of(settings: Settings, email: str) -> EmailMessage:
    (message,) = [m for m in sent_mails(settings.instance_path) if email in str(m["To"])]
    return message


def test_digest_content_in_the_managers_language(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    match = with_matches(session, world)
    report = run(app)
    assert report.outcomes == {
        world.manager_a.email: "sent",
        world.manager_b.email: "sent",
    }
    drain_outbox(app)
    message = _digest_of(settings, world.manager_a.email)
    assert message["Subject"] == f"Ihre Matchmaker-Woche {WEEK}"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)["text/plain"], parts(message)["text/html"]
    assert f"Guten Tag {world.manager_a.name}," in text
    assert "87" in text and "Edelstahlblech 2 mm gesucht" in text and "übrig" in text
    assert "Beide nennen Edelstahlblech 2 mm." in text
    assert f"http://localhost/manager/matches/{match.id}" in text  # into the review queue
    assert "http://localhost/manager/matches\n" in text
    assert f'href="http://localhost/manage/postings/{world.posting_a1.id}"' in html
    assert "Netzwerk Nord" in text and "Netzwerk Süd" not in text
    assert "1 Vorschlag wartet auf eine Entscheidung" in text
    assert 'lang="de"' in html and "<img" not in html and "<link" not in html
    assert 'style="' in html and "color-scheme" in html
    # The manager of the other network sees nothing of network A.
    other = parts(_digest_of(settings, world.manager_b.email))["text/plain"]
    assert "Edelstahlblech" not in other and "Netzwerk Süd" in other


def test_mail_headers_and_umlauts_are_encoded_for_any_mail_server(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    world.manager_a.name = "Jürgen Größe"
    session.add(world.manager_a)
    session.commit()
    with_matches(session, world)
    run(app, manager_email=world.manager_a.email)
    drain_outbox(app)
    (path,) = (settings.instance_path / "mail").glob("*.eml")
    raw = path.read_bytes()
    assert raw.isascii()  # 7-bit on the wire: quoted-printable bodies, RFC 2047 headers
    # ... but the unsubscribe address stays a plain <URL> that mail clients can act on.
    assert re.search(rb"\nList-Unsubscribe: <http://localhost/digest/unsubscribe/[^>\s]+>\n", raw)
    message = _digest_of(settings, world.manager_a.email)
    assert str(message["To"]) == f"Jürgen Größe <{world.manager_a.email}>"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"].strip())
    assert message["Date"] is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert UNSUBSCRIBE_RE.fullmatch(message["List-Unsubscribe"].strip())
    assert "Guten Tag Jürgen Größe," in parts(message)["text/plain"]


def test_one_click_unsubscribe_works_without_login_and_cannot_be_forged(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    run(app, manager_email=world.manager_a.email)
    drain_outbox(app)
    message = _digest_of(settings, world.manager_a.email)
    match = UNSUBSCRIBE_RE.fullmatch(message["List-Unsubscribe"].strip())
    assert match
    path = match.group(1)
    client = app.test_client()
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    other_token = digests.unsubscribe_token("another-secret", world.manager_a)
    assert client.post(f"/digest/unsubscribe/{other_token}").status_code == 404
    assert client.get(path).status_code == 200  # asks, changes nothing
    assert digests.preference_for(session, world.manager_a).enabled
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})  # no CSRF token
    assert response.status_code == 200
    session.expire_all()
    assert not digests.preference_for(session, world.manager_a).enabled
    assert run(app, now=MONDAY + timedelta(days=7)).outcomes[world.manager_a.email] == "disabled"


def test_send_is_idempotent_per_week_unless_forced(
    app: Flask, session: Session, world: World
) -> None:
    assert run(app).outcomes[world.manager_a.email] == "sent"
    assert run(app).outcomes[world.manager_a.email] == "already"
    assert run(app, now=MONDAY + timedelta(days=3)).outcomes[world.manager_a.email] == "already"
    with app.app_context():
        again = digests.send_digest(
            session=session,
            manager=world.manager_a,
            week=WEEK,
            secret_key="k",
            trigger="manual",
            force=True,
        )
    session.commit()
    assert again.outcome == "sent" and again.delivery is not None
    assert again.delivery.forced_count == 1
    kinds = session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "digest")
    ).all()
    assert sorted(kinds) == sorted(
        [world.manager_a.email, world.manager_a.email, world.manager_b.email]
    )


def test_an_empty_week_gives_a_note_or_nothing_as_chosen(
    app: Flask, session: Session, world: World, settings: Settings
) -> None:
    session.add(DigestPreference(user_id=world.manager_b.id, empty_week="skip"))  # type: ignore[arg-type]
    session.commit()
    report = run(app)
    assert report.outcomes == {world.manager_a.email: "sent", world.manager_b.email: "skipped"}
    drain_outbox(app)
    text = parts(_digest_of(settings, world.manager_a.email))["text/plain"]
    assert "Nichts Neues in dieser Woche" in text
    assert [
        m for m in sent_mails(settings.instance_path) if world.manager_b.email in str(m["To"])
    ] == []
    skipped = session.scalars(
        select(DigestDelivery).where(DigestDelivery.user_id == world.manager_b.id)
    ).one()
    assert skipped.skipped and skipped.outbox_message_id is None


def test_new_matches_are_those_since_the_last_digest_above_the_minimum_score(
    app: Flask, session: Session, world: World
) -> None:
    match = with_matches(session, world)
    with app.app_context():
        digest = digests.build_digest(
            session=session, manager=world.manager_a, week=WEEK, now=MONDAY
        )
    assert [line.match.id for line in digest.new_matches] == [match.id]
    assert digest.backlog == 1 and digest.oldest_backlog_days == 2
    assert [p.id for p in digest.needs_without_candidate] == []
    assert {(row.category.slug, row.needs, row.offers) for row in digest.balance} == {
        ("material", 1, 1)
    }
    run(app)
    next_week = "2026-W51"
    with app.app_context():
        later = digests.build_digest(
            session=session, manager=world.manager_a, week=next_week, now=MONDAY + timedelta(days=7)
        )
    assert later.new_matches == [] and later.backlog == 1  # not new any more, still waiting
    session.add(DigestPreference(user_id=world.manager_a.id, min_score=0.9))  # type: ignore[arg-type]
    session.commit()
    with app.app_context():
        strict = digests.build_digest(
            session=session, manager=world.manager_a, week=WEEK, now=MONDAY
        )
    assert strict.new_matches == []


def test_iso_week_is_the_berlin_week() -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: already the next ISO week.
    assert digests.iso_week(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == WEEK
    assert digests.iso_week(datetime(2026, 12, 6, 22, 30, tzinfo=UTC)) == "2026-W49"
    assert digests.iso_week(datetime(2026, 12, 31, 12, tzinfo=UTC)) == "2026-W53"
    with pytest.raises(ValueError):
        digests.parse_week("2027-W53")  # 2027 has 52 weeks
    assert clock.BERLIN.key == "Europe/Berlin"


def test_introductions_without_an_outcome_are_listed(
    app: Flask, session: Session, world: World
) -> None:
    match = with_matches(session, world)
    match.status = "introduced"
    match.introduced_at = MONDAY - timedelta(days=10)
    session.add(match)
    session.commit()
    with app.app_context():
        digest = digests.build_digest(
            session=session, manager=world.manager_a, week=WEEK, now=MONDAY
        )
        other = digests.build_digest(
            session=session, manager=world.manager_b, week=WEEK, now=MONDAY
        )
    assert [line.match.id for line in digest.awaiting_outcome] == [match.id]
    assert other.awaiting_outcome == []
    assert digest.backlog == 0 and not digest.is_empty
