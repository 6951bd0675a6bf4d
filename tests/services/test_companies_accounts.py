"""Company registration and review, accounts, logins, password links and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker import accounts, companies
from matchmaker.access import Actor
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.models import ApiToken, Company, PasswordToken, Role, TokenPurpose, User
from matchmaker.schemas import PasswordInput, RegistrationInput, UserInput
from matchmaker.validation import parse
from tests.factories import PASSWORD, World


def registration(**company: object) -> RegistrationInput:
    values: dict[str, object] = {
        "name": "Zeta Zerspanung GmbH",
        "postal_code": "07743",
        "city": "Jena",
        "contact_email": "Info@Zeta.example",
        "networks": ["netz-nord"],
    }
    values.update(company)
    return parse(
        RegistrationInput,
        {
            "company": values,
            "account": {"name": "Zora Zeta", "email": "Zora@Zeta.example", "language": "en"},
            "password": {"password": "lange-genug-123", "password_repeat": "lange-genug-123"},
        },
    )


def test_registration_creates_a_pending_company_and_its_first_member(
    session: Session, world: World
) -> None:
    company, user = companies.register_company(session=session, data=registration())
    assert company.status == "pending"
    assert company.contact_email == "info@zeta.example"
    assert user.email == "zora@zeta.example"
    assert user.role == "member" and user.company_id == company.id
    assert user.language == "en"
    assert (
        accounts.authenticate(
            session=session, email="ZORA@zeta.example", password="lange-genug-123"
        ).user
        == user
    )


def test_registration_refuses_taken_email_and_unknown_network(
    session: Session, world: World
) -> None:
    companies.register_company(session=session, data=registration())
    with pytest.raises(InvalidInput) as info:
        companies.register_company(session=session, data=registration())
    assert "account.email" in info.value.by_field()


def test_review_is_scoped_to_the_managers_networks(session: Session, world: World) -> None:
    pending = world.pending_a.id
    assert pending is not None
    with pytest.raises(NotFound):
        companies.approve_company(
            session=session, actor=Actor.for_user(session, world.manager_b), company_id=pending
        )
    with pytest.raises(NotFound):
        companies.approve_company(
            session=session, actor=Actor.for_user(session, world.member_a1), company_id=pending
        )
    with pytest.raises(InvalidInput):
        companies.reject_company(
            session=session,
            actor=Actor.for_user(session, world.manager_a),
            company_id=pending,
            reason="  ",
        )
    approved = companies.approve_company(
        session=session, actor=Actor.for_user(session, world.manager_a), company_id=pending
    )
    assert approved.status == "approved" and approved.reviewed_at is not None
    with pytest.raises(Conflict):
        companies.reject_company(
            session=session,
            actor=Actor.for_user(session, world.manager_a),
            company_id=pending,
            reason="zu spät",
        )
    # approved companies are public, but a foreign manager still may not act for them
    with pytest.raises(PermissionDenied):
        companies.suspend_company(
            session=session,
            actor=Actor.for_user(session, world.manager_b),
            company_id=pending,
            reason="Test",
        )


def test_members_edit_only_their_own_company(session: Session, world: World) -> None:
    data = companies.company_values(world.company_a1)
    data["profile"] = "Neues Profil"
    from matchmaker.schemas import CompanyInput

    new = CompanyInput(**data)
    with pytest.raises(PermissionDenied):
        companies.update_company(
            session=session,
            actor=Actor.for_user(session, world.member_a2),
            company_id=world.company_a1.id,  # type: ignore[arg-type]
            data=new,
        )
    updated = companies.update_company(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        company_id=world.company_a1.id,  # type: ignore[arg-type]
        data=new,
    )
    assert updated.profile == "Neues Profil"


def test_create_user_rules(session: Session, world: World) -> None:
    system = Actor.system()
    with pytest.raises(PermissionDenied):
        accounts.create_user(
            session=session,
            actor=Actor.for_user(session, world.manager_a),
            data=UserInput(name="Max", email="max@example.org", role=Role.ADMIN),
        )
    with pytest.raises(InvalidInput):
        accounts.create_user(
            session=session,
            actor=system,
            data=UserInput(name="Max", email="max@example.org", role=Role.MEMBER),
        )
    with pytest.raises(InvalidInput):
        accounts.create_user(
            session=session,
            actor=system,
            data=UserInput(name="Max", email="max@example.org", role=Role.MANAGER),
        )
    with pytest.raises(InvalidInput):
        accounts.create_user(
            session=session,
            actor=system,
            data=UserInput(name="Max", email="MEMBER.A1@example.org", role=Role.ADMIN),
        )
    manager = accounts.create_user(
        session=session,
        actor=system,
        data=UserInput(
            name="Max", email="max@example.org", role=Role.MANAGER, network_slugs=["netz-sued"]
        ),
    )
    assert Actor.for_user(session, manager).network_ids == {world.network_b.id}


def test_every_login_failure_is_one_answer_after_one_password_check(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown address, wrong password, deactivated account: the same result, and each path
    verifies a password hash, so that none answers measurably faster."""
    checked: list[str | None] = []
    verify = accounts.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    accounts.set_active(session=session, actor=Actor.system(), user=world.member_a2, active=False)
    attempts = [
        ("niemand@example.org", PASSWORD),
        (world.member_a1.email, "falsch"),
        (world.member_a2.email, PASSWORD),
    ]
    for email, password in attempts:
        login = accounts.authenticate(session=session, email=email, password=password)
        assert login == accounts.Login(accounts.LoginResult.FAILED)
    assert len(checked) == len(attempts)
    for _ in range(10):  # no lock-out: the owner still gets in
        accounts.authenticate(session=session, email=world.member_a1.email, password="falsch")
    login = accounts.authenticate(session=session, email=world.member_a1.email, password=PASSWORD)
    assert login.result is accounts.LoginResult.OK and login.user is not None


