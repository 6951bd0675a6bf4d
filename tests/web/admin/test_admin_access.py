"""Every admin route for the six personas: only admins get in; nobody else changes anything."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker.config import Settings
from matchmaker.models import Category, Network, User
from tests.factories import World
from tests.helpers import post_form, sent_mails
from tests.web.staff_access import (
    ADMIN_ONLY,
    PERSONAS,
    audit_count,
    client_for,
    row,
    status_by_persona,
)

NOT_ADMIN = tuple(p for p in PERSONAS if p != "admin")


def get_urls(world: World) -> list[str]:
    return [
        "/admin/",
        "/admin/networks",
        "/admin/networks/new",
        f"/admin/networks/{world.network_a.id}/edit",
        "/admin/accounts",
        "/admin/accounts?role=manager",
        "/admin/accounts/new",
        f"/admin/accounts/{world.manager_a.id}",
        f"/admin/accounts/{world.member_a1.id}",
        "/admin/categories",
        "/admin/categories/new",
        "/admin/categories/1/edit",
        "/admin/audit",
    ]


def test_pages_are_for_admins_only(app: Flask, world: World) -> None:
    results = {url: status_by_persona(app, world, url) for url in get_urls(world)}
    assert results == dict.fromkeys(get_urls(world), ADMIN_ONLY)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/networks/9999/edit",
        "/admin/accounts/9999",
        "/admin/categories/9999/edit",
    ],
)
def test_unknown_objects_are_not_found(app: Flask, world: World, url: str) -> None:
    assert status_by_persona(app, world, url) == {**ADMIN_ONLY, "admin": 404}


def test_unknown_objects_cannot_be_changed(app: Flask, world: World, session: Session) -> None:
    admin = client_for(app, world, "admin")
    events = audit_count(session)
    for url in (
        "/admin/networks/9999/edit",
        "/admin/networks/9999/deactivate",
        "/admin/accounts/9999/networks",
        "/admin/accounts/9999/deactivate",
        "/admin/accounts/9999/invite",
        "/admin/categories/9999/edit",
        "/admin/categories/9999/reactivate",
    ):
        assert post_form(admin, url, {"name": "x", "networks": "netz-nord"}).status_code == 404
    assert audit_count(session) == events


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__name__: int(session.execute(select(func.count()).select_from(model)).scalar_one())
        for model in (Network, Category, User)
    }


def test_nobody_but_admins_changes_anything(
    app: Flask, world: World, session: Session, settings: Settings
) -> None:
    network_id, category_id = world.network_a.id, 1
    manager_id, member_id = world.manager_a.id, world.member_a1.id
    before = {
        "network": row(session, Network, network_id),
        "category": row(session, Category, category_id),
        "manager": row(session, User, manager_id),
        "member": row(session, User, member_id),
        "counts": _counts(session),
        "events": audit_count(session),
    }
    posts = {
        "/admin/networks/new": {"slug": "neu", "name": "Neues Netz"},
        f"/admin/networks/{network_id}/edit": {"slug": "netz-nord", "name": "Umbenannt"},
        f"/admin/networks/{network_id}/deactivate": {},
        f"/admin/networks/{network_id}/reactivate": {},
        "/admin/accounts/new": {
            "name": "Eva Neu",
            "email": "eva@example.org",
            "role": "admin",
            "language": "de",
        },
        f"/admin/accounts/{manager_id}/networks": {"networks": ["netz-nord", "netz-sued"]},
        f"/admin/accounts/{manager_id}/deactivate": {},
        f"/admin/accounts/{member_id}/deactivate": {},
        f"/admin/accounts/{manager_id}/reactivate": {},
        f"/admin/accounts/{manager_id}/invite": {},
        "/admin/categories/new": {"slug": "neu", "name_de": "Neu", "name_en": "New"},
        f"/admin/categories/{category_id}/edit": {
            "slug": "material",
            "name_de": "Umbenannt",
            "name_en": "Renamed",
        },
        f"/admin/categories/{category_id}/deactivate": {},
        f"/admin/categories/{category_id}/reactivate": {},
    }
    results = {
        url: status_by_persona(app, world, url, method="POST", data=data, personas=NOT_ADMIN)
        for url, data in posts.items()
    }
    denied = {p: s for p, s in ADMIN_ONLY.items() if p != "admin"}
    assert results == dict.fromkeys(posts, denied)
    after = {
        "network": row(session, Network, network_id),
        "category": row(session, Category, category_id),
        "manager": row(session, User, manager_id),
        "member": row(session, User, member_id),
        "counts": _counts(session),
        "events": audit_count(session),
    }
    assert after == before
    assert sent_mails(settings.instance_path) == []
