"""Fixtures shared by all tests: databases (SQLite and PostgreSQL), the app, clients, data.

Every test that uses the database runs twice: on SQLite and on PostgreSQL. The PostgreSQL run
needs ``MATCHMAKER_TEST_DATABASE_URL`` (CI sets it); without it those runs are skipped with that
reason. The database at that URL is wiped: point it at a database used for tests only.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request, request_finished
from flask.testing import FlaskClient
from flask_login import current_user
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import matches, migrate
from matchmaker.app import create_app
from matchmaker.config import Settings, load_settings
from matchmaker.db import make_engine
from tests.factories import World, build_world
from tests.helpers import drain_after_requests

pytest_plugins = ["tests.smtp"]

PG_ENV = "MATCHMAKER_TEST_DATABASE_URL"
_SEED_ROWS: dict[int, dict[str, list[dict[str, Any]]]] = {}


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database per backend, shared by the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    else:
        url = os.environ.get(PG_ENV, "")
        if not url:
            pytest.skip(
                f"PostgreSQL run skipped: set {PG_ENV} "
                "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run it"
            )
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
    migrate.upgrade(engine)
    _SEED_ROWS[id(engine)] = _snapshot(engine)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(engine)
    return [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]


def _snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Rows the migrations insert (the default categories), restored after every test."""
    with engine.connect() as conn:
        return {
            table.name: [dict(row._mapping) for row in conn.execute(select(table))]
            for table in _tables(engine)
        }


def _restore(engine: Engine) -> None:
    matches.reset(engine)  # the in-process match index must not keep the emptied rows
    tables = _tables(engine)
    seed = _SEED_ROWS[id(engine)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            if inspect(conn).has_table("sqlite_sequence"):
                conn.execute(text("DELETE FROM sqlite_sequence"))
        for table in reversed(tables):
            rows = seed.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
                if engine.dialect.name == "postgresql" and "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'(SELECT MAX(id) FROM "{table.name}"))'
                        )
                    )


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The database, emptied back to its freshly migrated state after each test."""
    yield migrated_engine
    _restore(migrated_engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return load_settings(
        env="testing",
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        database_url=engine.url.render_as_string(hide_password=False),
        instance_path=tmp_path / "instance",
        mail_backend="file",
        mail_drain_after_commit=False,  # the app fixtures drain in the request instead
        matching="inline",  # one matcher pass after each commit that recorded match jobs
        base_url="http://localhost",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Flask:
    return drain_after_requests(create_app(settings, engine=engine))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(session: Session) -> Iterator[World]:
    """Two networks, three companies, members, managers, an admin and some postings."""
    world = build_world(session)
    session.commit()
    _PERSONA_OF.clear()
    _PERSONA_OF.update({user.id: name for name, user in world.personas().items() if user})
    _PERSONA_OF[None] = "anonymous"
    yield world
    _PERSONA_OF.clear()


# Route coverage: every route of the app must be requested by each of the six personas somewhere
# in the suite (the access-rule tests). Requests are recorded as they happen; the check runs when
# the whole suite ran (see pytest_sessionfinish).
PERSONA_NAMES = (
    "anonymous",
    "same_company",
    "other_company",
    "manager_same_network",
    "manager_other_network",
    "admin",
)
_PERSONA_OF: dict[int | None, str] = {}
_COVERED: dict[str, set[str]] = defaultdict(set)
_ENDPOINTS: set[str] = set()


def _record_route(sender: Flask, response: Any, **_extra: Any) -> None:
    if not _ENDPOINTS:
        _ENDPOINTS.update(rule.endpoint for rule in sender.url_map.iter_rules())
    if not _PERSONA_OF or request.endpoint is None or request.url_rule is None:
        return
    user = g.get("user")
    if user is None and current_user.is_authenticated:  # pages that never looked at the user
        user = current_user.user
    persona = _PERSONA_OF.get(user.id if user is not None else None)
    if persona is not None:
        _COVERED[request.endpoint].add(persona)


request_finished.connect(_record_route)


def route_coverage_gaps() -> dict[str, list[str]]:
    """Endpoints and the personas that never requested them (static files excepted)."""
    gaps = {}
    for endpoint in sorted(_ENDPOINTS - {"static"}):
        missing = [p for p in PERSONA_NAMES if p not in _COVERED.get(endpoint, set())]
        if missing:
            gaps[endpoint] = missing
    return gaps


def _whole_suite(config: pytest.Config) -> bool:
    selected = [
        arg for arg in config.args if arg not in ("tests", "tests/", str(Path(__file__).parent))
    ]
    return not selected and not config.getoption("keyword") and not config.getoption("markexpr")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Checks over the whole run: every route tested for every persona; in CI
    (MATCHMAKER_TEST_STRICT=1) every part is installed, so a skip is a failure."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if _whole_suite(session.config) and exitstatus == 0 and _ENDPOINTS:
        gaps = route_coverage_gaps()
        if gaps:
            if reporter:
                reporter.write_line("Routes not requested by every persona:", red=True)
                for endpoint, personas in gaps.items():
                    reporter.write_line(f"  {endpoint}: {', '.join(personas)}", red=True)
            session.exitstatus = 1
            return
    if os.environ.get("MATCHMAKER_TEST_STRICT") != "1":
        return
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(
                f"MATCHMAKER_TEST_STRICT: {skipped} test(s) skipped; CI must run every test.",
                red=True,
            )
        session.exitstatus = 1
