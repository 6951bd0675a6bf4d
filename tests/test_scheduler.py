"""The scheduler's job table and the jobs themselves (run directly, never waited for)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlmodel import Session

from matchmaker import clock, scheduler
from matchmaker.models import Posting
from tests.factories import World


def test_jobs_are_registered_once_each(app: Flask) -> None:
    configured = scheduler.configure(BackgroundScheduler(timezone=clock.BERLIN), app)
    ids = [job.id for job in configured.get_jobs()]
    assert ids == ["expire-postings", "weekly-digests", "outbox-drain", "introduction-followups"]
    scheduler.configure(configured, app)  # configuring twice does not duplicate jobs
    assert [job.id for job in configured.get_jobs()] == ids


def test_expire_job_expires_postings_past_validity(
    app: Flask, session: Session, world: World
) -> None:
    posting = session.get(Posting, world.posting_a1.id)
    assert posting is not None
    posting.valid_until = clock.today() - timedelta(days=1)
    session.add(posting)
    session.commit()
    with app.app_context():
        assert scheduler.expire_postings_job(app) == 1
    session.expire_all()
    assert session.get(Posting, world.posting_a1.id).status == "expired"  # type: ignore[union-attr]
    with app.app_context():
        assert scheduler.expire_postings_job(app) == 0  # running twice does no harm


def test_today_is_the_date_in_berlin_not_on_the_server() -> None:
    """Expiry runs at 00:15 in Berlin: late at night UTC it is already the next day there."""
    assert clock.today(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == date(2026, 12, 5)
    assert clock.today(datetime(2026, 12, 4, 22, 30, tzinfo=UTC)) == date(2026, 12, 4)
    assert clock.today(datetime(2026, 7, 4, 22, 30, tzinfo=UTC)) == date(2026, 7, 5)  # summer


def test_the_follow_up_job_runs_in_the_app(app: Flask, session: Session, world: World) -> None:
    job = next(job for job in scheduler.JOBS if job.id == "introduction-followups")
    with app.app_context():
        assert job.run(app) == 0  # no introductions yet: nothing is due
