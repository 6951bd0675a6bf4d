"""Schema, server, scheduler and matching maintenance commands."""

from collections.abc import Iterable
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from matchmaker import migrate, postings
from matchmaker.cli.base import cli, engine, require_schema, settings, unit_of_work


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
@click.option(
    "--matcher/--no-matcher",
    "with_matcher",
    default=True,
    help="Also run the matcher in a thread (one machine; production runs its own process).",
)
@with_appcontext
def serve(host: str | None, port: int | None, with_matcher: bool) -> None:
    """Serve the app for one machine (development). Production uses gunicorn: see README."""
    from werkzeug.serving import run_simple

    from matchmaker import matcher

    require_schema()
    config = settings()
    host = host or config.host
    port = port or config.port
    if with_matcher and config.matching == "matcher":
        # the lease keeps it a standby if a matcher process already runs for this database
        matcher.start_in_thread(matcher.from_settings(engine(), config))
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
    """Run the scheduled jobs (expiry, outbox drain). One per installation; a second one by
    mistake sends nothing twice."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from matchmaker import mail
    from matchmaker import scheduler as jobs

    require_schema()
    for problem in mail.configuration_problems(settings()):
        click.echo(f"Warning: {problem}. Mail stays queued until this is fixed.", err=True)
    blocking = jobs.configure(
        BlockingScheduler(timezone=jobs.BERLIN),
        current_app._get_current_object(),  # type: ignore[attr-defined]
    )
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
    index: matches.MatchIndex = current_app.extensions.get(
        "matchmaker.match_index"
    ) or matches.configure(engine(), current_app.extensions["matchmaker.match_settings"])

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
