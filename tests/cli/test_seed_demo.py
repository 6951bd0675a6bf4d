"""The demo loader (``matchmaker.demo``) and ``matchmaker seed-demo``."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import accounts, demo
from matchmaker.cli import cli
from matchmaker.config import Settings
from matchmaker.errors import Conflict, PermissionDenied
from matchmaker.models import AuditEvent, Company, Network, Posting, Role, User
from matchmaker.security import verify_password
from tests.cli.conftest import DEMO_FIXTURE, REPO, Invoke, row_counts
from tests.factories import World

TODAY = date(2026, 3, 2)
REAL_DEMO = REPO / "data" / "demo"
needs_real_demo = pytest.mark.skipif(
    not (REAL_DEMO / "postings.jsonl").is_file(),
    reason=f"the demo data set is not in this checkout ({REAL_DEMO} has no postings.jsonl)",
)


def load_fixture(session: Session, path: Path = DEMO_FIXTURE) -> demo.DemoSummary:
    return demo.load_demo(session=session, path=path, environment="testing", today=TODAY)


def count(session: Session, model: type, *where: object) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()  # type: ignore[arg-type]


def posting(session: Session, title: str) -> Posting:
    return session.execute(select(Posting).where(Posting.title == title)).scalar_one()


def test_loads_the_fixture_through_the_services(session: Session) -> None:
    summary = load_fixture(session)
    session.commit()

    assert summary.networks == 2 and summary.managers == 2
    assert dict(summary.companies) == {"approved": 2, "pending": 1}
    assert summary.members == 4
    assert dict(summary.postings) == {
        "active": 3,
        "paused": 1,
        "draft": 1,
        "fulfilled": 1,
        "withdrawn": 1,
    }
    assert count(session, Network) == 2
    assert count(session, Company, Company.status == "pending") == 1
    assert count(session, User, User.role == Role.MEMBER.value) == 4
    assert count(session, User, User.role == Role.MANAGER.value) == 2
    assert count(session, Posting) == 7

    shared = accounts.user_by_email(session, "k.both@testnetz.example")
    assert shared is not None and shared.language == "en"
    assert {n.slug for n in shared.managed_networks} == {"testnetz-saale", "testnetz-ilm"}
    saale = session.execute(select(Company).where(Company.name == "Saale Metall GmbH")).scalar_one()
    assert {n.slug for n in saale.networks} == {"testnetz-saale", "testnetz-ilm"}
    assert saale.reviewed_at is not None

    admin = accounts.user_by_email(session, demo.ADMIN_EMAIL)
    assert admin is not None and admin.role == Role.ADMIN.value


def test_dates_are_offsets_from_the_load_day_and_statuses_follow_the_lifecycle(
    session: Session,
) -> None:
    load_fixture(session)
    sheet = posting(session, "Edelstahlblech 1.4301, 2 mm")
    assert (sheet.available_from, sheet.available_until, sheet.valid_until) == (
        TODAY - timedelta(days=7),
        TODAY + timedelta(days=21),
        TODAY + timedelta(days=28),
    )
    assert sheet.status == "active" and sheet.published_at is not None
    assert sheet.postal_code == "07745"  # null: the company's own postal code
    milling = posting(session, "Free 5-axis milling hours")
    assert (milling.status, milling.postal_code, milling.language) == ("paused", "07743", "en")
    assert milling.published_at is not None
    draft = posting(session, "Messraum mit Zeiss-KMG frei")
    assert draft.status == "draft" and draft.published_at is None and draft.quantity is None
    fulfilled = posting(session, "Gabelstaplerfahrer für zwei Wochen")
    assert fulfilled.status == "fulfilled" and fulfilled.closed_at is not None
    assert posting(session, "LKW-Teilladung Ilmenau–Erfurt").status == "withdrawn"
    actions = set(session.execute(select(AuditEvent.action)).scalars())
    assert {"network.create", "company.create", "user.create", "posting.create"} <= actions
    assert {"posting.pause", "posting.fulfil", "posting.withdraw"} <= actions


def test_every_account_gets_the_demo_password_hashed_once(session: Session) -> None:
    load_fixture(session)
    users = session.execute(select(User)).scalars().all()
    assert len(users) == 2 + 4 + 1  # managers, members, admin
    hashes = {user.password_hash for user in users}
    assert len(hashes) == 1
    (only,) = hashes
    assert verify_password(only, demo.DEMO_PASSWORD)
    assert not verify_password(only, "falsches-passwort")


def test_refuses_production(session: Session) -> None:
    with pytest.raises(PermissionDenied, match="never loaded in production"):
        demo.load_demo(session=session, path=DEMO_FIXTURE, environment="production")
    assert count(session, Network) == 0


def test_refuses_a_database_with_data(session: Session, world: World) -> None:
    assert not demo.is_empty(session)
    with pytest.raises(Conflict, match="empty database only"):
        load_fixture(session)


def test_the_default_categories_do_not_count_as_data(session: Session) -> None:
    assert demo.is_empty(session)


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_FIXTURE, folder)
    target = folder / name
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "old", "new", "where"),
    [
        (
            "postings.jsonl",
            '"kind": "offer", "title": "Free',
            '"kind": "offer" "title": "Free',
            "line 2",
        ),
        (
            "postings.jsonl",
            '"company": "ilm-logistik", "kind": "need"',
            '"company": "nix", "kind": "need"',
            "line 6",
        ),
        ("postings.jsonl", '"category": "storage"', '"category": "lagerung"', "line 4: category"),
        ("postings.jsonl", '"status": "withdrawn"', '"status": "gone"', "line 7: status"),
        (
            "companies.json",
            '"postal_code": "98693"',
            '"postal_code": "9869"',
            "entry 2 (ilm-logistik): postal_code",
        ),
        (
            "companies.json",
            '"networks": ["testnetz-ilm"]',
            '"networks": ["testnetz-x"]',
            "entry 2 (ilm-logistik): company.networks: Unknown network: testnetz-x",
        ),
        ("companies.json", '"key": "neu-kunststoff"', '"key": "saale-metall"', "used twice"),
        (
            "networks.json",
            '"slug": "testnetz-ilm"',
            '"slug": "Testnetz Ilm"',
            "networks.json, entry 2: slug",
        ),
        (
            "networks.json",
            '"name": "Maria Saale"',
            '"nom": "Maria Saale"',
            "networks.json, entry 1: managers.0",
        ),
    ],
    ids=[
        "json",
        "company-key",
        "category",
        "status",
        "postal-code",
        "network",
        "key-twice",
        "slug",
        "field",
    ],
)
def test_a_broken_file_names_the_place_and_stores_nothing(
    invoke: Invoke, engine: Engine, tmp_path: Path, name: str, old: str, new: str, where: str
) -> None:
    folder = broken_copy(tmp_path, name, old, new)
    before = row_counts(engine)
    result = invoke("seed-demo", "--path", str(folder))
    assert result.exit_code == 1, result.output
    assert where in result.output
    assert "Traceback" not in result.output
    assert row_counts(engine) == before


def test_a_missing_folder_or_file_is_named(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("seed-demo", "--path", str(tmp_path / "nirgends"))
    assert result.exit_code == 1
    assert "no demo data folder" in result.output
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_FIXTURE, folder)
    (folder / "companies.json").unlink()
    result = invoke("seed-demo", "--path", str(folder))
    assert result.exit_code == 1
    assert "companies.json is missing" in result.output


def test_command_prints_a_summary(invoke: Invoke, engine: Engine) -> None:
    result = invoke("seed-demo", "--path", str(DEMO_FIXTURE))
    assert result.exit_code == 0, result.output
    assert "networks:  2 (2 managers)" in result.output
    assert "companies: 3 (2 approved, 1 pending), 4 members" in result.output
    assert "postings:  7 (3 active, 1 draft, 1 paused, 1 fulfilled, 1 withdrawn)" in result.output
    assert demo.ADMIN_EMAIL in result.output and demo.DEMO_PASSWORD in result.output
    assert row_counts(engine)["posting"] == 7


def test_if_empty_is_idempotent(invoke: Invoke, engine: Engine) -> None:
    first = invoke("seed-demo", "--if-empty", "--path", str(DEMO_FIXTURE))
    assert first.exit_code == 0, first.output
    after_first = row_counts(engine)
    second = invoke("seed-demo", "--if-empty", "--path", str(DEMO_FIXTURE))
    assert second.exit_code == 0, second.output
    assert "the demo data was not loaded" in second.output
    assert row_counts(engine) == after_first


def test_without_if_empty_a_database_with_data_is_refused(
    invoke: Invoke, engine: Engine, world: World
) -> None:
    before = row_counts(engine)
    result = invoke("seed-demo", "--path", str(DEMO_FIXTURE))
    assert result.exit_code == 1
    assert "holds data already" in result.output
    assert row_counts(engine) == before
    skipped = invoke("seed-demo", "--if-empty", "--path", str(DEMO_FIXTURE))
    assert skipped.exit_code == 0
    assert row_counts(engine) == before


def test_refused_in_production(settings: Settings, engine: Engine) -> None:
    production = settings.model_copy(update={"env": "production", "mail_backend": "smtp"})
    from matchmaker.app import create_app

    app: Flask = create_app(production, engine=engine)
    before = row_counts(engine)
    for args in (["seed-demo"], ["seed-demo", "--if-empty", "--path", str(DEMO_FIXTURE)]):
        result = app.test_cli_runner().invoke(cli, args)
        assert result.exit_code == 1
        assert "never loaded in production" in result.output
    assert row_counts(engine) == before


@needs_real_demo
def test_the_real_demo_data_loads_with_the_documented_counts(
    invoke: Invoke, session: Session
) -> None:
    result = invoke("seed-demo")
    assert result.exit_code == 0, result.output
    assert "networks:  5 (8 managers)" in result.output
    assert "companies: 47 (44 approved, 3 pending), 69 members" in result.output
    assert (
        "postings:  260 (224 active, 12 draft, 8 paused, 10 fulfilled, 6 withdrawn)"
        in result.output
    )
    for email in (demo.ADMIN_EMAIL, "s.wagner@wagner-feinmechanik.example"):
        login = accounts.authenticate(session=session, email=email, password=demo.DEMO_PASSWORD)
        assert login.user is not None, email
    session.rollback()


README_MANAGER = "k.hoffmann@praezision-thueringen.example"


@needs_real_demo
def test_the_readmes_demo_manager_has_a_registration_to_approve(
    invoke: Invoke, session: Session
) -> None:
    """Before, the three waiting companies belonged to other managers' networks: the first
    manager login a new user tries showed no work of a manager."""
    assert README_MANAGER in (REPO / "README.md").read_text()
    assert invoke("seed-demo").exit_code == 0
    manager = session.execute(select(User).where(User.email == README_MANAGER)).scalar_one()
    networks = {n.id for n in manager.managed_networks}
    waiting = [
        company
        for company in session.execute(select(Company).where(Company.status == "pending"))
        .scalars()
        .all()
        if networks & {n.id for n in company.networks}
    ]
    assert waiting, "the README's manager has nothing to approve"
    session.rollback()
