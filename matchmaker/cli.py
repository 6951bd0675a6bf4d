"""The ``matchmaker`` command: database, demo data, accounts, imports and maintenance.

Every command reads the same ``MATCHMAKER_*`` settings as the web server, so it acts on the
database that ``make run`` serves. Commands never prompt unless a person sits at a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import accounts, migrate, postings
from matchmaker.access import Actor
from matchmaker.config import ConfigError, Settings
from matchmaker.errors import DomainError, InvalidInput
from matchmaker.models import Company, Role, TokenPurpose, User
from matchmaker.schemas import PasswordInput, UserInput
from matchmaker.validation import parse


def _create_app() -> Flask:
    from matchmaker.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def settings() -> Settings:
    return current_app.config["MATCHMAKER"]


def engine() -> Engine:
    return current_app.extensions["matchmaker.engine"]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One session for the command: committed once at the end, rolled back on any error."""
    session = Session(engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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


@cli.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the newest migration."""
    before = migrate.current_revision(engine())
    migrate.upgrade(engine())
    after = migrate.current_revision(engine())
    if before == after:
        click.echo(f"Database schema is up to date ({after}).")
    else:
        click.echo(f"Database schema upgraded from {before or 'empty'} to {after}.")


@cli.command("serve")
@click.option("--host", default=None, help="Interface to listen on (MATCHMAKER_HOST).")
@click.option("--port", default=None, type=int, help="Port (MATCHMAKER_PORT).")
@with_appcontext
def serve(host: str | None, port: int | None) -> None:
    """Serve the app for one machine (development). Production uses gunicorn: see README."""
    from werkzeug.serving import run_simple

    require_schema()
    config = settings()
    host = host or config.host
    port = port or config.port
    click.echo(f"Matchmaker is running on http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@cli.command("expire-postings")
@with_appcontext
def expire_postings_command() -> None:
    """Mark postings whose validity has ended as expired (the scheduler runs this daily)."""
    require_schema()
    with unit_of_work() as session:
        expired = postings.expire_postings(session=session)
    click.echo(f"{len(expired)} posting(s) expired.")


@cli.command("scheduler")
@click.option("--run-now", is_flag=True, help="Run every job once immediately, then keep running.")
@with_appcontext
def scheduler_command(run_now: bool) -> None:
    """Run the scheduled jobs (daily expiry). Start exactly one of these per installation."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from matchmaker import scheduler as jobs

    require_schema()
    blocking = jobs.configure(BlockingScheduler(timezone=jobs.BERLIN), engine())
    if run_now:
        for job in blocking.get_jobs():
            job.func()
    for job in blocking.get_jobs():
        click.echo(f"Scheduled {job.id}: {job.trigger}")
    click.echo("Scheduler running (Ctrl+C to stop).")
    try:
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


@cli.group("users")
def users() -> None:
    """Manage accounts."""


def _company(session: Session, ref: str) -> Company:
    company = (
        session.get(Company, int(ref))
        if ref.isdigit()
        else session.execute(
            select(Company).where(func.lower(Company.name) == ref.strip().lower())
        ).scalar_one_or_none()
    )
    if company is None:
        raise click.ClickException(f"No company with id or name {ref!r}.")
    return company


@users.command("create")
@click.option("--email", required=True, help="E-mail address (the login).")
@click.option("--name", default="", help="Full name (defaults to the e-mail's local part).")
@click.option(
    "--role", type=click.Choice(Role.values()), required=True, help="member, manager or admin."
)
@click.option("--company", "company_ref", default=None, help="Company id or exact name (members).")
@click.option(
    "--network", "networks", multiple=True, help="Network slug (managers; may be repeated)."
)
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option(
    "--no-password",
    is_flag=True,
    help="Do not ask for a password; print a link to set one (the default without a terminal).",
)
@with_appcontext
def users_create(
    email: str,
    name: str,
    role: str,
    company_ref: str | None,
    networks: tuple[str, ...],
    language: str,
    no_password: bool,
) -> None:
    """Create an account; without a terminal, prints a link to set the password."""
    require_schema()
    if role == Role.MEMBER.value and not company_ref:
        raise click.UsageError("A member needs --company.")
    if role == Role.MANAGER.value and not networks:
        raise click.UsageError("A manager needs at least one --network.")
    if role != Role.MEMBER.value and company_ref:
        raise click.UsageError("Only members belong to a company.")
    interactive = sys.stdin.isatty() and not no_password
    password = None
    if interactive:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        company_id = _company(session, company_ref).id if company_ref else None
        try:
            data = parse(
                UserInput,
                {
                    "email": email,
                    "name": name or email.split("@")[0],
                    "role": role,
                    "language": language,
                    "company_id": company_id,
                    "network_slugs": list(networks),
                },
            )
            user = accounts.create_user(session=session, actor=Actor.system(), data=data)
            link = None
            if password is not None:
                pw = parse(PasswordInput, {"password": password, "password_repeat": password})
                accounts.set_password(session=session, user=user, data=pw)
            else:
                token = accounts.issue_password_token(
                    session=session,
                    user=user,
                    purpose=TokenPurpose.SET,
                    hours=settings().password_token_hours,
                )
                link = password_link(token)
        except DomainError as exc:
            raise fail(exc) from exc
    click.echo(f"Created {role} {user.email} (id {user.id}).")
    if link:
        click.echo(f"Set the password within {settings().password_token_hours} hours at:")
        click.echo(link)


def password_link(token: str) -> str:
    return f"{settings().base_url}/password/{token}"


@cli.group("tokens")
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--email", required=True, help="The account the token acts as.")
@click.option("--name", default="", help="A note saying what the token is for.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create a bearer token for the API. It is printed once, on the last line."""
    require_schema()
    with unit_of_work() as session:
        user: User | None = accounts.user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No account with e-mail {email!r}.")
        if not user.active:
            raise click.ClickException(f"The account {email!r} is deactivated.")
        token = accounts.create_api_token(session=session, user=user, name=name)
    click.echo(f"API token for {user.email} ({user.role}). It is shown only once; store it now:")
    click.echo(token)


def register(command: Any) -> None:
    """Add a command defined elsewhere (the evaluation and matching modules)."""
    cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
