"""Every manager route for the six personas: who gets in, who gets 403/404, what each one sees.

A manager sees only the companies and postings of its networks. Objects it cannot see at all
(pending companies, drafts of other networks) answer 404; objects that are public but not its to
manage (approved companies, active postings of other networks) answer 403. Members are kept out
of the whole area (403), visitors are sent to the login page.
"""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from matchmaker.config import Settings
from matchmaker.models import Company, Posting
from tests.factories import World
from tests.helpers import post_form, sent_mails, text_of
from tests.web.staff_access import audit_count, client_for, row, status_by_persona

MEMBERS_OUT = {"anonymous": 302, "same_company": 403, "other_company": 403}


def expected(**staff: int) -> dict[str, int]:
    return {**MEMBERS_OUT, **staff}


def test_dashboard(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, "/manage/") == expected(
        manager_same_network=200, manager_other_network=200, admin=200
    )


def test_dashboard_shows_only_the_managers_networks(app: Flask, world: World) -> None:
    page_a = text_of(client_for(app, world, "manager_same_network").get("/manage/"))
    page_b = text_of(client_for(app, world, "manager_other_network").get("/manage/"))
    page_admin = text_of(client_for(app, world, "admin").get("/manage/"))
    assert "Neu &amp; Co. GmbH" in page_a
    assert "Neu &amp; Co. GmbH" not in page_b
    assert "Neu &amp; Co. GmbH" in page_admin
    # recent postings: the manager's networks only
    assert world.posting_a1.title in page_a and world.posting_b1.title not in page_a
    assert world.posting_b1.title in page_b and world.posting_a1.title not in page_b


def test_company_list(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, "/manage/companies") == expected(
        manager_same_network=200, manager_other_network=200, admin=200
    )
    names = {
        "Alpha Feinmechanik GmbH",
        "Anton Kunststoff KG",
        "Berta Logistik GmbH",
        "Neu &amp; Co. GmbH",
    }
    seen = {}
    for persona in ("manager_same_network", "manager_other_network", "admin"):
        page = text_of(client_for(app, world, persona).get("/manage/companies"))
        seen[persona] = {name for name in names if name in page}
    assert seen == {
        "manager_same_network": names - {"Berta Logistik GmbH"},
        "manager_other_network": {"Berta Logistik GmbH"},
        "admin": names,
    }


def test_pending_company_is_hidden_from_other_networks(app: Flask, world: World) -> None:
    url = f"/manage/companies/{world.pending_a.id}"
    assert status_by_persona(app, world, url) == expected(
        manager_same_network=200, manager_other_network=404, admin=200
    )


def test_approved_company_of_another_network_is_forbidden(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, f"/manage/companies/{world.company_a1.id}") == expected(
        manager_same_network=200, manager_other_network=403, admin=200
    )
    assert status_by_persona(app, world, f"/manage/companies/{world.company_b1.id}") == expected(
        manager_same_network=403, manager_other_network=200, admin=200
    )


def test_unknown_company_is_not_found(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, "/manage/companies/99999") == expected(
        manager_same_network=404, manager_other_network=404, admin=404
    )


def test_company_page_shows_contact_and_members_to_its_manager(app: Flask, world: World) -> None:
    page = text_of(
        client_for(app, world, "manager_same_network").get(
            f"/manage/companies/{world.pending_a.id}"
        )
    )
    assert world.pending_a.contact_email in page
    assert world.pending_a.contact_phone in page
    assert world.member_pending.email in page


def test_posting_list(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, "/manage/postings") == expected(
        manager_same_network=200, manager_other_network=200, admin=200
    )
    page_a = text_of(client_for(app, world, "manager_same_network").get("/manage/postings"))
    assert world.posting_a1.title in page_a
    assert world.draft_a1.title in page_a  # drafts of its networks, too
    assert world.posting_b1.title not in page_a
    page_b = text_of(client_for(app, world, "manager_other_network").get("/manage/postings"))
    assert world.posting_b1.title in page_b
    assert world.posting_a1.title not in page_b and world.draft_a1.title not in page_b


def test_posting_pages(app: Flask, world: World) -> None:
    assert status_by_persona(app, world, f"/manage/postings/{world.posting_a1.id}") == expected(
        manager_same_network=200, manager_other_network=403, admin=200
    )
    assert status_by_persona(app, world, f"/manage/postings/{world.draft_a1.id}") == expected(
        manager_same_network=200, manager_other_network=404, admin=200
    )
    assert status_by_persona(app, world, "/manage/postings/99999") == expected(
        manager_same_network=404, manager_other_network=404, admin=404
    )


DENIED = ("anonymous", "same_company", "other_company", "manager_other_network")


def test_review_is_refused_to_everybody_but_the_networks_managers(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    pending = world.pending_a.id
    approved = world.company_a1.id
    before = {cid: row(session, Company, cid) for cid in (pending, approved)}
    events = audit_count(session)
    cases = [
        (f"/manage/companies/{pending}/approve", {"note": "ok", "expected_status": "pending"}),
        (f"/manage/companies/{pending}/reject", {"reason": "nein", "expected_status": "pending"}),
        (
            f"/manage/companies/{approved}/suspend",
            {"reason": "Spam", "expected_status": "approved"},
        ),
        (f"/manage/companies/{pending}/reinstate", {"note": "", "expected_status": "pending"}),
    ]
    results = {
        url: status_by_persona(app, world, url, method="POST", data=data, personas=DENIED)
        for url, data in cases
    }
    assert results == {
        cases[0][0]: {**MEMBERS_OUT, "manager_other_network": 404},
        cases[1][0]: {**MEMBERS_OUT, "manager_other_network": 404},
        cases[2][0]: {**MEMBERS_OUT, "manager_other_network": 403},
        cases[3][0]: {**MEMBERS_OUT, "manager_other_network": 404},
    }
    assert {cid: row(session, Company, cid) for cid in (pending, approved)} == before
    assert audit_count(session) == events
    assert sent_mails(settings.instance_path) == []


def test_unknown_decision_is_not_found(app: Flask, world: World) -> None:
    client = client_for(app, world, "admin")
    response = post_form(client, f"/manage/companies/{world.pending_a.id}/delete", {})
    assert response.status_code == 404


def test_moderation_is_refused_to_everybody_but_the_networks_managers(
    app: Flask, world: World, session: Session
) -> None:
    ids = (world.posting_a1.id, world.draft_a1.id)
    before = {pid: row(session, Posting, pid) for pid in ids}
    events = audit_count(session)
    data = {"action": "withdraw", "reason": "Verstoß", "expected_status": ""}
    public = status_by_persona(
        app,
        world,
        f"/manage/postings/{world.posting_a1.id}/moderate",
        method="POST",
        data=data,
        personas=DENIED,
    )
    draft = status_by_persona(
        app,
        world,
        f"/manage/postings/{world.draft_a1.id}/moderate",
        method="POST",
        data=data,
        personas=DENIED,
    )
    assert public == {**MEMBERS_OUT, "manager_other_network": 403}
    assert draft == {**MEMBERS_OUT, "manager_other_network": 404}
    assert {pid: row(session, Posting, pid) for pid in ids} == before
    assert audit_count(session) == events
