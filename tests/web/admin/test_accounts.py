"""Admins create managers and admins, assign networks, deactivate and reactivate accounts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.config import Settings
from matchmaker.models import AuditEvent, NetworkManager, User
from tests.factories import PASSWORD, World
from tests.helpers import post_form, sent_mails, text_of
from tests.web.staff_access import audit_count, client_for, row

LINK_RE = re.compile(r"http://localhost(/password/[A-Za-z0-9_\-]+)")
VALID = {
    "name": "Maria Netz",
    "email": "Maria.Netz@Cluster.example",
    "language": "en",
    "role": "manager",
    "networks": ["netz-nord", "netz-sued"],
}


@pytest.fixture
def admin(app: Flask, world: World) -> FlaskClient:
    client = client_for(app, world, "admin")
    client.get("/language/en")
    return client


def users(session: Session) -> list[dict[str, Any]]:
    session.expire_all()
    return [u.model_dump() for u in session.execute(select(User).order_by(User.id)).scalars()]


def assignments(session: Session) -> set[tuple[int, int]]:
    session.expire_all()
    return {(a.user_id, a.network_id) for a in session.execute(select(NetworkManager)).scalars()}


def managed_slugs(session: Session, user_id: int) -> set[str]:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return {n.slug for n in user.managed_networks}


def login(client: FlaskClient, email: str, password: str) -> int:
    return post_form(client, "/login", {"email": email, "password": password}).status_code


def test_list_shows_managers_with_their_networks(admin: FlaskClient, world: World) -> None:
    page = text_of(admin.get("/admin/accounts"))
    assert world.manager_a.email in page and world.manager_b.email in page
    assert world.admin.email in page
    assert world.member_a1.email not in page  # members are not staff
    start = page.index(world.manager_a.email)
    assert "Netzwerk Nord" in page[start : page.index("</tr>", start)]
    managers_only = text_of(admin.get("/admin/accounts?role=manager"))
    assert world.admin.email not in managers_only


def test_create_a_manager_who_sets_a_password_and_logs_in(
    app: Flask, admin: FlaskClient, session: Session, settings: Settings
) -> None:
    response = post_form(admin, "/admin/accounts/new", VALID)
    assert response.status_code == 302
    user = session.execute(
        select(User).where(User.email == "maria.netz@cluster.example")
    ).scalar_one()
    assert (user.name, user.role, user.language, user.active) == (
        "Maria Netz",
        "manager",
        "en",
        True,
    )
    assert user.password_hash is None
    assert managed_slugs(session, user.id) == {"netz-nord", "netz-sued"}  # type: ignore[arg-type]
    assert response.headers["Location"].endswith(f"/admin/accounts/{user.id}")
    actions = list(
        session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
            .order_by(AuditEvent.id)
        ).scalars()
    )
    assert actions == ["user.create", "user.invite"]

    (message,) = sent_mails(settings.instance_path)
    assert message["To"].addresses[0].addr_spec == "maria.netz@cluster.example"
    assert message["Subject"] == "Your access to Matchmaker"  # the new account reads English
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Netzwerk Nord, Netzwerk Süd" in text
    match = LINK_RE.search(text)
    assert match, text

    browser = app.test_client()
    assert browser.get(match.group(1)).status_code == 200
    response = post_form(
        browser,
        match.group(1),
        {"password": "ein-gutes-passwort", "password_repeat": "ein-gutes-passwort"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/")
    assert browser.get("/manage/").status_code == 200
    # the link works once
    assert app.test_client().get(match.group(1)).status_code == 404
    assert login(app.test_client(), "maria.netz@cluster.example", "ein-gutes-passwort") == 302


def test_create_an_admin_ignores_networks(
    admin: FlaskClient, session: Session, settings: Settings
) -> None:
    data = {**VALID, "role": "admin", "email": "chefin@example.org", "language": "de"}
    assert post_form(admin, "/admin/accounts/new", data).status_code == 302
    user = session.execute(select(User).where(User.email == "chefin@example.org")).scalar_one()
    assert user.role == "admin"
    assert managed_slugs(session, user.id) == set()  # type: ignore[arg-type]
    (message,) = sent_mails(settings.instance_path)
    assert message["Subject"] == "Ihr Zugang zu Matchmaker"
    assert "Administratorkonto" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


BAD_INPUT = [
    ("name", "", "Please enter at least 2 characters."),
    ("name", "M" * 121, "Please enter at most 120 characters."),
    ("name", "Zwei\nZeilen", "Please enter a single line."),
    ("email", "", "Please enter a valid e-mail address."),
    ("email", "keine-adresse", "Please enter a valid e-mail address."),
    ("email", "a" * 250 + "@x.de", "Please enter a valid e-mail address."),
    ("email", "MANAGER.A@example.org", "An account with this e-mail address exists already."),
    ("language", "fr", "Please choose one of the offered values."),
    ("role", "member", "Please choose one of the offered values."),
    ("role", "boss", "Please choose one of the offered values."),
    ("networks", [], "A manager needs at least one network."),
    ("networks", ["netz-nord", "gibt-es-nicht"], "Unknown network: gibt-es-nicht"),
    ("networks", ["netz-nord", "netz\x00nord"], "Unknown network: netz nord"),
    ("name", "Klingel\x07zeichen", "The text contains invisible control characters."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_creates_nothing(
    admin: FlaskClient,
    session: Session,
    settings: Settings,
    field: str,
    value: Any,
    message: str,
) -> None:
    before = users(session), assignments(session), audit_count(session)
    response = post_form(admin, "/admin/accounts/new", {**VALID, field: value})
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page or (field == "networks" and "field-error" in page)
    assert message in page
    assert (users(session), assignments(session), audit_count(session)) == before
    assert sent_mails(settings.instance_path) == []


def test_html_in_the_name_is_stored_as_typed_and_escaped(
    admin: FlaskClient, session: Session
) -> None:
    name = "<b>Max</b> & <i>Moritz</i>"
    assert post_form(admin, "/admin/accounts/new", {**VALID, "name": name}).status_code == 302
    user = session.execute(
        select(User).where(User.email == "maria.netz@cluster.example")
    ).scalar_one()
    assert user.name == name
    for url in ("/admin/accounts", f"/admin/accounts/{user.id}"):
        page = text_of(admin.get(url))
        assert "<b>Max</b>" not in page
        assert "&lt;b&gt;Max&lt;/b&gt; &amp; &lt;i&gt;Moritz&lt;/i&gt;" in page


def test_assign_networks(admin: FlaskClient, session: Session, world: World) -> None:
    manager_id = world.manager_a.id
    assert manager_id is not None
    url = f"/admin/accounts/{manager_id}/networks"
    assert post_form(admin, url, {"networks": ["netz-sued"]}).status_code == 302
    assert managed_slugs(session, manager_id) == {"netz-sued"}
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.networks")
    ).scalar_one()
    assert event.changes == {"networks": ["netz-sued"]}


@pytest.mark.parametrize(
    ("networks", "message"),
    [
        ([], "A manager needs at least one network."),
        (["unbekannt"], "Unknown network: unbekannt"),
        (["netz-nord", "netz\x00nord"], "Unknown network: netz nord"),
    ],
)
def test_bad_network_assignment_changes_nothing(
    admin: FlaskClient, session: Session, world: World, networks: list[str], message: str
) -> None:
    before = assignments(session), audit_count(session)
    response = post_form(
        admin, f"/admin/accounts/{world.manager_a.id}/networks", {"networks": networks}
    )
    assert response.status_code == 422
    assert message in text_of(response)
    assert (assignments(session), audit_count(session)) == before


def test_admins_have_no_networks_to_assign(
    admin: FlaskClient, session: Session, world: World
) -> None:
    before = assignments(session), audit_count(session)
    response = post_form(
        admin, f"/admin/accounts/{world.admin.id}/networks", {"networks": ["netz-nord"]}
    )
    assert response.status_code == 409
    assert "Only managers can be assigned to networks." in text_of(response)
    assert (assignments(session), audit_count(session)) == before


def test_the_managers_new_networks_take_effect_at_once(
    app: Flask, admin: FlaskClient, world: World
) -> None:
    manager = client_for(app, world, "manager_same_network")
    assert manager.get(f"/manage/companies/{world.company_a1.id}").status_code == 200
    post_form(admin, f"/admin/accounts/{world.manager_a.id}/networks", {"networks": ["netz-sued"]})
    assert manager.get(f"/manage/companies/{world.company_a1.id}").status_code == 403
    assert manager.get(f"/manage/companies/{world.company_b1.id}").status_code == 200


@pytest.mark.parametrize("persona", ["manager_same_network", "same_company"])
def test_deactivated_users_are_logged_out_and_cannot_log_in(
    app: Flask, admin: FlaskClient, session: Session, world: World, persona: str
) -> None:
    user = world.personas()[persona]
    assert user is not None and user.id is not None
    home = "/manage/" if persona.startswith("manager") else "/my/"
    browser = client_for(app, world, persona)
    assert browser.get(home).status_code == 200

    response = post_form(admin, f"/admin/accounts/{user.id}/deactivate", {})
    assert response.status_code == 302
    assert row(session, User, user.id)["active"] is False
    # the open session has ended
    response = browser.get(home)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # and a new login is refused
    stranger = app.test_client()
    stranger.get("/language/en")
    response = post_form(stranger, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401  # the same answer as any failed login: no enumeration
    assert "E-mail address or password is wrong." in text_of(response)
    assert stranger.get(home).status_code == 302

    assert post_form(admin, f"/admin/accounts/{user.id}/reactivate", {}).status_code == 302
    assert row(session, User, user.id)["active"] is True
    assert login(app.test_client(), user.email, PASSWORD) == 302
    actions = list(
        session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
            .order_by(AuditEvent.id)
        ).scalars()
    )
    assert actions[-2:] == ["user.deactivate", "user.activate"]


def test_deactivating_a_manager_stops_review_mails_to_them(
    app: Flask, admin: FlaskClient, world: World, settings: Settings
) -> None:
    post_form(admin, f"/admin/accounts/{world.manager_a.id}/deactivate", {})
    response = post_form(
        app.test_client(),
        "/register",
        {
            "company_name": "Späte Anmeldung GmbH",
            "postal_code": "07743",
            "city": "Jena",
            "contact_email": "info@spaet.example",
            "networks": "netz-nord",
            "name": "Sina Spät",
            "email": "sina@spaet.example",
            "password": "lange-genug-123",
            "password_repeat": "lange-genug-123",
            "language": "de",
        },
    )
    assert response.status_code == 302
    assert world.manager_a.email not in {
        m["To"].addresses[0].addr_spec for m in sent_mails(settings.instance_path)
    }


def test_admins_cannot_deactivate_themselves(
    admin: FlaskClient, session: Session, world: World
) -> None:
    assert world.admin.id is not None
    page = text_of(admin.get(f"/admin/accounts/{world.admin.id}"))
    assert "/deactivate" not in page
    before = row(session, User, world.admin.id), audit_count(session)
    response = post_form(admin, f"/admin/accounts/{world.admin.id}/deactivate", {})
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in text_of(response)
    assert (row(session, User, world.admin.id), audit_count(session)) == before
    assert admin.get("/admin/").status_code == 200  # still logged in


def test_send_a_new_link(
    app: Flask, admin: FlaskClient, session: Session, settings: Settings
) -> None:
    post_form(admin, "/admin/accounts/new", VALID)
    user = session.execute(
        select(User).where(User.email == "maria.netz@cluster.example")
    ).scalar_one()
    response = post_form(admin, f"/admin/accounts/{user.id}/invite", {})
    assert response.status_code == 302
    first, second = sent_mails(settings.instance_path)
    old = LINK_RE.search(first.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    new = LINK_RE.search(second.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert old and new and old.group(1) != new.group(1)
    assert app.test_client().get(old.group(1)).status_code == 404  # the old link stops working
    assert app.test_client().get(new.group(1)).status_code == 200


def test_no_link_for_a_deactivated_account(
    admin: FlaskClient, session: Session, world: World, settings: Settings
) -> None:
    post_form(admin, f"/admin/accounts/{world.manager_b.id}/deactivate", {})
    events = audit_count(session)
    response = post_form(admin, f"/admin/accounts/{world.manager_b.id}/invite", {})
    assert response.status_code == 409
    assert audit_count(session) == events
    assert sent_mails(settings.instance_path) == []
