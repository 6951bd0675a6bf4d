"""Scheduled jobs, run by ``matchmaker scheduler`` in exactly one process of its own.

Never start the scheduler inside web workers: every gunicorn worker would run every job. Jobs are
safe to run twice (they act on the database state, not on the schedule), so a restart or a
missed run does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from matchmaker import postings
from matchmaker.clock import BERLIN
from matchmaker.db import session_scope

log = logging.getLogger(__name__)


def expire_postings_job(engine: Engine) -> int:
    """Daily: postings whose validity has ended become expired."""
    with session_scope(engine) as session:
        expired = postings.expire_postings(session=session)
    log.info("expired %d posting(s)", len(expired))
    return len(expired)


def jobs(engine: Engine) -> list[tuple[str, Callable[[], object], CronTrigger]]:
    """The job table: id, function, trigger (times in Europe/Berlin)."""
    return [
        (
            "expire-postings",
            lambda: expire_postings_job(engine),
            CronTrigger(hour=0, minute=15, timezone=BERLIN),
        ),
    ]


def configure(scheduler: BaseScheduler, engine: Engine) -> BaseScheduler:
    for job_id, func, trigger in jobs(engine):
        for existing in scheduler.get_jobs():
            if existing.id == job_id:  # replace_existing does not cover jobs not yet started
                scheduler.remove_job(job_id)
        scheduler.add_job(
            func,
            trigger=trigger,
            id=job_id,
            name=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler
