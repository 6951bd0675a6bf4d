"""Logging in and out, CSRF, registering a company, the account page, the language."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.accounts import authenticate
from matchmaker.config import Settings
from matchmaker.models import Company, CompanyNetwork, Posting, Role, User
from tests.factories import PASSWORD, World
from tests.helpers import login_as, post_form, sent_mails, text_of
from tests.web.pages import body, count, field_error, input_value, posting_form, snapshot


def _login(client: FlaskClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    return post_form(client, "/login", {"email": email, "password": password, **extra})


# --- login, lockout, logout -------------------------------------------------------------------


def test_login_sends_each_role_home(app: Flask, world: World) -> None:
    homes = {
        world.member_a1.email: "/my/",
        world.manager_a.email: "/manage/",
        world.admin.email: "/admin/",
    }
    for email, home in homes.items():
        client = app.test_client()
        response = _login(client, email.upper())
        assert response.status_code == 302
        assert response.headers["Location"] == home
        assert client.get(home).status_code == 200


def test_login_follows_a_local_next_only(app: Flask, world: World) -> None:
    client = app.test_client()
    page = body(client, "/login?next=/my/company")
    assert input_value(page, "next") == "/my/company"
    response = _login(client, world.member_a1.email, next="/my/company")
    assert response.headers["Location"] == "/my/company"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\tevil"):
        other = app.test_client()
        response = _login(other, world.member_a1.email, next=target)
        assert response.headers["Location"] == "/my/", target


def test_protected_page_sends_visitors_to_login_and_back(client: FlaskClient, world: World) -> None:
    response = client.get("/my/company")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login = _login(client, world.member_a1.email, next="/my/company")
    assert login.headers["Location"] == "/my/company"


def test_wrong_password_and_unknown_address_get_the_same_answer(
    client: FlaskClient, world: World
) -> None:
    client.get("/language/en")
    wrong = _login(client, world.member_a1.email, "not the password")
    unknown = _login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "E-mail address or password is wrong."
    assert message in text_of(wrong) and message in text_of(unknown)
    assert input_value(text_of(wrong), "email") == world.member_a1.email
    assert "not the password" not in text_of(wrong)
    assert client.get("/account").status_code == 302


def test_lockout_after_repeated_failures(
    client: FlaskClient, session: Session, world: World, settings: Settings
) -> None:
    client.get("/language/en")
    for _ in range(settings.login_max_failures):
        assert _login(client, world.member_a1.email, "wrong password!").status_code == 401
    locked = _login(client, world.member_a1.email)  # even the right password
    assert locked.status_code == 403
    assert "Too many failed attempts" in text_of(locked)
    assert client.get("/account").status_code == 302
    session.expire_all()
    user = session.get(User, world.member_a1.id)
    assert user is not None and user.locked_until is not None


def test_inactive_account_cannot_log_in(
    client: FlaskClient, session: Session, world: World
) -> None:
    user = session.get(User, world.member_a2.id)
    assert user is not None
    user.active = False
    session.add(user)
    session.commit()
    client.get("/language/en")
    response = _login(client, world.member_a2.email)
    assert response.status_code == 403
    assert "deactivated" in text_of(response)


def test_logout_is_a_post_with_csrf(client: FlaskClient, world: World) -> None:
    assert _login(client, world.member_a1.email).status_code == 302
    client.get("/language/en")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/my/").status_code == 200  # still logged in
    response = post_form(client, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "You are logged out." in text_of(client.get("/"))
    assert client.get("/my/").status_code == 302
    # The language chosen before stays after logging out.
    assert 'lang="en"' in text_of(client.get("/"))


def test_logged_in_users_do_not_register_again(
    client: FlaskClient, session: Session, world: World
) -> None:
    login_as(client, world.manager_a)
    assert client.get("/register").headers["Location"] == "/manage/"
    before = snapshot(session)
    response = post_form(client, "/register", registration())
    assert response.headers["Location"] == "/manage/"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/login", {"email": "member.a1@example.org", "password": PASSWORD}),
        ("/logout", {}),
        ("/register", {}),
        ("/password/forgot", {"email": "member.a1@example.org"}),
        ("/my/postings/new", posting_form()),
        ("/my/postings/1/pause", {}),
        ("/my/postings/1/withdraw", {"confirm": "yes"}),
        ("/my/postings/1/renew", {}),
        ("/my/company/edit", {"name": "Gekapert GmbH"}),
        ("/account/language", {"language": "en"}),
        (
            "/account/password",
            {"current_password": PASSWORD, "password": "x" * 12, "password_repeat": "x" * 12},
        ),
    ],
)
def test_posts_without_csrf_token_are_rejected(
    client: FlaskClient, session: Session, world: World, url: str, data: dict[str, str]
) -> None:
    login_as(client, world.member_a1)
    before = snapshot(session)
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in text_of(response)
    forged = client.post(url, data={**data, "csrf_token": "forged-token"})
    assert forged.status_code == 400
    assert snapshot(session) == before


# --- registration ------------------------------------------------------------------------------


def registration(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "company_name": "Gamma Oberflächentechnik GmbH",
        "address": "Am Anger 5",
        "postal_code": "99084",
        "city": "Erfurt",
        "website": "https://gamma.example",
        "profile": "Pulverbeschichtung und Galvanik.",
        "contact_email": "info@gamma.example",
        "contact_name": "Jana Gamma",
        "contact_phone": "+49 361 12345",
        "networks": ["netz-nord"],
        "name": "Jana Gamma",
        "email": "jana@gamma.example",
        "password": "ein langes Passwort",
        "password_repeat": "ein langes Passwort",
        "language": "de",
    }
    values.update(overrides)
    return values


def test_register_creates_a_pending_company_and_logs_in(
    client: FlaskClient, session: Session, world: World, settings: Settings
) -> None:
    page = body(client, "/register?network=netz-nord")
    assert 'value="netz-nord" checked' in page
    response = post_form(client, "/register", registration(email="Jana@Gamma.example"))
    assert response.status_code == 302 and response.headers["Location"] == "/my/"
    company = session.execute(
        select(Company).where(Company.name == "Gamma Oberflächentechnik GmbH")
    ).scalar_one()
    assert company.status == "pending"
    user = session.execute(select(User).where(User.company_id == company.id)).scalar_one()
    assert user.email == "jana@gamma.example" and user.role == "member"
    assert authenticate(session=session, email=user.email, password="ein langes Passwort").user
    dashboard = text_of(client.get("/my/"))
    assert "Gamma Oberflächentechnik GmbH" in dashboard
    assert "Ihr Unternehmen wartet auf Freigabe" in dashboard
    # The managers of the chosen network are told (and only they).
    mails = sent_mails(settings.instance_path)
    recipients = {m["To"].addresses[0].addr_spec for m in mails}
    assert recipients == {world.manager_a.email}


def test_pending_companys_postings_are_not_public(
    client: FlaskClient, session: Session, world: World
) -> None:
    assert post_form(client, "/register", registration()).status_code == 302
    response = post_form(
        client,
        "/my/postings/new",
        posting_form(title="Galvanik-Kapazität frei", action="publish"),
    )
    assert response.status_code == 302
    posting = session.execute(
        select(Posting).where(Posting.title == "Galvanik-Kapazität frei")
    ).scalar_one()
    assert posting.status == "active"
    visitor = client.application.test_client()
    assert "Galvanik-Kapazität frei" not in text_of(visitor.get("/postings?q=Galvanik"))
    assert visitor.get(f"/postings/{posting.id}").status_code == 404
    assert visitor.get(f"/companies/{posting.company_id}").status_code == 404
    # The company itself sees why.
    own = text_of(client.get(f"/my/postings/{posting.id}"))
    assert "sobald Ihr Unternehmen freigegeben ist" in own


def test_register_refuses_a_taken_email_and_an_unknown_network(
    client: FlaskClient, session: Session, world: World
) -> None:
    client.get("/language/en")
    before = snapshot(session)
    response = post_form(
        client,
        "/register",
        registration(email=world.member_a1.email.upper(), networks=["netz-nord", "no-such-net"]),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "An account with this e-mail address exists already." in page
    assert "Unknown network: no-such-net" in page
    assert field_error(page, "email") and field_error(page, "networks")
    # What was typed is kept, except the passwords.
    assert input_value(page, "company_name") == "Gamma Oberflächentechnik GmbH"
    assert "ein langes Passwort" not in page
    assert snapshot(session) == before
    assert client.get("/my/").status_code == 302  # not logged in


BAD_REGISTRATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("empty company name", {"company_name": ""}, "company_name"),
    ("long company name", {"company_name": "G" * 161}, "company_name"),
    ("company name with control character", {"company_name": "Gamma\x00 GmbH"}, "company_name"),
    ("company name on two lines", {"company_name": "Gamma\nGmbH"}, "company_name"),
    ("long address", {"address": "A" * 201}, "address"),
    ("empty postal code", {"postal_code": ""}, "postal_code"),
    ("short postal code", {"postal_code": "9908"}, "postal_code"),
    ("postal code with letters", {"postal_code": "99O84"}, "postal_code"),
    ("empty city", {"city": ""}, "city"),
    ("long city", {"city": "E" * 101}, "city"),
    ("website without scheme", {"website": "gamma.example"}, "website"),
    ("javascript website", {"website": "javascript:alert(1)"}, "website"),
    ("long profile", {"profile": "p" * 2001}, "profile"),
    ("profile with control character", {"profile": "Profil\x1b"}, "profile"),
    ("bad contact e-mail", {"contact_email": "info(at)gamma"}, "contact_email"),
    ("empty contact e-mail", {"contact_email": ""}, "contact_email"),
    ("bad phone", {"contact_phone": "ruf an"}, "contact_phone"),
    ("no network", {"networks": []}, "networks"),
    ("empty name", {"name": ""}, "name"),
    ("long name", {"name": "N" * 121}, "name"),
    ("bad e-mail", {"email": "jana@"}, "email"),
    ("long e-mail", {"email": "j" * 250 + "@gamma.example"}, "email"),
    ("short password", {"password": "kurz", "password_repeat": "kurz"}, "password"),
    ("long password", {"password": "p" * 201, "password_repeat": "p" * 201}, "password"),
    ("passwords differ", {"password_repeat": "ein anderes Passwort"}, "password_repeat"),
    ("unknown language", {"language": "fr"}, "language"),
]


@pytest.mark.parametrize(
    ("fields", "field"),
    [(f, n) for _, f, n in BAD_REGISTRATIONS],
    ids=[c for c, _, _ in BAD_REGISTRATIONS],
)
def test_bad_registration_is_refused_and_nothing_changes(
    client: FlaskClient,
    session: Session,
    world: World,
    settings: Settings,
    fields: dict[str, Any],
    field: str,
) -> None:
    before = snapshot(session)
    links = count(session, CompanyNetwork)
    response = post_form(client, "/register", registration(**fields))
    assert response.status_code == 422
    assert field_error(text_of(response), field), field
    assert snapshot(session) == before
    assert count(session, CompanyNetwork) == links
    assert sent_mails(settings.instance_path) == []


def test_registration_stores_html_as_typed_and_escapes_it(
    client: FlaskClient, session: Session, world: World
) -> None:
    name = "<script>alert(1)</script> & Söhne"
    response = post_form(client, "/register", registration(company_name=name))
    assert response.status_code == 302
    company = session.execute(select(Company).where(Company.name == name)).scalar_one()
    assert company.name == name
    page = text_of(client.get("/my/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne" in page


# --- account page ------------------------------------------------------------------------------


def test_account_language_is_stored_and_used(app: Flask, session: Session, world: World) -> None:
    client = app.test_client()
    login_as(client, world.manager_b)
    page = body(client, "/account")
    assert 'lang="de"' in page and world.manager_b.email in page
    response = post_form(client, "/account/language", {"language": "en"})
    assert response.status_code == 302
    assert 'lang="en"' in text_of(client.get("/account"))
    session.expire_all()
    user = session.get(User, world.manager_b.id)
    assert user is not None and user.language == "en"
    # A new login on another browser starts in the stored language.
    other = app.test_client()
    assert _login(other, world.manager_b.email).status_code == 302
    assert 'lang="en"' in text_of(other.get("/account"))

    before = snapshot(session)
    bad = post_form(client, "/account/language", {"language": "fr"})
    assert bad.status_code == 422
    assert snapshot(session) == before


def test_password_change_logs_out_other_sessions(
    app: Flask, session: Session, world: World
) -> None:
    here = app.test_client()
    elsewhere = app.test_client()
    for browser in (here, elsewhere):
        assert _login(browser, world.member_a1.email).status_code == 302
    here.get("/language/en")
    response = post_form(
        here,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "ein neues langes Passwort",
            "password_repeat": "ein neues langes Passwort",
        },
    )
    assert response.status_code == 302
    assert "Your password is changed." in text_of(here.get("/account"))
    assert here.get("/my/").status_code == 200  # this browser stays logged in
    assert elsewhere.get("/my/").status_code == 302  # the other one is logged out
    session.expire_all()
    email = world.member_a1.email
    assert authenticate(session=session, email=email, password="ein neues langes Passwort").user
    assert authenticate(session=session, email=email, password=PASSWORD).user is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"current_password": "falsch falsch"}, "current_password"),
        ({"current_password": ""}, "current_password"),
        ({"password": "kurz", "password_repeat": "kurz"}, "password"),
        ({"password_repeat": "etwas anderes hier"}, "password_repeat"),
        ({"password": "p" * 201, "password_repeat": "p" * 201}, "password"),
    ],
)
def test_bad_password_change_is_refused(
    client: FlaskClient, session: Session, world: World, fields: dict[str, str], field: str
) -> None:
    login_as(client, world.member_a1)
    before = snapshot(session)
    data = {
        "current_password": PASSWORD,
        "password": "ein neues langes Passwort",
        "password_repeat": "ein neues langes Passwort",
        **fields,
    }
    response = post_form(client, "/account/password", data)
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, field)
    assert "ein neues langes Passwort" not in page and PASSWORD not in page
    assert snapshot(session) == before
    assert client.get("/account").status_code == 200


# --- language ----------------------------------------------------------------------------------


def test_pages_are_german_by_default_and_english_by_switch(
    client: FlaskClient, world: World
) -> None:
    german = body(client, "/postings")
    assert 'lang="de"' in german and "<h1>Gesuche & Angebote</h1>" in german
    response = client.get("/language/en?next=/postings?kind=need")
    assert response.headers["Location"] == "/postings?kind=need"
    english = body(client, "/postings")
    assert 'lang="en"' in english and "<h1>Needs & offers</h1>" in english
    assert client.get("/language/de?next=https://evil.example/").headers["Location"] == "/"


def test_language_switch_is_stored_on_the_account(
    app: Flask, session: Session, world: World
) -> None:
    client = app.test_client()
    login_as(client, world.member_a2)
    client.get("/language/en")
    session.expire_all()
    user = session.get(User, world.member_a2.id)
    assert user is not None and user.language == "en"
    other = app.test_client()
    _login(other, world.member_a2.email)
    assert 'lang="en"' in text_of(other.get("/my/"))


def test_registration_mail_is_in_the_managers_language(
    client: FlaskClient, session: Session, world: World, settings: Settings
) -> None:
    manager = session.get(User, world.manager_a.id)
    assert manager is not None
    manager.language = "en"
    session.add(manager)
    session.commit()
    assert post_form(client, "/register", registration()).status_code == 302
    (mail,) = sent_mails(settings.instance_path)
    assert mail["Subject"] == "New registration: Gamma Oberflächentechnik GmbH"
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Message-ID"]


def test_a_concurrent_registration_with_the_same_address_gets_a_clear_message_and_no_mail(
    client: FlaskClient,
    session: Session,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another registration commits the address between the check and this commit: the unique
    index refuses it; the user reads why, and the managers were not mailed about it."""
    from matchmaker.companies import profiles
    from matchmaker.models import OutboxMessage
    from tests.factories import make_user

    check = profiles.ensure_email_free

    def check_then_lose_the_race(*args: Any, **kwargs: Any) -> None:
        check(*args, **kwargs)
        with Session(session.get_bind()) as other:  # the concurrent registration
            make_user(
                other,
                Role.MEMBER,
                company=other.get(Company, world.company_a2.id),
                email="jana@gamma.example",
            )
            other.commit()

    monkeypatch.setattr(profiles, "ensure_email_free", check_then_lose_the_race)
    response = post_form(client, "/register", registration(email="jana@gamma.example"))
    assert response.status_code == 422
    assert "Mit dieser E-Mail-Adresse gibt es bereits ein Konto." in text_of(response)
    assert session.scalars(select(OutboxMessage)).all() == []
    assert sent_mails(settings.instance_path) == []
    assert (
        session.scalars(
            select(Company).where(Company.name == "Gamma Oberflächentechnik GmbH")
        ).all()
        == []
    )
