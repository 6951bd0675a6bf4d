"""The ``matchmaker`` command: database, demo data, accounts, imports and maintenance.

Every command reads the same ``MATCHMAKER_*`` settings as the web server, so it acts on the
database that ``make run`` serves. Commands never prompt unless a person sits at a terminal.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import accounts, companies, demo, imports, migrate, postings
from matchmaker.access import Actor
from matchmaker.config import ConfigError, Settings
from matchmaker.db import session_scope
from matchmaker.errors import DomainError, InvalidInput
from matchmaker.models import Company, Role, TokenPurpose, User
from matchmaker.schemas import PasswordInput, UserInput
from matchmaker.validation import parse


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


@cli.command("rematch")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@with_appcontext
def rematch_command(quiet: bool) -> None:
    """Refit the matching engine and recompute the stored matches of every live posting."""
    from tqdm import tqdm

    from matchmaker import matches

    require_schema()
    index: matches.MatchIndex = current_app.extensions["matchmaker.match_index"]

    def progress(items: Iterable[Any]) -> Iterable[Any]:
        return items if quiet else tqdm(items, desc="Storing matches", unit="posting")

    with unit_of_work() as session:
        if not quiet:
            click.echo("Fitting the engine and ranking every need and offer …")
        report = matches.rematch_all(session, index, progress=progress)
    click.echo(
        f"{report.postings} live posting(s); {report.stored} match(es) stored, "
        f"{report.retired} retired."
    )


@cli.group("users")
def users() -> None:
    """Manage accounts."""


def _company(session: Session, ref: str) -> Company:
    try:
        return companies.company_by_ref(session, ref)
    except DomainError as exc:
        raise fail(exc) from exc


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
    if role != Role.MANAGER.value and networks:
        raise click.UsageError("Only managers are assigned to networks.")
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


def posting_limits() -> postings.Limits:
    config = settings()
    return postings.Limits(
        default_validity_days=config.posting_default_validity_days,
        max_validity_days=config.posting_max_validity_days,
    )


def _counts(counter: Any, order: list[str]) -> str:
    return ", ".join(f"{counter[key]} {key}" for key in order if counter[key])


@cli.command("seed-demo")
@click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with networks.json, companies.json and postings.jsonl (default: data/demo).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (exit 0) when the database holds data already, instead of refusing.",
)
@with_appcontext
def seed_demo(path: Path | None, if_empty: bool) -> None:
    """Load the demo networks, companies, accounts and postings into an empty database."""
    config = settings()
    if config.is_production:
        raise click.ClickException(
            "The demo data is never loaded in production (MATCHMAKER_ENV=production): "
            "its accounts share a published password."
        )
    require_schema()
    folder = path or demo.default_path()
    with unit_of_work() as session:
        if not demo.is_empty(session):
            if if_empty:
                click.echo("The database holds data already; the demo data was not loaded.")
                return
            raise click.ClickException(
                "The database holds data already (networks, companies or accounts). The demo "
                "data is loaded into an empty database only; use `--if-empty` to skip quietly."
            )
        try:
            summary = demo.load_demo(
                session=session, path=folder, environment=config.env, limits=posting_limits()
            )
        except DomainError as exc:
            raise fail(exc) from exc
    companies_total = sum(summary.companies.values())
    postings_total = sum(summary.postings.values())
    click.echo(f"Loaded the demo data from {folder}:")
    click.echo(f"  networks:  {summary.networks} ({summary.managers} managers)")
    click.echo(
        f"  companies: {companies_total} ({_counts(summary.companies, ['approved', 'pending'])}), "
        f"{summary.members} members"
    )
    click.echo(
        f"  postings:  {postings_total} "
        f"({_counts(summary.postings, ['active', 'draft', 'paused', 'fulfilled', 'withdrawn'])})"
    )
    click.echo(f"  admin:     {summary.admin_email}")
    click.echo(f"Every demo account has the password {summary.password!r}.")


def _error_lines(result: imports.RowResult) -> list[str]:
    return [
        f"Line {result.line}: {error.field}: {error.message}"
        if error.field != "row"
        else f"Line {result.line}: {error.message}"
        for error in result.errors
    ]


@cli.command("import-postings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows even when others are invalid (those are reported and skipped).",
)
@click.option("--dry-run", is_flag=True, help="Only check the file; import nothing.")
@click.option("--publish", is_flag=True, help="Make every imported posting active.")
@with_appcontext
def import_postings_command(file: Path, skip_invalid: bool, dry_run: bool, publish: bool) -> None:
    """Import needs and offers from a CSV file (format: docs/import-postings.md).

    Every row is checked; if any is invalid, nothing is imported unless --skip-invalid is given.
    """
    require_schema()
    try:
        parsed = imports.read_postings_csv(file.read_bytes())
    except DomainError as exc:
        raise fail(exc) from exc
    with unit_of_work() as session:
        result = imports.import_postings(
            session=session,
            actor=Actor.system(),
            rows=parsed.rows,
            publish=publish,
            source=file.name,
            limits=posting_limits(),
        )
        invalid = result.invalid
        for row in invalid:
            for line in _error_lines(row):
                click.echo(line)
        total = len(result.rows)
        valid = total - len(invalid)
        statuses = _counts(result.by_status(), ["active", "draft"])
        if invalid and not skip_invalid:
            session.rollback()
            raise click.ClickException(
                f"{len(invalid)} of {total} row(s) are invalid; nothing was imported. "
                "Correct them, or use --skip-invalid to import the valid rows only."
            )
        if invalid:
            click.echo(
                f"Warning: {len(invalid)} of {total} row(s) are invalid and "
                f"{'would be' if dry_run else 'were'} skipped.",
                err=True,
            )
        if dry_run:
            session.rollback()
            click.echo(
                f"Checked {total} row(s): {valid} valid ({statuses or 'none'}). "
                "Nothing was imported (--dry-run)."
            )
            return
    click.echo(f"Imported {valid} posting(s) ({statuses or 'none'}) from {file.name}.")


def register(command: Any) -> None:
    """Add a command defined elsewhere (the evaluation and matching modules)."""
    cli.add_command(command)


def _register_builtin_commands() -> None:
    from matchmaker.eval_command import eval_command

    register(eval_command)


_register_builtin_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
