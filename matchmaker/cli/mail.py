"""Digest and outbox commands, and ``matchmaker run`` (web server and scheduler together)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from matchmaker import digests, mail, outbox
from matchmaker.cli.base import cli, engine, require_schema, settings
from matchmaker.db import session_scope, utcnow
from matchmaker.models import OutboxMessage, OutboxState


@cli.group("digests")
def digests_group() -> None:
    """The weekly digest of the network managers."""


def _week_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        digests.parse_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


@digests_group.command("send")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@click.option("--week", default=None, help="ISO week such as 2026-W48 (default: this week).")
@click.option("--manager", "manager_email", default=None, help="Only this manager (e-mail).")
@with_appcontext
def digests_send(dry_run: bool, week: str | None, manager_email: str | None) -> None:
    """Send the week's digest to every manager who has it on (once per week), then drain."""
    require_schema()
    report = digests.run_digests(
        engine=engine(),
        secret_key=settings().secret_key,
        week=_week_option(week),
        manager_email=manager_email,
        trigger="cli",
        only_due=False,
        dry_run=dry_run,
    )
    if manager_email and not report.outcomes:
        raise click.ClickException(f"No active manager with the e-mail address {manager_email}.")
    for email, outcome in report.outcomes.items():
        click.echo(f"{report.week} {email}: {outcome}")
    if not dry_run:
        click.echo(f"Outbox: {outbox.drain(engine=engine(), settings=settings())}")


@digests_group.command("preview")
@click.option("--manager", "manager_email", required=True, help="The manager's e-mail address.")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@with_appcontext
def digests_preview(manager_email: str, as_html: bool) -> None:
    """Print this week's digest of one manager, as the mail would carry it."""
    from matchmaker.i18n import force_locale

    require_schema()
    with session_scope(engine()) as session:
        found = digests.digest_managers(session, email=manager_email)
        if not found:
            raise click.ClickException(
                f"No active manager with the e-mail address {manager_email}."
            )
        digest = digests.build_digest(
            session=session, manager=found[0], week=digests.iso_week(utcnow())
        )
        with force_locale(found[0].language):
            context = digests.digest_context(digest, secret_key=settings().secret_key)
            name = "emails/digest.html" if as_html else "emails/digest.txt"
            click.echo(current_app.jinja_env.get_template(name).render(**context))
        session.rollback()


@cli.group("outbox")
def outbox_group() -> None:
    """Outgoing mail waiting for, or past, delivery."""


@outbox_group.command("drain")
@with_appcontext
def outbox_drain() -> None:
    """Deliver every due message now (the scheduler does this every minute)."""
    require_schema()
    for problem in mail.configuration_problems(settings()):
        click.echo(f"Warning: {problem}", err=True)
    click.echo(f"Outbox: {outbox.drain(engine=engine(), settings=settings())}")


@outbox_group.command("list")
@click.option("--state", type=click.Choice(OutboxState.values()), default=None)
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def outbox_list(state: str | None, limit: int) -> None:
    """List messages, newest first."""
    require_schema()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if state:
        query = query.where(OutboxMessage.state == state)
    with session_scope(engine()) as session:
        rows = session.scalars(query).all()
        for row in rows:
            click.echo(
                f"{row.id}\t{row.state}\t{row.attempts}\t{row.kind}\t{row.recipient}\t"
                f"{row.subject}\t{row.last_error[:120]}"
            )
    if not rows:
        click.echo("No messages.")


@cli.command("run")
@with_appcontext
def run_command() -> None:
    """Serve the whole product: the web server and the scheduler, started and stopped together."""
    require_schema()
    base = [sys.executable, "-m", "matchmaker.cli"]
    children = [subprocess.Popen([*base, "serve"]), subprocess.Popen([*base, "scheduler"])]
    stopping = False

    def stop(*_args: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for child in children:
        if child.poll() is None:
            child.terminate()  # both keep their work in the database: stopping loses nothing
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    stopped = (0, 130, -signal.SIGINT, -signal.SIGTERM)
    failed = [c.returncode for c in children if c.returncode not in stopped]
    if failed and not stopping:
        raise click.ClickException("A part of Matchmaker stopped; both were shut down.")
