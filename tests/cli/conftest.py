"""Fixtures for the command-line tests: a CLI runner on the test app, blank databases, counts."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from matchmaker.app import create_app
from matchmaker.cli import cli
from matchmaker.config import Settings
from matchmaker.db import make_engine
from matchmaker.models import (
    ApiToken,
    AuditEvent,
    Company,
    Network,
    PasswordToken,
    Posting,
    User,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_FIXTURE = FIXTURES / "demo"
REPO = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).with_name("matchmaker")

Invoke = Callable[..., Result]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def invoker(runner: FlaskCliRunner) -> Invoke:
    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input)

    return invoke


@pytest.fixture
def invoke(runner: FlaskCliRunner) -> Invoke:
    """Run ``matchmaker <args>`` against the test app and database."""
    return invoker(runner)


class TerminalRunner(FlaskCliRunner):
    """A runner whose standard input claims to be a terminal, as when a person types."""

    @contextmanager
    def isolation(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with super().isolation(*args, **kwargs) as streams:
            sys.stdin.isatty = lambda: True  # type: ignore[method-assign]
            yield streams


@pytest.fixture
def terminal(app: Flask) -> Invoke:
    """Like ``invoke``, but the command sees a terminal and reads the given input."""
    return invoker(TerminalRunner(app))


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows the tables a command may write hold: to prove that nothing changed."""
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Network, Company, User, Posting, AuditEvent, PasswordToken, ApiToken)
        }


@pytest.fixture
def blank_database_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database on the same backend as ``engine``.

    SQLite: a new file. PostgreSQL: a fresh schema in the test database, made the connection's
    default through ``search_path``, dropped afterwards.
    """
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.sqlite3'}"
        return
    schema = f"cli_blank_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def blank_app(settings: Settings, blank_database_url: str) -> Iterator[Flask]:
    """The app on a blank database (no schema yet)."""
    blank_engine = make_engine(blank_database_url)
    app = create_app(
        settings.model_copy(update={"database_url": blank_database_url}), engine=blank_engine
    )
    yield app
    blank_engine.dispose()


def console_env(instance: Path, **extra: str) -> dict[str, str]:
    """The environment for the installed ``matchmaker`` script: no MATCHMAKER_* of the caller."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MATCHMAKER_")}
    env.update(
        MATCHMAKER_ENV="development",
        MATCHMAKER_INSTANCE_PATH=str(instance),
        MATCHMAKER_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def output_lines(result: Result) -> Sequence[str]:
    return [line for line in result.output.splitlines() if line.strip()]
