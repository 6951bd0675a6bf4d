"""Every route of the member area, the account, the auth flows and the public pages, for each of
the six personas: the expected status and the effect (or its absence) in the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import companies, postings
from matchmaker.access import Actor
from matchmaker.accounts import TokenPurpose, issue_password_token
from matchmaker.models import Company, Posting, User
from tests.factories import PASSWORD, World
from tests.helpers import csrf_token, login_as, text_of
from tests.web.pages import PERSONAS, edit_form, posting_form, snapshot, stored, today

ANON_REDIRECT = 302  # to the login page
Expect = dict[str, int]


def members_only(same: int = 200, other: int = 200) -> Expect:
    return {
        "anonymous": ANON_REDIRECT,
        "same_company": same,
        "other_company": other,
        "manager_same_network": 403,
        "manager_other_network": 403,
        "admin": 403,
    }


def everybody(status: int = 200, anonymous: int | None = None) -> Expect:
    result = dict.fromkeys(PERSONAS, status)
    if anonymous is not None:
        result["anonymous"] = anonymous
    return result


def logged_in(status: int = 200) -> Expect:
    return {**everybody(status), "anonymous": ANON_REDIRECT}


@dataclass
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    expect: Expect
    data: Callable[[World], dict[str, Any]] | None = None
    setup: Callable[[Session, World], None] | None = None
    # effect(session, world, persona, response): checks what happened (or did not)
    effect: Callable[[Session, World, str, Any], None] | None = None
    contains: dict[str, str] = field(default_factory=dict)


def _posting_count(session: Session, company: Company) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Posting).where(Posting.company_id == company.id)
        ).scalar_one()
    )


def _created(session: Session, world: World, persona: str, response: Any) -> None:
    a1 = _posting_count(session, world.company_a1)
    a2 = _posting_count(session, world.company_a2)
    assert a1 == (3 if persona == "same_company" else 2)
    assert a2 == (1 if persona == "other_company" else 0)


def _status_of(attribute: str, changed: str, unchanged: str) -> Callable[..., None]:
    def check(session: Session, world: World, persona: str, response: Any) -> None:
        posting = stored(session, getattr(world, attribute).id)
        assert posting.status == (changed if persona == "same_company" else unchanged), persona

    return check


def _pause_a1(session: Session, world: World) -> None:
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=world.posting_a1.id,  # type: ignore[arg-type]
        action="pause",
    )
    session.commit()


def _renewed(session: Session, world: World, persona: str, response: Any) -> None:
    posting = stored(session, world.posting_a1.id)
    wanted = today() + timedelta(days=100)
    assert (posting.valid_until == wanted) is (persona == "same_company")


def _edited(session: Session, world: World, persona: str, response: Any) -> None:
    title = stored(session, world.posting_a1.id).title
    assert (title == "Edelstahlblech 3 mm gesucht") is (persona == "same_company")


def _profile_edited(session: Session, world: World, persona: str, response: Any) -> None:
    session.expire_all()
    a1 = session.get(Company, world.company_a1.id)
    a2 = session.get(Company, world.company_a2.id)
    assert a1 is not None and a2 is not None
    assert (a1.profile == "Neues Profil") is (persona == "same_company")
    assert (a2.profile == "Neues Profil") is (persona == "other_company")


def _company_form(world: World) -> dict[str, Any]:
    # The persona edits its own company; the form carries no company id.
    values = companies.company_values(world.company_a1)
    values.pop("networks")
    values["profile"] = "Neues Profil"
    return values


def _own_company_shown(session: Session, world: World, persona: str, response: Any) -> None:
    page = text_of(response)
    if persona == "same_company":
        assert world.company_a1.name in page and world.company_a2.name not in page
    elif persona == "other_company":
        assert world.company_a2.name in page and world.company_a1.name not in page


def _contact_shown(session: Session, world: World, persona: str, response: Any) -> None:
    page = text_of(response)
    allowed = persona in ("same_company", "manager_same_network", "admin")
    assert (world.company_a1.contact_email in page) is allowed, persona
    assert (world.company_a1.contact_phone in page) is allowed, persona


def _language_stored(session: Session, world: World, persona: str, response: Any) -> None:
    user = world.personas()[persona]
    if user is not None:
        session.expire_all()
        stored_user = session.get(User, user.id)
        assert stored_user is not None and stored_user.language == "en"
    assert response.headers["Location"] == "/postings"


def _language_kept(session: Session, world: World, persona: str, response: Any) -> None:
    user = world.personas()[persona]
    if user is not None:
        session.expire_all()
        stored_user = session.get(User, user.id)
        assert stored_user is not None and stored_user.language == user.language
    assert response.headers["Location"] == "/postings"


def _logged_out(session: Session, world: World, persona: str, response: Any) -> None:
    client = response.client
    assert client.get("/account").status_code == ANON_REDIRECT


def _password_changed(session: Session, world: World, persona: str, response: Any) -> None:
    user = world.personas()[persona]
    if user is None:
        return
    session.expire_all()
    stored_user = session.get(User, user.id)
    assert stored_user is not None
    assert stored_user.session_version == 1  # accounts start at 0


def _draft_listed_nowhere(session: Session, world: World, persona: str, response: Any) -> None:
    page = text_of(response)
    assert f'href="/postings/{world.posting_a1.id}"' in page
    assert f'href="/postings/{world.draft_a1.id}"' not in page


def _password_set_by_link(session: Session, world: World, persona: str, response: Any) -> None:
    session.expire_all()
    user = session.get(User, world.member_a2.id)
    assert user is not None and user.session_version == 1
    assert response.client.get("/my/company").status_code == 200  # logged in as member a2
    assert world.company_a2.name in text_of(response.client.get("/my/company"))


def _logged_in_as_a2(session: Session, world: World, persona: str, response: Any) -> None:
    assert response.headers["Location"] == "/my/"
    assert world.company_a2.name in text_of(response.client.get("/my/"))


def _registration() -> dict[str, Any]:
    return {
        "company_name": "Delta Drehteile GmbH",
        "postal_code": "07743",
        "city": "Jena",
        "contact_email": "info@delta.example",
        "networks": ["netz-nord"],
        "name": "Dora Delta",
        "email": "dora@delta.example",
        "password": "ein langes Passwort",
        "password_repeat": "ein langes Passwort",
        "language": "de",
    }


HOMES = {
    "anonymous": "/my/",  # the new member's area
    "same_company": "/my/",
    "other_company": "/my/",
    "manager_same_network": "/manage/",
    "manager_other_network": "/manage/",
    "admin": "/admin/",
}


def _registered(session: Session, world: World, persona: str, response: Any) -> None:
    found = session.execute(
        select(Company).where(Company.name == "Delta Drehteile GmbH")
    ).scalar_one_or_none()
    assert response.headers["Location"] == HOMES[persona]
    if persona == "anonymous":
        assert found is not None and found.status == "pending"
    else:
        assert found is None  # logged-in users are sent home instead


def _reset_token(session: Session, world: World) -> None:
    token = issue_password_token(session=session, user=world.member_a2, purpose=TokenPurpose.RESET)
    session.commit()
    world.extra["token"] = token


CASES = [
    # --- member area ---
    Case("dashboard", "GET", lambda w: "/my/", members_only(), effect=_own_company_shown),
    Case("new posting form", "GET", lambda w: "/my/postings/new?kind=offer", members_only()),
    Case(
        "create posting",
        "POST",
        lambda w: "/my/postings/new",
        members_only(302, 302),
        data=lambda w: posting_form(),
        effect=_created,
    ),
    Case(
        "member posting detail (public posting)",
        "GET",
        lambda w: f"/my/postings/{w.posting_a1.id}",
        members_only(200, 403),
    ),
    Case(
        "member posting detail (draft)",
        "GET",
        lambda w: f"/my/postings/{w.draft_a1.id}",
        members_only(200, 404),
    ),
    Case(
        "edit form",
        "GET",
        lambda w: f"/my/postings/{w.posting_a1.id}/edit",
        members_only(200, 403),
    ),
    Case(
        "edit form (draft)",
        "GET",
        lambda w: f"/my/postings/{w.draft_a1.id}/edit",
        members_only(200, 404),
    ),
    Case(
        "save edit",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/edit",
        members_only(302, 403),
        data=lambda w: edit_form(w.posting_a1, title="Edelstahlblech 3 mm gesucht"),
        effect=_edited,
    ),
    Case(
        "publish",
        "POST",
        lambda w: f"/my/postings/{w.draft_a1.id}/publish",
        members_only(302, 404),
        effect=_status_of("draft_a1", "active", "draft"),
    ),
    Case(
        "pause",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/pause",
        members_only(302, 403),
        effect=_status_of("posting_a1", "paused", "active"),
    ),
    Case(
        "resume",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/resume",
        # A paused posting is not public: other companies do not learn it exists.
        members_only(302, 404),
        setup=_pause_a1,
        effect=_status_of("posting_a1", "active", "paused"),
    ),
    Case(
        "fulfil",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/fulfil",
        members_only(302, 403),
        effect=_status_of("posting_a1", "fulfilled", "active"),
    ),
    Case(
        "withdraw confirmation",
        "GET",
        lambda w: f"/my/postings/{w.posting_a1.id}/withdraw",
        members_only(200, 403),
    ),
    Case(
        "withdraw",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/withdraw",
        members_only(302, 403),
        data=lambda w: {"confirm": "yes"},
        effect=_status_of("posting_a1", "withdrawn", "active"),
    ),
    Case(
        "renew",
        "POST",
        lambda w: f"/my/postings/{w.posting_a1.id}/renew",
        members_only(302, 403),
        data=lambda w: {"valid_until": (today() + timedelta(days=100)).isoformat()},
        effect=_renewed,
    ),
    Case("company profile", "GET", lambda w: "/my/company", members_only()),
    Case("company form", "GET", lambda w: "/my/company/edit", members_only()),
    Case(
        "save company profile",
        "POST",
        lambda w: "/my/company/edit",
        members_only(302, 302),
        data=_company_form,
        effect=_profile_edited,
    ),
    # --- account (every logged-in role) ---
    Case("account", "GET", lambda w: "/account", logged_in()),
    Case(
        "account language",
        "POST",
        lambda w: "/account/language",
        logged_in(302),
        data=lambda w: {"language": "en"},
    ),
    Case(
        "account password",
        "POST",
        lambda w: "/account/password",
        logged_in(302),
        data=lambda w: {
            "current_password": PASSWORD,
            "password": "another long password",
            "password_repeat": "another long password",
        },
        effect=_password_changed,
    ),
    # --- auth flows ---
    Case("login form", "GET", lambda w: "/login", everybody()),
    Case("register form", "GET", lambda w: "/register", everybody(302, anonymous=200)),
    Case("logout", "POST", lambda w: "/logout", everybody(302), effect=_logged_out),
    Case("forgot password form", "GET", lambda w: "/password/forgot", everybody()),
    Case(
        "forgot password",
        "POST",
        lambda w: "/password/forgot",
        everybody(302),
        data=lambda w: {"email": w.member_a2.email},
    ),
    Case(
        "password link",
        "GET",
        lambda w: f"/password/{w.extra['token']}",
        everybody(),
        setup=_reset_token,
    ),
    Case(
        "set password by link",
        "POST",
        lambda w: f"/password/{w.extra['token']}",
        everybody(302),
        setup=_reset_token,
        data=lambda w: {"password": "ein neues Passwort", "password_repeat": "ein neues Passwort"},
        effect=_password_set_by_link,
    ),
    Case("invalid password link", "GET", lambda w: "/password/not-a-token", everybody(404)),
    Case(
        "login",
        "POST",
        lambda w: "/login",
        # Whoever uses this browser, the right password logs member a2 in.
        everybody(302),
        data=lambda w: {"email": w.member_a2.email, "password": PASSWORD},
        effect=_logged_in_as_a2,
    ),
    Case(
        "register",
        "POST",
        lambda w: "/register",
        everybody(302),
        data=lambda w: _registration(),
        effect=_registered,
    ),
    # --- public pages ---
    Case("landing page", "GET", lambda w: "/", everybody()),
    Case("browse", "GET", lambda w: "/postings", everybody(), effect=_draft_listed_nowhere),
    Case(
        "public posting",
        "GET",
        lambda w: f"/postings/{w.posting_a1.id}",
        everybody(),
        effect=_contact_shown,
    ),
    Case(
        "draft posting",
        "GET",
        lambda w: f"/postings/{w.draft_a1.id}",
        {
            "anonymous": 404,
            "same_company": 200,
            "other_company": 404,
            "manager_same_network": 200,
            "manager_other_network": 404,
            "admin": 200,
        },
    ),
    Case(
        "public company page",
        "GET",
        lambda w: f"/companies/{w.company_a1.id}",
        everybody(),
        effect=_contact_shown,
    ),
    Case("pending company page", "GET", lambda w: f"/companies/{w.pending_a.id}", everybody(404)),
    Case("unknown company page", "GET", lambda w: "/companies/999999", everybody(404)),
    Case(
        "language switch",
        "POST",
        lambda w: "/language/en?next=/postings",
        everybody(302),
        effect=_language_stored,
    ),
    Case(
        "language link",
        "GET",
        lambda w: "/language/en?next=/postings",
        everybody(302),
        effect=_language_kept,
    ),
    Case("unknown language", "GET", lambda w: "/language/fr", everybody(404)),
]

ACTION_CASES = {
    "create posting",
    "save edit",
    "publish",
    "pause",
    "resume",
    "fulfil",
    "withdraw",
    "renew",
    "save company profile",
    "account language",
    "account password",
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_route_for_persona(
    app: Any, session: Session, world: World, case: Case, persona: str
) -> None:
    if case.setup is not None:
        case.setup(session, world)
    client: FlaskClient = app.test_client()
    login_as(client, world.personas()[persona])
    before = snapshot(session)
    url = case.url(world)
    if case.method == "GET":
        response = client.get(url)
    else:
        data = dict(case.data(world) if case.data else {})
        data["csrf_token"] = csrf_token(client, "/password/forgot")
        response = client.post(url, data=data)
    response.client = client  # type: ignore[attr-defined]
    expected = case.expect[persona]
    assert response.status_code == expected, (case.name, persona, text_of(response)[:300])
    if expected == ANON_REDIRECT and persona == "anonymous" and case.name in ACTION_CASES:
        assert response.headers["Location"].startswith("/login")
    if case.effect is not None:
        case.effect(session, world, persona, response)
    if case.name in ACTION_CASES and expected not in (200, 302):
        assert snapshot(session) == before, "a refused request changed stored data"
    if persona == "anonymous" and case.name in ACTION_CASES:
        assert snapshot(session) == before
