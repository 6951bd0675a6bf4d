"""Managers pause or withdraw postings of their networks, always with a reason."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.test import TestResponse

from matchmaker.config import Settings
from matchmaker.models import AuditEvent, Posting
from tests.factories import World
from tests.helpers import post_form, sent_mails, text_of
from tests.web.staff_access import audit_count, client_for, row


def moderate(
    client: FlaskClient, posting: Posting, action: str, reason: str, expected_status: str = ""
) -> TestResponse:
    return post_form(
        client,
        f"/manage/postings/{posting.id}/moderate",
        {"action": action, "reason": reason, "expected_status": expected_status},
    )


def last_event(session: Session, posting: Posting) -> AuditEvent:
    session.expire_all()
    return session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == "posting", AuditEvent.entity_id == posting.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one()


@pytest.mark.parametrize("persona", ["manager_same_network", "admin"])
def test_pause_with_reason_hides_the_posting_and_tells_the_company(
    app: Flask, world: World, session: Session, settings: Settings, persona: str
) -> None:
    visitor = app.test_client()
    assert visitor.get(f"/postings/{world.posting_a1.id}").status_code == 200
    client = client_for(app, world, persona)
    response = moderate(client, world.posting_a1, "pause", "Doppelt eingestellt.", "active")
    assert response.status_code == 302
    assert row(session, Posting, world.posting_a1.id)["status"] == "paused"
    event = last_event(session, world.posting_a1)
    assert event.action == "posting.pause"
    assert event.actor_id == world.personas()[persona].id  # type: ignore[union-attr]
    assert event.changes == {"status": ["active", "paused"], "reason": "Doppelt eingestellt."}
    assert visitor.get(f"/postings/{world.posting_a1.id}").status_code == 404
    (message,) = sent_mails(settings.instance_path)
    assert message["To"].addresses[0].addr_spec == world.member_a1.email
    assert message["Subject"] == f"Ihr Eintrag „{world.posting_a1.title}“ wurde pausiert"
    assert "Doppelt eingestellt." in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the reason shows in the posting's history
    client.get("/language/en")
    page = text_of(client.get(f"/manage/postings/{world.posting_a1.id}"))
    assert "Posting paused" in page and "Doppelt eingestellt." in page


def test_withdraw_a_draft(app: Flask, world: World, session: Session) -> None:
    client = client_for(app, world, "manager_same_network")
    response = moderate(client, world.draft_a1, "withdraw", "Unzulässiges Angebot", "draft")
    assert response.status_code == 302
    stored = row(session, Posting, world.draft_a1.id)
    assert stored["status"] == "withdrawn" and stored["closed_at"] is not None
    assert last_event(session, world.draft_a1).changes["reason"] == "Unzulässiges Angebot"


@pytest.mark.parametrize(
    ("action", "reason", "field"),
    [
        ("pause", "", "reason"),
        ("withdraw", "   ", "reason"),
        ("pause", "x" * 2001, "reason"),
        ("pause", "Klingel\x07zeichen", "reason"),
        ("\x01", "Grund", "action"),
        ("publish", "Grund", "action"),
        ("fulfil", "Grund", "action"),
        ("", "Grund", "action"),
    ],
)
def test_bad_moderation_input_changes_nothing(
    app: Flask,
    world: World,
    session: Session,
    settings: Settings,
    action: str,
    reason: str,
    field: str,
) -> None:
    before = row(session, Posting, world.posting_a1.id)
    events = audit_count(session)
    client = client_for(app, world, "manager_same_network")
    response = moderate(client, world.posting_a1, action, reason, "active")
    assert response.status_code == 422
    if field == "reason":
        assert 'id="reason-error"' in text_of(response)
    else:
        assert 'class="field-error"' in text_of(response)
    assert row(session, Posting, world.posting_a1.id) == before
    assert audit_count(session) == events
    assert sent_mails(settings.instance_path) == []


def test_stale_moderation_is_refused(app: Flask, world: World, session: Session) -> None:
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    assert moderate(client, world.posting_a1, "pause", "erster", "active").status_code == 302
    before = row(session, Posting, world.posting_a1.id)
    events = audit_count(session)
    # a second manager's page still showed "active"
    response = moderate(client, world.posting_a1, "withdraw", "zweiter", "active")
    assert response.status_code == 409
    assert "Please reload the page." in text_of(response)
    # pausing a paused posting is refused by the lifecycle, whatever the page showed
    response = moderate(client, world.posting_a1, "pause", "dritter", "")
    assert response.status_code == 409
    assert row(session, Posting, world.posting_a1.id) == before
    assert audit_count(session) == events


def test_the_page_offers_only_possible_actions(app: Flask, world: World) -> None:
    client = client_for(app, world, "manager_same_network")
    active = text_of(client.get(f"/manage/postings/{world.posting_a1.id}"))
    draft = text_of(client.get(f"/manage/postings/{world.draft_a1.id}"))
    assert 'value="pause"' in active and 'value="withdraw"' in active
    assert 'value="pause"' not in draft and 'value="withdraw"' in draft
    moderate(client, world.draft_a1, "withdraw", "weg damit", "draft")
    closed = text_of(client.get(f"/manage/postings/{world.draft_a1.id}"))
    assert 'value="withdraw"' not in closed and 'name="reason"' not in closed


def test_html_in_the_reason_is_stored_as_typed_and_escaped(
    app: Flask, world: World, session: Session
) -> None:
    client = client_for(app, world, "manager_same_network")
    reason = '<img src=x onerror="alert(1)">'
    assert moderate(client, world.posting_a1, "pause", reason, "active").status_code == 302
    assert last_event(session, world.posting_a1).changes["reason"] == reason
    page = text_of(client.get(f"/manage/postings/{world.posting_a1.id}"))
    assert reason not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
