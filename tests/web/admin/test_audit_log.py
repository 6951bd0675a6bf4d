"""The audit log: newest first, filters by object and actor, readable changes, pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from matchmaker import audit
from tests.factories import World
from tests.helpers import post_form, text_of
from tests.web.staff_access import client_for


@pytest.fixture
def admin(app: Flask, world: World) -> FlaskClient:
    client = client_for(app, world, "admin")
    client.get("/language/en")
    return client


def actions(page: str) -> list[str]:
    """The "What" column of the log table (none when the table is left out)."""
    if "<tbody>" not in page:
        assert "0 entries" in page
        return []
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<td[^>]*>([A-Z][^<]+)</td>\s*<td[^>]*>\s*(?:<dl|</td>)", body)


def test_who_changed_what_and_when(app: Flask, admin: FlaskClient, world: World) -> None:
    manager = client_for(app, world, "manager_same_network")
    post_form(
        manager,
        f"/manage/companies/{world.pending_a.id}/reject",
        {"reason": "Unvollständige Angaben", "expected_status": "pending"},
    )
    page = text_of(admin.get("/admin/audit"))
    assert actions(page)[0] == "Registration rejected"  # newest first
    first_row = page[page.index("<tbody>") : page.index("</tr>", page.index("<tbody>"))]
    assert f"{world.manager_a.name} &lt;{world.manager_a.email}&gt;" in first_row
    assert f'href="/manage/companies/{world.pending_a.id}"' in first_row
    # the status change reads old → new, in words
    assert "<del>waiting for approval</del>" in first_row
    assert "<ins>rejected</ins>" in first_row
    assert "Unvollständige Angaben" in first_row
    assert "<time datetime=" in first_row


def test_changes_read_in_german_too(app: Flask, world: World) -> None:
    admin = client_for(app, world, "admin")  # German is the default
    post_form(
        client_for(app, world, "manager_same_network"),
        f"/manage/companies/{world.pending_a.id}/approve",
        {"note": "", "expected_status": "pending"},
    )
    page = text_of(admin.get("/admin/audit?entity=company"))
    assert "Unternehmen freigegeben" in page
    assert "<del>wartet auf Freigabe</del>" in page and "<ins>freigegeben</ins>" in page


def test_filter_by_object_type(admin: FlaskClient, world: World) -> None:
    page = text_of(admin.get("/admin/audit?entity=posting"))
    assert set(actions(page)) == {"Posting created"}
    assert "3 entries" in page
    page = text_of(admin.get("/admin/audit?entity=network"))
    assert set(actions(page)) == {"Network created"}


def test_filter_by_one_object(admin: FlaskClient, world: World) -> None:
    page = text_of(admin.get(f"/admin/audit?entity=user&entity_id={world.manager_a.id}"))
    assert "1 entry" in page
    assert world.manager_a.email in page and world.manager_b.email not in page
    assert f"Only entries about Account #{world.manager_a.id}." in page


def test_filter_by_actor(app: Flask, admin: FlaskClient, world: World) -> None:
    post_form(
        client_for(app, world, "manager_same_network"),
        f"/manage/postings/{world.posting_a1.id}/moderate",
        {"action": "pause", "reason": "Prüfung", "expected_status": "active"},
    )
    by_text = text_of(admin.get("/admin/audit?actor=MANAGER.A@"))
    assert actions(by_text) == ["Posting paused"]
    by_name = text_of(admin.get(f"/admin/audit?actor={world.member_a1.name}"))
    assert set(actions(by_name)) == {"Posting created"}
    by_id = text_of(admin.get(f"/admin/audit?actor_id={world.manager_a.id}"))
    assert actions(by_id) == ["Posting paused"]
    assert f"Only entries by {world.manager_a.name}." in by_id
    assert actions(text_of(admin.get("/admin/audit?actor=nobody@nowhere"))) == []
    # wildcards are taken literally
    assert actions(text_of(admin.get("/admin/audit?actor=%25"))) == []


def test_pages(admin: FlaskClient, session: Session, world: World) -> None:
    for n in range(60):
        audit.record(
            session,
            actor_id=world.admin.id,
            action="network.update",
            entity="network",
            entity_id=world.network_a.id,
            changes={"region": [f"R{n}", f"R{n + 1}"]},
        )
    session.commit()
    first = text_of(admin.get("/admin/audit?entity=network"))
    second = text_of(admin.get("/admin/audit?entity=network&page=2"))
    assert len(actions(first)) == 50
    assert len(actions(second)) == 12  # 60 + the two networks' creation
    assert 'href="/admin/audit?page=2&amp;entity=network"' in first
    assert "<ins>R60</ins>" in first and "<ins>R60</ins>" not in second


@pytest.mark.parametrize(
    "query",
    [
        "entity=unknown",
        "entity=company&entity_id=abc",
        "entity_id=99999999999999999999",
        "actor_id=-1",
        "actor_id=99999",
        "page=0",
        "page=abc",
        "actor=" + "x" * 1000,
        "actor=%01",
    ],
)
def test_bad_filters_do_not_fail(admin: FlaskClient, query: str) -> None:
    assert admin.get(f"/admin/audit?{query}").status_code == 200


def test_user_text_in_changes_is_escaped(
    admin: FlaskClient, session: Session, world: World
) -> None:
    audit.record(
        session,
        actor_id=world.admin.id,
        action="company.update",
        entity="company",
        entity_id=world.company_a1.id,
        changes={"profile": ["alt", "<script>alert(1)</script>"], "extra": {"a": "<b>"}},
    )
    session.commit()
    page = text_of(admin.get("/admin/audit?entity=company"))
    assert "<script>alert(1)</script>" not in page
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page
    assert "&lt;b&gt;" in page
