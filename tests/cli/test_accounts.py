"""``matchmaker users create``, ``matchmaker tokens create`` and ``matchmaker expire-postings``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import accounts, clock
from matchmaker.models import ApiToken, AuditEvent, NetworkManager, Posting, Role, User
from tests.cli.conftest import Invoke, row_counts
from tests.factories import World, make_company
from tests.helpers import post_form

NEW_PASSWORD = "ein-langes-passwort"


def stored_user(session: Session, email: str) -> User | None:
    session.expire_all()
    return accounts.user_by_email(session, email)


def managed_slugs(session: Session, user: User) -> set[str]:
    return {network.slug for network in user.managed_networks}


def password_works(session: Session, email: str, password: str) -> bool:
    session.expire_all()
    login = accounts.authenticate(session=session, email=email, password=password)
    session.rollback()
    return login.user is not None


@pytest.mark.parametrize(
    ("role", "options"),
    [
        ("member", ["--company", "Alpha Feinmechanik GmbH"]),
        ("manager", ["--network", "netz-nord", "--network", "netz-sued"]),
        ("admin", []),
    ],
)
def test_create_without_terminal_prints_a_link_that_sets_the_password(
    app: Flask, invoke: Invoke, session: Session, world: World, role: str, options: list[str]
) -> None:
    email = f"neu.{role}@example.org"
    result = invoke("users", "create", "--email", email, "--role", role, *options)
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output  # no prompt without a terminal
    assert f"Created {role} {email}" in result.output

    user = stored_user(session, email)
    assert user is not None and user.role == role and user.password_hash is None
    if role == "member":
        assert user.company_id == world.company_a1.id
    if role == "manager":
        assert managed_slugs(session, user) == {"netz-nord", "netz-sued"}

    link = result.output.strip().splitlines()[-1]
    prefix = "http://localhost/password/"
    assert link.startswith(prefix), result.output
    path = link.removeprefix("http://localhost")
    client = app.test_client()
    assert client.get(path).status_code == 200
    response = post_form(client, path, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert password_works(session, email, NEW_PASSWORD)
    assert client.get(path).status_code == 404  # the link works once


def test_member_company_may_be_given_by_id(invoke: Invoke, session: Session, world: World) -> None:
    result = invoke(
        "users",
        "create",
        "--email",
        "per.id@example.org",
        "--role",
        "member",
        "--company",
        str(world.company_b1.id),
        "--name",
        "Per Id",
        "--language",
        "en",
    )
    assert result.exit_code == 0, result.output
    user = stored_user(session, "per.id@example.org")
    assert user is not None
    assert (user.company_id, user.name, user.language) == (world.company_b1.id, "Per Id", "en")


def test_terminal_asks_for_the_password_twice(
    terminal: Invoke, session: Session, world: World
) -> None:
    result = terminal(
        "users",
        "create",
        "--email",
        "tippt@example.org",
        "--role",
        "admin",
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat" in result.output
    assert "/password/" not in result.output  # no link needed
    assert NEW_PASSWORD not in result.output  # hidden input is not echoed
    assert password_works(session, "tippt@example.org", NEW_PASSWORD)
    session.rollback()
    events = session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.password")
    ).scalars()
    assert len(list(events)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("kurz\nkurz\n", "at least 10 characters"),
        (f"{NEW_PASSWORD}\nanders-als-vorher\n" * 2, None),  # click asks again, then gives up
    ],
)
def test_terminal_password_must_be_valid_or_nothing_is_stored(
    terminal: Invoke,
    engine: Engine,
    world: World,
    typed: str,
    message: str | None,
) -> None:
    before = row_counts(engine)
    result = terminal(
        "users", "create", "--email", "tippt@example.org", "--role", "admin", input=typed
    )
    assert result.exit_code != 0
    if message:
        assert message in result.output
    assert row_counts(engine) == before


def test_no_password_flag_prints_a_link_even_at_a_terminal(
    terminal: Invoke, session: Session, world: World
) -> None:
    result = terminal(
        "users", "create", "--email", "link@example.org", "--role", "admin", "--no-password"
    )
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    assert "/password/" in result.output.splitlines()[-1]
    user = stored_user(session, "link@example.org")
    assert user is not None and user.password_hash is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "member"], "A member needs --company."),
        (["--role", "manager"], "A manager needs at least one --network."),
        (["--role", "admin", "--company", "Alpha Feinmechanik GmbH"], "Only members belong"),
        (["--role", "member", "--company", "1", "--network", "netz-nord"], "Only managers"),
        (["--role", "boss"], "Invalid value for '--role'"),
        (["--role", "member", "--company", "Gibt es nicht GmbH"], "no company"),
        (["--role", "member", "--company", "99999"], "no company"),
        (["--role", "manager", "--network", "netz-west"], "Unknown network: netz-west"),
        (["--role", "admin", "--email", "MEMBER.A1@example.org"], "exists already"),
        (["--role", "admin", "--email", "kein-at-zeichen"], "valid e-mail"),
        (["--role", "admin", "--name", "<b>X</b>\nY"], "single line"),
    ],
)
def test_invalid_requests_fail_cleanly_and_store_nothing(
    invoke: Invoke, engine: Engine, world: World, args: list[str], message: str
) -> None:
    if "--email" not in args:
        args = [*args, "--email", "neu@example.org"]
    before = row_counts(engine)
    result = invoke("users", "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert row_counts(engine) == before


def test_a_company_name_shared_by_two_companies_is_refused(
    invoke: Invoke, engine: Engine, session: Session, world: World
) -> None:
    make_company(session, [world.network_b], name="Alpha Feinmechanik GmbH")
    session.commit()
    before = row_counts(engine)
    result = invoke(
        "users",
        "create",
        "--email",
        "neu@example.org",
        "--role",
        "member",
        "--company",
        "alpha feinmechanik gmbh",
    )
    assert result.exit_code == 1
    assert "Several companies" in result.output
    assert row_counts(engine) == before


def test_manager_networks_are_stored(invoke: Invoke, session: Session, world: World) -> None:
    result = invoke(
        "users",
        "create",
        "--email",
        "chef@example.org",
        "--role",
        "manager",
        "--network",
        "netz-sued",
    )
    assert result.exit_code == 0, result.output
    user = stored_user(session, "chef@example.org")
    assert user is not None
    rows = session.execute(
        select(NetworkManager.network_id).where(NetworkManager.user_id == user.id)
    ).scalars()
    assert list(rows) == [world.network_b.id]


def test_token_is_printed_alone_on_the_last_line_and_authenticates(
    invoke: Invoke, session: Session, world: World
) -> None:
    result = invoke("tokens", "create", "--email", "MEMBER.A1@example.org", "--name", "CRM")
    assert result.exit_code == 0, result.output
    token = result.output.rstrip("\n").splitlines()[-1]
    assert token.startswith("mm_") and " " not in token
    user = accounts.user_for_api_token(session=session, token=token)
    assert user is not None and user.id == world.member_a1.id
    stored = session.execute(select(ApiToken)).scalars().all()
    assert [(row.user_id, row.name) for row in stored] == [(world.member_a1.id, "CRM")]
    assert stored[0].token_hash != token  # only the hash is kept


def test_token_for_unknown_or_deactivated_account_is_refused(
    invoke: Invoke, engine: Engine, session: Session, world: World
) -> None:
    before = row_counts(engine)
    unknown = invoke("tokens", "create", "--email", "niemand@example.org")
    assert unknown.exit_code == 1
    assert "No account with e-mail" in unknown.output

    user = session.get(User, world.member_b1.id)
    assert user is not None
    user.active = False
    session.add(user)
    session.commit()
    before = row_counts(engine)
    inactive = invoke("tokens", "create", "--email", "member.b1@example.org")
    assert inactive.exit_code == 1
    assert "deactivated" in inactive.output
    assert row_counts(engine) == before


def test_expire_postings_expires_only_open_postings_past_validity(
    invoke: Invoke, session: Session, world: World
) -> None:
    yesterday = clock.today() - timedelta(days=1)
    for posting_id in (world.posting_a1.id, world.draft_a1.id):
        posting = session.get(Posting, posting_id)
        assert posting is not None
        posting.valid_until = yesterday
        session.add(posting)
    session.commit()

    result = invoke("expire-postings")
    assert result.exit_code == 0, result.output
    assert "1 posting(s) expired." in result.output
    session.expire_all()
    statuses = {
        p.id: p.status for p in session.execute(select(Posting)).scalars() if p.id is not None
    }
    assert statuses[world.posting_a1.id] == "expired"
    assert statuses[world.draft_a1.id] == "draft"  # drafts do not expire
    assert statuses[world.posting_b1.id] == "active"

    again = invoke("expire-postings")
    assert again.exit_code == 0
    assert "0 posting(s) expired." in again.output


def test_roles_offered_by_the_command_are_the_model_roles(invoke: Invoke) -> None:
    result = invoke("users", "create", "--help")
    assert result.exit_code == 0
    for role in Role.values():
        assert role in result.output
