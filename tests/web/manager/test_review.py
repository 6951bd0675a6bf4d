"""Reviewing registrations: approve, reject, suspend and reinstate, with the members' e-mails."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.test import TestResponse

from matchmaker import accounts, mail
from matchmaker.access import Actor
from matchmaker.config import Settings
from matchmaker.models import AuditEvent, Company, OutboxMessage, Role, User
from tests.factories import World, make_posting, make_user
from tests.helpers import post_form, sent_mails, text_of
from tests.web.staff_access import audit_count, client_for, row


def review(
    client: FlaskClient, company: Company, decision: str, expected_status: str, **fields: str
) -> TestResponse:
    return post_form(
        client,
        f"/manage/companies/{company.id}/{decision}",
        {"expected_status": expected_status, **fields},
    )


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def company_events(session: Session, company: Company) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == "company", AuditEvent.entity_id == company.id)
            .order_by(AuditEvent.id)
        ).scalars()
    )


@pytest.fixture
def english_member(session: Session, world: World) -> User:
    """A second member of the pending company who reads English."""
    user = make_user(
        session, Role.MEMBER, company=world.pending_a, email="anna@neu.example", language="en"
    )
    session.commit()
    return user


@pytest.mark.parametrize("persona", ["manager_same_network", "admin"])
def test_approval_publishes_the_company_and_mails_each_member_in_their_language(
    app: Flask,
    world: World,
    session: Session,
    settings: Settings,
    english_member: User,
    persona: str,
) -> None:
    waiting = make_posting(session, world.member_pending, title="Hallenfläche 200 m² gesucht")
    session.commit()
    visitor = app.test_client()
    assert visitor.get(f"/postings/{waiting.id}").status_code == 404
    assert "Hallenfläche 200" not in text_of(visitor.get("/postings"))
    assert visitor.get(f"/companies/{world.pending_a.id}").status_code == 404

    client = client_for(app, world, persona)
    response = review(
        client, world.pending_a, "approve", "pending", note="Willkommen <b>an Bord</b>"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/companies/{world.pending_a.id}")

    stored = row(session, Company, world.pending_a.id)
    assert stored["status"] == "approved"
    assert stored["review_note"] == "Willkommen <b>an Bord</b>"
    assert stored["reviewed_at"] is not None
    event = company_events(session, world.pending_a)[-1]
    assert event.action == "company.approve"
    assert event.actor_id == world.personas()[persona].id  # type: ignore[union-attr]
    assert event.changes == {"status": ["pending", "approved"], "reason": stored["review_note"]}

    mails = {m["To"].addresses[0].addr_spec: m for m in sent_mails(settings.instance_path)}
    assert set(mails) == {world.member_pending.email, "anna@neu.example"}
    german, english = mails[world.member_pending.email], mails["anna@neu.example"]
    assert german["Subject"] == "Neu & Co. GmbH ist auf Matchmaker freigegeben"
    assert english["Subject"] == "Neu & Co. GmbH is approved on Matchmaker"
    assert "Willkommen <b>an Bord</b>" in plain(german)
    assert "Willkommen &lt;b&gt;an Bord&lt;/b&gt;" in html(german)
    assert "<b>an Bord" not in html(german)
    assert "http://localhost/my/" in plain(english)
    assert "good news" in plain(english) and "Netzwerk Nord" in plain(english)

    # the company and its postings are public now
    assert visitor.get(f"/postings/{waiting.id}").status_code == 200
    assert "Hallenfläche 200" in text_of(visitor.get("/postings"))
    company_page = visitor.get(f"/companies/{world.pending_a.id}")
    assert company_page.status_code == 200
    assert "Hallenfläche 200" in text_of(company_page)
    assert world.pending_a.contact_email not in text_of(company_page)  # contact stays private


def test_the_page_confirms_the_decision(app: Flask, world: World) -> None:
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    response = review(client, world.pending_a, "approve", "pending", note="")
    page = text_of(client.get(response.headers["Location"]))
    assert "Neu &amp; Co. GmbH is approved. Its members have been informed by e-mail." in page
    assert "Company approved" in page  # the history


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Please give a reason."),
        ("   \n  ", "Please give a reason."),
        ("Klingel\x07zeichen", "The text contains invisible control characters."),
    ],
)
def test_rejection_without_reason_changes_nothing(
    app: Flask, world: World, session: Session, settings: Settings, reason: str, message: str
) -> None:
    before = row(session, Company, world.pending_a.id)
    events = audit_count(session)
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    response = review(client, world.pending_a, "reject", "pending", reason=reason)
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="reason-error"' in page
    assert message in page
    assert row(session, Company, world.pending_a.id) == before
    assert audit_count(session) == events
    assert sent_mails(settings.instance_path) == []


def test_too_long_reason_is_refused(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    before = row(session, Company, world.pending_a.id)
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    response = review(client, world.pending_a, "reject", "pending", reason="x" * 2001)
    assert response.status_code == 422
    assert "Please enter at most 2,000 characters." in text_of(response)
    assert row(session, Company, world.pending_a.id) == before
    assert sent_mails(settings.instance_path) == []


def test_too_long_note_is_refused_under_the_note_field(
    app: Flask, world: World, session: Session
) -> None:
    before = row(session, Company, world.pending_a.id)
    client = client_for(app, world, "manager_same_network")
    response = review(client, world.pending_a, "approve", "pending", note="x" * 2001)
    assert response.status_code == 422
    assert 'id="note-error"' in text_of(response)
    assert row(session, Company, world.pending_a.id) == before


def test_rejection_keeps_the_company_hidden_and_tells_the_reason(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    waiting = make_posting(session, world.member_pending)
    session.commit()
    client = client_for(app, world, "manager_same_network")
    reason = "Kein Sitz in Thüringen.\n<script>alert(1)</script>"
    response = review(client, world.pending_a, "reject", "pending", reason=reason)
    assert response.status_code == 302
    stored = row(session, Company, world.pending_a.id)
    assert stored["status"] == "rejected" and stored["review_note"] == reason
    assert company_events(session, world.pending_a)[-1].changes == {
        "status": ["pending", "rejected"],
        "reason": reason,
    }
    (message,) = sent_mails(settings.instance_path)
    assert message["To"].addresses[0].addr_spec == world.member_pending.email
    assert message["Subject"] == "Ihre Registrierung von Neu & Co. GmbH auf Matchmaker"
    assert "Kein Sitz in Thüringen." in plain(message)
    assert "<script>" not in html(message) and "&lt;script&gt;" in html(message)
    assert app.test_client().get(f"/postings/{waiting.id}").status_code == 404
    # the reason is shown escaped on the company page
    page = text_of(client.get(f"/manage/companies/{world.pending_a.id}"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_stale_review_is_refused_with_a_message(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    first = client_for(app, world, "manager_same_network")
    second = client_for(app, world, "admin")
    second.get("/language/en")
    assert review(first, world.pending_a, "approve", "pending").status_code == 302
    before = row(session, Company, world.pending_a.id)
    events = audit_count(session)
    mails = len(sent_mails(settings.instance_path))
    for decision, fields in (("reject", {"reason": "zu spät"}), ("approve", {"note": ""})):
        response = review(second, world.pending_a, decision, "pending", **fields)
        assert response.status_code == 409, decision
        page = text_of(response)
        assert "This company&#39;s status has changed already. Please reload the page." in page
        assert "approved" in page  # the page shows the current state
    assert row(session, Company, world.pending_a.id) == before
    assert audit_count(session) == events
    assert len(sent_mails(settings.instance_path)) == mails


def test_a_decision_taken_on_a_page_showing_another_status_is_refused(
    app: Flask, world: World, session: Session
) -> None:
    """Rejected, then approved by a colleague: an approval from the old page must not pass."""
    client = client_for(app, world, "manager_same_network")
    review(client, world.pending_a, "reject", "pending", reason="unvollständig")
    before = row(session, Company, world.pending_a.id)
    response = review(client, world.pending_a, "approve", "pending")
    assert response.status_code == 409
    assert row(session, Company, world.pending_a.id) == before
    # from the current page (status rejected) the approval goes through
    assert review(client, world.pending_a, "approve", "rejected").status_code == 302
    assert row(session, Company, world.pending_a.id)["status"] == "approved"


def test_suspend_and_reinstate(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    visitor = app.test_client()
    assert visitor.get(f"/postings/{world.posting_a1.id}").status_code == 200
    client = client_for(app, world, "manager_same_network")

    before = row(session, Company, world.company_a1.id)
    response = review(client, world.company_a1, "suspend", "approved", reason=" ")
    assert response.status_code == 422
    assert row(session, Company, world.company_a1.id) == before

    response = review(client, world.company_a1, "suspend", "approved", reason="Beschwerden")
    assert response.status_code == 302
    assert row(session, Company, world.company_a1.id)["status"] == "suspended"
    assert visitor.get(f"/postings/{world.posting_a1.id}").status_code == 404
    assert visitor.get(f"/companies/{world.company_a1.id}").status_code == 404
    (suspended,) = sent_mails(settings.instance_path)
    assert suspended["Subject"] == "Alpha Feinmechanik GmbH ist auf Matchmaker gesperrt"
    assert "Beschwerden" in plain(suspended)

    # reinstating is offered, suspending again is stale
    assert review(client, world.company_a1, "suspend", "approved", reason="x").status_code == 409
    response = review(client, world.company_a1, "reinstate", "suspended", note="Geklärt.")
    assert response.status_code == 302
    assert row(session, Company, world.company_a1.id)["status"] == "approved"
    assert visitor.get(f"/postings/{world.posting_a1.id}").status_code == 200
    assert visitor.get(f"/companies/{world.company_a1.id}").status_code == 200
    reinstated = sent_mails(settings.instance_path)[-1]
    assert reinstated["Subject"] == "Alpha Feinmechanik GmbH ist auf Matchmaker wieder sichtbar"
    assert "Geklärt." in plain(reinstated)
    assert [e.action for e in company_events(session, world.company_a1)][-2:] == [
        "company.suspend",
        "company.reinstate",
    ]


def test_the_company_page_offers_the_decisions_of_its_status(app: Flask, world: World) -> None:
    client = client_for(app, world, "manager_same_network")
    pending = text_of(client.get(f"/manage/companies/{world.pending_a.id}"))
    approved = text_of(client.get(f"/manage/companies/{world.company_a1.id}"))
    assert "/approve" in pending and "/reject" in pending and "/suspend" not in pending
    assert "/suspend" in approved and "/approve" not in approved and "/reject" not in approved


def test_deactivated_members_get_no_mail(
    app: Flask, world: World, session: Session, settings: Settings, english_member: User
) -> None:
    accounts.set_active(
        session=session,
        actor=Actor.system(),
        user=english_member,
        active=False,
    )
    session.commit()
    review(client_for(app, world, "manager_same_network"), world.pending_a, "approve", "pending")
    assert [m["To"].addresses[0].addr_spec for m in sent_mails(settings.instance_path)] == [
        world.member_pending.email
    ]


def test_a_mail_failure_does_not_undo_the_decision(
    app: Flask, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise mail.MailError("server down")

    monkeypatch.setattr(mail, "deliver", broken)
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    response = review(client, world.pending_a, "approve", "pending")
    assert response.status_code == 302
    assert row(session, Company, world.pending_a.id)["status"] == "approved"
    # The mail waits in the outbox for the next attempt instead of being lost.
    queued = session.scalars(select(OutboxMessage)).all()
    assert [(m.recipient, m.state, m.attempts) for m in queued] == [
        (world.member_pending.email, "queued", 1)
    ]
    assert "server down" in queued[0].last_error
