"""``matchmaker init-db``, the hint on an unmigrated database, and the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect

from matchmaker import migrate
from matchmaker.cli import cli
from tests.cli.conftest import CONSOLE_SCRIPT, DEMO_FIXTURE, FIXTURES, Invoke, console_env

COMMANDS = (
    "init-db",
    "seed-demo",
    "import-postings",
    "serve",
    "scheduler",
    "expire-postings",
    "users",
    "tokens",
)


def test_init_db_creates_the_schema_and_is_idempotent(blank_app: Flask) -> None:
    engine = blank_app.extensions["matchmaker.engine"]
    runner = blank_app.test_cli_runner()
    assert migrate.current_revision(engine) is None

    first = runner.invoke(cli, ["init-db"])
    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to {migrate.head_revision()}" in first.output
    assert migrate.is_up_to_date(engine)
    assert {"posting", "company", "user_account"} <= set(inspect(engine).get_table_names())

    second = runner.invoke(cli, ["init-db"])
    assert second.exit_code == 0, second.output
    assert f"up to date ({migrate.head_revision()})" in second.output
    assert migrate.is_up_to_date(engine)


def test_init_db_on_a_migrated_database_changes_nothing(invoke: Invoke) -> None:
    result = invoke("init-db")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["expire-postings"],
        ["seed-demo", "--path", str(DEMO_FIXTURE)],
        ["seed-demo", "--if-empty"],
        ["import-postings", str(FIXTURES / "import" / "valid.csv")],
        ["users", "create", "--email", "admin@example.org", "--role", "admin"],
        ["tokens", "create", "--email", "admin@example.org"],
        ["serve", "--port", "1"],
    ],
    ids=lambda args: "-".join(a for a in args if not a.startswith("/"))[:40],
)
def test_commands_on_an_unmigrated_database_ask_for_init_db(
    blank_app: Flask, args: list[str]
) -> None:
    result = blank_app.test_cli_runner().invoke(cli, args)
    assert result.exit_code != 0
    assert "Run `matchmaker init-db` first." in result.output
    assert "Traceback" not in result.output
    engine = blank_app.extensions["matchmaker.engine"]
    assert inspect(engine).get_table_names() == []  # nothing was created behind the user's back


def test_console_script_lists_every_command(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is missing: run `make .venv/.installed`"
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "--help"],
        env=console_env(tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    listed = {
        line.split()[0]
        for line in result.stdout.split("Commands:", 1)[1].splitlines()
        if line.strip()
    }
    assert set(COMMANDS) <= listed, f"missing: {set(COMMANDS) - listed}"
    assert "Usage: matchmaker" in result.stdout


def test_console_script_on_an_unmigrated_database_asks_for_init_db(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "expire-postings"],
        env=console_env(tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Run `matchmaker init-db` first." in result.stderr
    assert "Traceback" not in result.stderr
