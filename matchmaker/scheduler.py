"""Scheduled jobs, run by ``matchmaker scheduler`` in exactly one process of its own.

Never start the scheduler inside web workers: every gunicorn worker would run every job. Jobs are
safe to run twice (they act on the database state, not on the schedule), so a restart, a missed
run or a second scheduler started by mistake does no harm: exactly-once comes from the database
(claimed outbox rows, unique delivery rows), not from the scheduler.

Job defaults, chosen on purpose: ``coalesce`` (runs missed while the process was down are run
once, not once per missed fire time), ``max_instances=1`` (a slow run is not overlapped by the
next one) and a misfire grace time per job (a daily job still runs when the process comes back
within the hour; the minutely drain just waits for its next minute).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.engine import Engine

from matchmaker import clock, digests, outbox, postings, reminders
from matchmaker.clock import BERLIN
from matchmaker.db import session_scope
from matchmaker.review.followups import followups_job

log = logging.getLogger(__name__)


def _engine(app: Flask) -> Engine:
    return app.extensions["matchmaker.engine"]


def expire_postings_job(app: Flask) -> int:
    """Daily: postings whose validity has ended become expired; the companies of those that
    end within a week get a reminder with a renew link (once per validity)."""
    with session_scope(_engine(app)) as session:
        expired = postings.expire_postings(session=session)
        reminders.queue_expiry_reminders(
            session=session, secret_key=app.config["MATCHMAKER"].secret_key, today=clock.today()
        )
    log.info("expired %d posting(s)", len(expired))
    return len(expired)


def drain_outbox_job(app: Flask) -> outbox.DrainResult:
    """Every minute: deliver the mail that is due (new, or due for another attempt)."""
    return outbox.drain(engine=_engine(app), settings=app.config["MATCHMAKER"])


def digests_job(app: Flask) -> digests.RunReport:
    """Hourly: send this week's digest to every manager whose weekday and hour have come.

    Hourly and state-driven rather than one trigger per manager: a scheduler that was down
    over the fire time sends the digest at its next full hour, and only this week's digest.
    """
    return digests.run_digests(engine=_engine(app), secret_key=app.config["MATCHMAKER"].secret_key)


@dataclass(frozen=True)
class Job:
    """One entry of the job table: what runs when, and how late it may still run."""

    id: str
    run: Callable[[Flask], object]
    trigger: Callable[[Flask], BaseTrigger]
    misfire_grace_time: int = 3600


JOBS: list[Job] = [
    Job(
        "expire-postings",
        expire_postings_job,
        lambda app: CronTrigger(hour=0, minute=15, timezone=BERLIN),
    ),
    Job(
        "weekly-digests",
        digests_job,
        lambda app: CronTrigger(minute=0, timezone=BERLIN),
        misfire_grace_time=1800,
    ),
    Job(
        "outbox-drain",
        drain_outbox_job,
        lambda app: IntervalTrigger(minutes=1, timezone=BERLIN),
        misfire_grace_time=30,
    ),
    Job(
        "introduction-followups",
        followups_job,
        lambda app: CronTrigger(hour=9, minute=0, timezone=BERLIN),
    ),
]


def _in_app_context(app: Flask, job: Job) -> Callable[[], object]:
    def run() -> object:
        with app.app_context():  # templates, translations and links need the app
            return job.run(app)

    return run


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """Add every job of :data:`JOBS` to ``scheduler`` (again: replaced, never duplicated)."""
    for job in JOBS:
        for existing in scheduler.get_jobs():
            if existing.id == job.id:  # replace_existing does not cover jobs not yet started
                scheduler.remove_job(job.id)
        scheduler.add_job(
            _in_app_context(app, job),
            trigger=job.trigger(app),
            id=job.id,
            name=job.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace_time,
        )
    return scheduler
