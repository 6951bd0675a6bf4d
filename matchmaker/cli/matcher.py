"""``matchmaker matcher``: the one process of an installation that computes matches."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from matchmaker.cli.base import cli, engine, require_schema, settings


@cli.command("matcher")
@click.option("--once", is_flag=True, help="Work through the backlog once, then exit.")
@with_appcontext
def matcher_command(once: bool) -> None:
    """Compute the matches of changed postings (one active matcher per installation; a second
    one waits as standby and takes over when the first stops)."""
    from matchmaker import matcher

    require_schema()
    worker = matcher.from_settings(engine(), settings())
    if once:
        result = worker.run_once()
        worker.lease.release()
        if not result.active:
            raise click.ClickException("Another matcher holds the lease; nothing done.")
        click.echo(f"{result.matched} posting(s) matched.")
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    click.echo(f"Matcher {worker.lease.holder} running (Ctrl+C to stop).", err=True)
    try:
        worker.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()
    click.echo("Matcher stopped.", err=True)
