"""Admins maintain the category taxonomy; the short name of a category in use is fixed."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import AuditEvent, Category
from tests.factories import World
from tests.helpers import post_form, text_of
from tests.web.staff_access import audit_count, client_for, row

VALID = {
    "slug": "chemicals",
    "name_de": "Chemikalien",
    "name_en": "Chemicals",
    "description_de": "Lösemittel, Reiniger, Kühlschmierstoffe",
    "description_en": "Solvents, cleaners, coolants",
    "sort_order": "55",
}


@pytest.fixture
def admin(app: Flask, world: World) -> FlaskClient:
    client = client_for(app, world, "admin")
    client.get("/language/en")
    return client


def category(session: Session, slug: str) -> Category:
    session.expire_all()
    return session.execute(select(Category).where(Category.slug == slug)).scalar_one()


def categories(session: Session) -> list[dict[str, Any]]:
    session.expire_all()
    return [
        c.model_dump() for c in session.execute(select(Category).order_by(Category.id)).scalars()
    ]


def test_list_shows_all_categories_with_usage(admin: FlaskClient, session: Session) -> None:
    page = text_of(admin.get("/admin/categories"))
    for item in categories(session):
        assert f"<code>{item['slug']}</code>" in page
    start = page.index("<code>material</code>")
    row = page[start : page.index("</tr>", start)]
    assert '<td data-label="Postings">1</td>' in row  # the world's one need


def test_create_a_category(app: Flask, admin: FlaskClient, session: Session) -> None:
    response = post_form(admin, "/admin/categories/new", VALID)
    assert response.status_code == 302
    created = category(session, "chemicals")
    assert (created.name_de, created.name_en, created.sort_order, created.active) == (
        "Chemikalien",
        "Chemicals",
        55,
        True,
    )
    assert created.description_en == "Solvents, cleaners, coolants"
    assert "The category Chemicals is created." in text_of(admin.get(response.headers["Location"]))
    assert 'value="chemicals"' in text_of(app.test_client().get("/postings"))


def test_sort_order_defaults_when_left_empty(admin: FlaskClient, session: Session) -> None:
    assert post_form(admin, "/admin/categories/new", {**VALID, "sort_order": ""}).status_code == 302
    assert category(session, "chemicals").sort_order == 100


def test_edit_a_category_in_use_but_keep_its_short_name(
    admin: FlaskClient, session: Session
) -> None:
    material = category(session, "material")
    url = f"/admin/categories/{material.id}/edit"
    form = text_of(admin.get(url))
    assert "readonly" in form and "cannot change" in form
    data = {**VALID, "slug": "material", "name_de": "Material", "name_en": "Materials"}
    assert post_form(admin, url, data).status_code == 302
    stored = category(session, "material")
    assert (stored.name_de, stored.name_en) == ("Material", "Materials")
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "category.update")
    ).scalar_one()
    assert event.changes["name_en"][1] == "Materials"


def test_the_short_name_of_a_category_in_use_cannot_change(
    admin: FlaskClient, session: Session
) -> None:
    material = category(session, "material")
    before = categories(session), audit_count(session)
    data = {**VALID, "slug": "materials", "name_de": "Material", "name_en": "Material"}
    response = post_form(admin, f"/admin/categories/{material.id}/edit", data)
    assert response.status_code == 409
    page = text_of(response)
    assert 'id="slug-error"' in page
    assert "The short name of a category in use cannot change." in page
    assert (categories(session), audit_count(session)) == before


def test_the_short_name_of_an_unused_category_can_change(
    admin: FlaskClient, session: Session
) -> None:
    assert post_form(admin, "/admin/categories/new", VALID).status_code == 302
    created = category(session, "chemicals")
    data = {**VALID, "slug": "chemistry"}
    assert post_form(admin, f"/admin/categories/{created.id}/edit", data).status_code == 302
    assert row(session, Category, created.id)["slug"] == "chemistry"


def test_deactivate_and_reactivate(
    app: Flask, admin: FlaskClient, session: Session, world: World
) -> None:
    logistics = category(session, "logistics")
    assert post_form(admin, f"/admin/categories/{logistics.id}/deactivate", {}).status_code == 302
    assert row(session, Category, logistics.id)["active"] is False
    assert 'value="logistics"' not in text_of(app.test_client().get("/postings"))
    # existing postings keep it
    assert app.test_client().get(f"/postings/{world.posting_b1.id}").status_code == 200
    # editing keeps it deactivated
    data = {**VALID, "slug": "logistics", "name_de": "Logistik", "name_en": "Logistics"}
    assert post_form(admin, f"/admin/categories/{logistics.id}/edit", data).status_code == 302
    assert row(session, Category, logistics.id)["active"] is False
    assert post_form(admin, f"/admin/categories/{logistics.id}/reactivate", {}).status_code == 302
    assert row(session, Category, logistics.id)["active"] is True
    assert 'value="logistics"' in text_of(app.test_client().get("/postings"))


SLUG_RULE = "Please use lower-case letters, digits and single underscores only, e.g. raw_material."
AT_LEAST_2 = "Please enter at least 2 characters."
BAD_INPUT = [
    ("slug", "", AT_LEAST_2),
    ("slug", "raw-material", SLUG_RULE),
    ("slug", "Raw", SLUG_RULE),
    ("slug", "raw__material", SLUG_RULE),
    ("slug", "_raw", SLUG_RULE),
    ("slug", "s" * 41, "Please enter at most 40 characters."),
    ("slug", "material", "This short name is taken already."),
    ("name_de", "", AT_LEAST_2),
    ("name_de", "n" * 81, "Please enter at most 80 characters."),
    ("name_de", "zwei\nzeilen", "Please enter a single line."),
    ("name_en", " ", AT_LEAST_2),
    ("name_en", "n" * 81, "Please enter at most 80 characters."),
    ("description_de", "d" * 501, "Please enter at most 500 characters."),
    ("description_en", "d" * 501, "Please enter at most 500 characters."),
    ("sort_order", "abc", "Please enter a whole number."),
    ("sort_order", "1.5", "Please enter a whole number."),
    ("sort_order", "-1", "Please enter a number of at least 0."),
    ("sort_order", "10001", "Please enter a number of at most 10,000."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
@pytest.mark.parametrize("mode", ["create", "edit"])
def test_bad_input_changes_nothing(
    admin: FlaskClient, session: Session, field: str, value: str, message: str, mode: str
) -> None:
    if mode == "create":
        url, data = "/admin/categories/new", {**VALID, field: value}
    else:
        target = category(session, "logistics")
        url = f"/admin/categories/{target.id}/edit"
        data = {**VALID, "slug": "logistics", field: value}
    before = categories(session), audit_count(session)
    response = post_form(admin, url, data)
    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert (categories(session), audit_count(session)) == before


def test_html_is_stored_as_typed_and_escaped(
    app: Flask, admin: FlaskClient, session: Session
) -> None:
    data = {**VALID, "name_de": "<script>alert(1)</script>", "name_en": "<i>Chemicals</i>"}
    assert post_form(admin, "/admin/categories/new", data).status_code == 302
    stored = category(session, "chemicals")
    assert stored.name_de == "<script>alert(1)</script>"
    pages = [
        text_of(admin.get("/admin/categories")),
        text_of(admin.get(f"/admin/categories/{stored.id}/edit")),
        text_of(app.test_client().get("/postings")),
    ]
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "<i>Chemicals</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
