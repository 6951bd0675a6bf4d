"""The ``matchmaker`` command group and what its commands share: settings, engine, unit of work."""

import logging
from contextlib import AbstractContextManager
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import migrate, postings
from matchmaker.config import ConfigError, Settings
from matchmaker.db import session_scope
from matchmaker.errors import DomainError, InvalidInput


def _create_app() -> Flask:
    from matchmaker.app import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # Alembic reports every schema check at INFO; the commands say what happened themselves.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def settings() -> Settings:
    return current_app.config["MATCHMAKER"]


def engine() -> Engine:
    return current_app.extensions["matchmaker.engine"]


def unit_of_work() -> AbstractContextManager[Session]:
    """One session for the command: committed once at the end, rolled back on any error."""
    return session_scope(engine())


def fail(error: DomainError) -> click.ClickException:
    """A domain error as a CLI error, with one line per invalid field."""
    lines = [str(error.message)]
    if isinstance(error, InvalidInput):
        lines += [f"  {e.field}: {e.message}" for e in error.errors]
    return click.ClickException("\n".join(lines))


def require_schema() -> None:
    if not migrate.is_up_to_date(engine()):
        raise click.ClickException(
            "The database schema is missing or outdated. Run `matchmaker init-db` first."
        )


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Matchmaker: needs and offers of companies in regional business networks."""


def main() -> None:
    cli(prog_name="matchmaker")


def posting_limits() -> postings.Limits:
    config = settings()
    return postings.Limits(
        default_validity_days=config.posting_default_validity_days,
        max_validity_days=config.posting_max_validity_days,
    )


def register(command: Any) -> None:
    """Add a command defined elsewhere (the evaluation and matching modules)."""
    cli.add_command(command)
