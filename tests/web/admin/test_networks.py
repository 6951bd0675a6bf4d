"""Admins create, edit, deactivate and reactivate networks; bad input changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import AuditEvent, Network
from tests.factories import World
from tests.helpers import post_form, text_of
from tests.web.staff_access import audit_count, client_for, row

VALID = {
    "slug": "cluster-ost",
    "name": "Cluster Ost",
    "region": "Ostthüringen",
    "description": "Automotive und Zulieferer.",
}


@pytest.fixture
def admin(app: Flask, world: World) -> FlaskClient:
    client = client_for(app, world, "admin")
    client.get("/language/en")
    return client


def networks(session: Session) -> list[dict[str, Any]]:
    session.expire_all()
    return [n.model_dump() for n in session.execute(select(Network).order_by(Network.id)).scalars()]


def test_list_shows_company_and_manager_counts(admin: FlaskClient) -> None:
    page = text_of(admin.get("/admin/networks"))
    start = page.index("Netzwerk Nord")
    row_text = page[start : page.index("</tr>", start)]
    # two approved companies, one waiting, one manager
    cells = dict(re.findall(r'<td data-label="([^"]+)">(\d+)</td>', row_text))
    assert cells == {"Approved companies": "2", "Waiting": "1", "Managers": "1"}


def test_create_a_network(app: Flask, admin: FlaskClient, session: Session) -> None:
    response = post_form(admin, "/admin/networks/new", VALID)
    assert response.status_code == 302
    created = session.execute(select(Network).where(Network.slug == "cluster-ost")).scalar_one()
    assert (created.name, created.region, created.active) == ("Cluster Ost", "Ostthüringen", True)
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.action == "network.create", AuditEvent.entity_id == created.id
        )
    ).scalar_one()
    assert event.changes["slug"] == [None, "cluster-ost"]
    page = text_of(admin.get(response.headers["Location"]))
    assert "The network Cluster Ost is created." in page
    # it is offered at registration
    assert 'value="cluster-ost"' in text_of(app.test_client().get("/register"))


def test_edit_a_network(admin: FlaskClient, session: Session, world: World) -> None:
    url = f"/admin/networks/{world.network_a.id}/edit"
    assert 'value="netz-nord"' in text_of(admin.get(url))
    data = {
        "slug": "netz-nord",
        "name": "Netzwerk Nordthüringen",
        "region": "Nord",
        "description": "",
    }
    assert post_form(admin, url, data).status_code == 302
    stored = row(session, Network, world.network_a.id)
    assert stored["name"] == "Netzwerk Nordthüringen" and stored["region"] == "Nord"
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "network.update")
    ).scalar_one()
    assert event.changes == {
        "name": ["Netzwerk Nord", "Netzwerk Nordthüringen"],
        "region": ["Thüringen", "Nord"],
    }
    log = text_of(admin.get("/admin/audit?entity=network"))
    assert "<del>Netzwerk Nord</del>" in log and "<ins>Netzwerk Nordthüringen</ins>" in log


def test_deactivate_and_reactivate(
    app: Flask, admin: FlaskClient, session: Session, world: World
) -> None:
    network_id = world.network_b.id
    assert post_form(admin, f"/admin/networks/{network_id}/deactivate", {}).status_code == 302
    assert row(session, Network, network_id)["active"] is False
    assert 'value="netz-sued"' not in text_of(app.test_client().get("/register"))
    # editing a deactivated network keeps it deactivated
    data = {"slug": "netz-sued", "name": "Netzwerk Süd", "region": "", "description": "neu"}
    assert post_form(admin, f"/admin/networks/{network_id}/edit", data).status_code == 302
    assert row(session, Network, network_id)["active"] is False
    # its manager still sees its companies
    manager = client_for(app, world, "manager_other_network")
    assert "Berta Logistik GmbH" in text_of(manager.get("/manage/companies"))

    assert post_form(admin, f"/admin/networks/{network_id}/reactivate", {}).status_code == 302
    assert row(session, Network, network_id)["active"] is True
    assert 'value="netz-sued"' in text_of(app.test_client().get("/register"))
    actions = list(
        session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "network", AuditEvent.entity_id == network_id)
            .order_by(AuditEvent.id)
        ).scalars()
    )
    assert actions[-3:] == ["network.deactivate", "network.update", "network.activate"]


SLUG_RULE = "Please use lower-case letters, digits and single hyphens only, e.g. cluster-nord."
AT_LEAST_2 = "Please enter at least 2 characters."
BAD_INPUT = [
    ("slug", "", AT_LEAST_2),
    ("slug", "Cluster Ost", SLUG_RULE),
    ("slug", "cluster_ost", SLUG_RULE),
    ("slug", "-cluster", SLUG_RULE),
    ("slug", "cluster--ost", SLUG_RULE),
    ("slug", "clüster", SLUG_RULE),
    ("slug", "x", AT_LEAST_2),
    ("slug", "a" * 61, "Please enter at most 60 characters."),
    ("slug", "netz-sued", "This short name is taken already."),
    ("name", "", AT_LEAST_2),
    ("name", "   ", AT_LEAST_2),
    ("name", "N", AT_LEAST_2),
    ("name", "N" * 161, "Please enter at most 160 characters."),
    ("name", "Zwei\nZeilen", "Please enter a single line."),
    ("region", "R" * 121, "Please enter at most 120 characters."),
    ("description", "D" * 2001, "Please enter at most 2,000 characters."),
    ("description", "Steuer\x07zeichen", "The text contains invisible control characters."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
@pytest.mark.parametrize("mode", ["create", "edit"])
def test_bad_input_changes_nothing(
    admin: FlaskClient,
    session: Session,
    world: World,
    field: str,
    value: str,
    message: str,
    mode: str,
) -> None:
    before = networks(session)
    events = audit_count(session)
    if mode == "create":
        url, data = "/admin/networks/new", {**VALID, field: value}
    else:
        url = f"/admin/networks/{world.network_a.id}/edit"
        data = {**VALID, "slug": "netz-nord", field: value}
    response = post_form(admin, url, data)
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert networks(session) == before
    assert audit_count(session) == events


def test_html_is_stored_as_typed_and_escaped(admin: FlaskClient, session: Session) -> None:
    name = '<script>alert("x")</script> & Co'
    data = {**VALID, "name": name, "description": "<b>fett</b>"}
    assert post_form(admin, "/admin/networks/new", data).status_code == 302
    stored = session.execute(select(Network).where(Network.slug == "cluster-ost")).scalar_one()
    assert stored.name == name and stored.description == "<b>fett</b>"
    for url in ("/admin/networks", f"/admin/networks/{stored.id}/edit", "/admin/audit"):
        page = text_of(admin.get(url))
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in page, url


def test_the_form_keeps_what_was_typed(admin: FlaskClient) -> None:
    response = post_form(admin, "/admin/networks/new", {**VALID, "slug": "Bad Slug"})
    page = text_of(response)
    assert 'value="Cluster Ost"' in page and 'value="Bad Slug"' in page
    assert "Automotive und Zulieferer." in page
