"""Deactivation as documented: a deactivated network is no longer offered for registrations
but its companies keep it; a deactivated category is no longer offered for new postings but
existing ones keep it. Before, both blocked editing ("Unknown network" on a field no form
shows; the posting's own category refused)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from matchmaker import catalog, companies
from matchmaker.access import Actor
from matchmaker.models import Category, Company, Posting
from tests.factories import World
from tests.helpers import login_as, post_form, text_of
from tests.web.pages import edit_form, posting_form


def _company_form(company: Company, **overrides: str) -> dict[str, str]:
    """The profile form as the page fills it (members do not choose their networks)."""
    values = {
        name: str(value)
        for name, value in companies.company_values(company).items()
        if name != "networks"
    }
    values.update(overrides)
    return values


def test_members_of_a_deactivated_network_still_edit_their_profile(
    client: FlaskClient, session: Session, world: World
) -> None:
    catalog.set_network_active(
        session=session, actor=Actor.system(), network_id=world.network_a.id, active=False
    )
    session.commit()
    member = login_as(client, world.member_a1)
    response = post_form(
        member, "/my/company/edit", _company_form(world.company_a1, profile="Neues Profil")
    )
    assert response.status_code == 302, text_of(response)[:500]
    session.expire_all()
    company = session.get(Company, world.company_a1.id)
    assert company is not None and company.profile == "Neues Profil"
    assert [n.slug for n in company.networks] == [world.network_a.slug]  # kept
    # ... while nobody can register for it any more
    assert world.network_a.slug not in text_of(client.get("/register"))


def test_postings_of_a_deactivated_category_stay_editable(
    client: FlaskClient, session: Session, world: World
) -> None:
    posting = session.get(Posting, world.posting_a1.id)
    assert posting is not None
    category = session.get(Category, posting.category_id)
    assert category is not None
    catalog.set_category_active(
        session=session, actor=Actor.system(), category_id=category.id, active=False
    )
    session.commit()
    member = login_as(client, world.member_a1)
    edit = post_form(
        member,
        f"/my/postings/{posting.id}/edit",
        edit_form(posting, title="Edelstahlblech 3 mm gesucht"),
    )
    assert edit.status_code == 302, text_of(edit)[:500]
    session.expire_all()
    stored = session.get(Posting, posting.id)
    assert stored is not None and stored.title == "Edelstahlblech 3 mm gesucht"
    assert stored.category_id == category.id
    # a new posting cannot choose it
    new = post_form(member, "/my/postings/new", posting_form(category=category.slug))
    assert new.status_code == 422