def test_parallel_failures_are_all_counted(engine: Engine, world: World) -> None:
    """The counter is incremented in SQL: a session holding an old copy of the account does not
    overwrite a failure counted by another in the meantime."""
    email = world.member_a1.email
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        stale = accounts.user_by_email(first, email)
        assert stale is not None and stale.failed_logins == 0
        first.commit()  # keeps the loaded copy, as a long request would
        accounts.authenticate(session=second, email=email, password="falsch")
        second.commit()
        accounts.authenticate(session=first, email=email, password="falsch")
        first.commit()
    with Session(engine) as fresh:
        user = fresh.get(User, world.member_a1.id)
        assert user is not None and user.failed_logins == 2


def test_inactive_accounts_cannot_log_in(session: Session, world: World) -> None:
    accounts.set_active(session=session, actor=Actor.system(), user=world.member_a2, active=False)
    result = accounts.authenticate(session=session, email=world.member_a2.email, password=PASSWORD)
    assert result.result is accounts.LoginResult.FAILED and result.user is None


def test_password_links_work_once_and_expire(session: Session, world: World) -> None:
    user = world.member_a1
    version = user.session_version
    token = accounts.issue_password_token(session=session, user=user, purpose=TokenPurpose.RESET)
    stored = session.exec(select(PasswordToken).where(PasswordToken.user_id == user.id)).one()
    assert token not in stored.token_hash  # only the hash is kept
    new = PasswordInput(password="ein-neues-passwort", password_repeat="ein-neues-passwort")
    accounts.set_password_with_token(session=session, token=token, data=new)
    assert user.session_version == version + 1
    with pytest.raises(NotFound):
        accounts.set_password_with_token(session=session, token=token, data=new)
    expired = accounts.issue_password_token(
        session=session, user=user, purpose=TokenPurpose.RESET, hours=1
    )
    row = session.exec(select(PasswordToken).where(PasswordToken.used_at.is_(None))).one()  # type: ignore[union-attr]
    row.expires_at = utcnow() - timedelta(minutes=1)
    assert accounts.user_for_password_token(session=session, token=expired) is None
    first = accounts.issue_password_token(session=session, user=user, purpose=TokenPurpose.RESET)
    accounts.issue_password_token(session=session, user=user, purpose=TokenPurpose.RESET)
    assert accounts.user_for_password_token(session=session, token=first) is None


def test_api_tokens_are_stored_hashed(session: Session, world: World) -> None:
    token = accounts.create_api_token(session=session, user=world.manager_a, name="CRM")
    assert token.startswith("mm_")
    row = session.exec(select(ApiToken)).one()
    assert row.token_hash != token and token.startswith(row.prefix)
    assert accounts.user_for_api_token(session=session, token=token) == world.manager_a
    assert accounts.user_for_api_token(session=session, token=token + "x") is None
    row.revoked_at = utcnow()
    assert accounts.user_for_api_token(session=session, token=token) is None


def test_company_rows_are_kept_when_a_member_leaves(session: Session, world: World) -> None:
    session.delete(world.member_a1)
    session.flush()
    assert session.get(Company, world.company_a1.id) is not None


def test_registration_reports_all_problems_at_once(session: Session, world: World) -> None:
    companies.register_company(session=session, data=registration())
    with pytest.raises(InvalidInput) as info:
        companies.register_company(session=session, data=registration(networks=["gibt-es-nicht"]))
    assert {"account.email", "company.networks"} <= set(info.value.by_field())
