"""Exactly once, never lost: the digest against a real SMTP server (aiosmtpd on loopback), on
SQLite and PostgreSQL, through concurrent runs, outages, refusals, a killed process and a
scheduler that was down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from itertools import pairwise

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import clock, digests, outbox, scheduler
from matchmaker.app import create_app
from matchmaker.config import Settings
from matchmaker.db import utcnow
from matchmaker.models import DigestDelivery, OutboxMessage, Role, User
from tests.digest_helpers import MONDAY, WEEK, parts, run, with_matches
from tests.factories import World, make_user
from tests.helpers import drain_outbox
from tests.smtp import SmtpServer

pytestmark = pytest.mark.smtp

EXTRA_MANAGERS = 4
LATER = MONDAY + timedelta(hours=2)


@pytest.fixture
def smtp_app(smtp_settings: Settings, engine: Engine) -> Flask:
    return create_app(smtp_settings, engine=engine)


@pytest.fixture
def managers(session: Session, world: World) -> list[User]:
    """The world's two managers and four more in network A: six digests a week."""
    extra = [
        make_user(session, Role.MANAGER, networks=[world.network_a], email=f"chef{i}@example.org")
        for i in range(EXTRA_MANAGERS)
    ]
    session.commit()
    with_matches(session, world)
    return [world.manager_a, world.manager_b, *extra]


def _addresses(managers: list[User]) -> list[str]:
    return sorted(m.email for m in managers)


def _received(smtp_server: SmtpServer) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages)


def _deliveries(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(DigestDelivery)) or 0


def _at_once(*targets: object) -> None:
    """Start the callables at the same moment (a barrier) and wait for all of them."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def go(target: object) -> None:
        barrier.wait()
        try:
            target()  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=go, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_two_runs_at_the_same_moment_as_threads_send_each_manager_one(
    smtp_app: Flask, smtp_server: SmtpServer, session: Session, managers: list[User]
) -> None:
    reports = []
    _at_once(*[lambda: reports.append(run(smtp_app, now=LATER)) for _ in range(2)])
    _at_once(*[lambda: drain_outbox(smtp_app) for _ in range(2)])
    assert sorted(r.count("sent") for r in reports) in ([0, 6], [1, 5], [2, 4], [3, 3])
    assert sum(r.count("sent") for r in reports) == len(managers)
    assert _received(smtp_server) == _addresses(managers)
    assert _deliveries(session) == len(managers)


def _cli_env(settings: Settings, engine: Engine) -> dict[str, str]:
    return {
        **os.environ,
        "MATCHMAKER_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MATCHMAKER_INSTANCE_PATH": str(settings.instance_path),
        "MATCHMAKER_SECRET_KEY": settings.secret_key,
        "MATCHMAKER_BASE_URL": settings.base_url,
        "MATCHMAKER_MAIL_BACKEND": "smtp",
        "MATCHMAKER_SMTP_HOST": settings.smtp_host,
        "MATCHMAKER_SMTP_PORT": str(settings.smtp_port),
        "MATCHMAKER_MAIL_FROM": settings.mail_from,
        "MATCHMAKER_LOG_LEVEL": "WARNING",
    }


def _cli(settings: Settings, engine: Engine, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "matchmaker.cli", *args],
        env=_cli_env(settings, engine),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_runs_at_the_same_moment_as_processes_send_each_manager_one(
    smtp_settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    session: Session,
    managers: list[User],
) -> None:
    """Two ``matchmaker digests send`` processes (each also drains the outbox)."""
    week = WEEK
    processes = [_cli(smtp_settings, engine, "digests", "send", "--week", week) for _ in range(2)]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    sent = sum(line.endswith(": sent") for out in outputs for line in out.splitlines())
    assert sent == len(managers), outputs
    assert _received(smtp_server) == _addresses(managers)
    assert _deliveries(session) == len(managers)


def test_smtp_server_down_during_the_run_and_back_later(
    smtp_app: Flask, smtp_server: SmtpServer, session: Session, managers: list[User]
) -> None:
    smtp_server.stop()
    assert run(smtp_app, now=LATER).count("sent") == len(managers)
    result = drain_outbox(smtp_app)
    assert (len(result.sent), len(result.retried)) == (0, len(managers))
    assert run(smtp_app, now=LATER + timedelta(hours=1)).count("sent") == 0  # queued once
    smtp_server.restart()
    assert drain_outbox(smtp_app).sent == []  # each waits for its backoff
    assert len(drain_outbox(smtp_app, now=utcnow() + timedelta(hours=1)).sent) == len(managers)
    assert drain_outbox(smtp_app, now=utcnow() + timedelta(days=1)).sent == []
    assert _received(smtp_server) == _addresses(managers)


def test_451_for_one_recipient_is_retried_and_550_is_dead_while_the_others_arrive(
    smtp_app: Flask, smtp_server: SmtpServer, session: Session, managers: list[User]
) -> None:
    busy, unknown = managers[2].email, managers[3].email
    smtp_server.handler.recipient_replies = {
        busy: "451 4.2.1 Mailbox busy, try later",
        unknown: "550 5.1.1 No such user",
    }
    run(smtp_app, now=LATER)
    result = drain_outbox(smtp_app)
    assert (len(result.sent), len(result.retried), len(result.dead)) == (len(managers) - 2, 1, 1)
    others = [m for m in _addresses(managers) if m not in (busy, unknown)]
    assert _received(smtp_server) == others
    states = dict(session.execute(select(OutboxMessage.recipient, OutboxMessage.state)).all())  # type: ignore[arg-type]
    assert (states[busy], states[unknown]) == ("queued", "dead")
    smtp_server.handler.recipient_replies = {}
    assert len(drain_outbox(smtp_app, now=utcnow() + timedelta(hours=1)).sent) == 1
    assert drain_outbox(smtp_app, now=utcnow() + timedelta(days=2)).sent == []  # dead stays dead
    assert _received(smtp_server) == sorted([*others, busy])


def test_a_process_killed_between_sending_and_marking_sent_duplicates_at_most_one(
    smtp_settings: Settings,
    smtp_app: Flask,
    engine: Engine,
    smtp_server: SmtpServer,
    session: Session,
    managers: list[User],
) -> None:
    """The drain is killed after the server took a message, before the row says ``sent``."""
    run(smtp_app, now=LATER)
    victim: dict[str, int] = {}

    def kill_at_the_second_message(message: EmailMessage) -> None:
        if len(smtp_server.messages) == 2:
            victim["address"] = message["To"].addresses[0].addr_spec  # type: ignore[assignment]
            os.kill(process.pid, signal.SIGKILL)

    smtp_server.handler.on_data = kill_at_the_second_message
    process = _cli(smtp_settings, engine, "outbox", "drain")
    process.communicate(timeout=180)
    smtp_server.handler.on_data = None
    assert process.returncode == -signal.SIGKILL
    session.expire_all()
    states = sorted(session.scalars(select(OutboxMessage.state)).all())
    assert states == ["queued"] * (len(managers) - 2) + ["sending", "sent"]
    # Another drain leaves the claim alone until its lease has run out, then sends it again.
    assert len(outbox.drain(engine=engine, settings=smtp_settings).sent) == len(managers) - 2
    later = utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)
    assert len(outbox.drain(engine=engine, settings=smtp_settings, now=later).sent) == 1
    assert outbox.drain(engine=engine, settings=smtp_settings, now=later).sent == []
    received = _received(smtp_server)
    assert sorted(set(received)) == _addresses(managers)
    duplicates = [a for a in set(received) if received.count(a) > 1]
    assert duplicates == [victim["address"]]  # one duplicate, the message of the killed send
    assert received.count(victim["address"]) == 2
    first, second = smtp_server.received_by(victim["address"])
    assert first["Message-ID"] == second["Message-ID"]  # clients can tell it is the same mail


def test_scheduler_down_over_the_fire_time_sends_one_digest_within_the_week(
    smtp_app: Flask, smtp_server: SmtpServer, session: Session, managers: list[User]
) -> None:
    before = MONDAY.replace(hour=5)  # 06:00 in Berlin: before the default 07:00
    assert run(smtp_app, now=before).count("sent") == 0
    # Down from Monday 06:00 to Wednesday: the hourly job's next run sends the digest once.
    wednesday = MONDAY + timedelta(days=2)
    assert run(smtp_app, now=wednesday).count("sent") == len(managers)
    for hours in range(1, 6):
        assert run(smtp_app, now=wednesday + timedelta(hours=hours)).count("sent") == 0
    drain_outbox(smtp_app)
    assert _received(smtp_server) == _addresses(managers)


def test_scheduler_down_two_weeks_sends_one_digest_not_two(
    smtp_app: Flask, smtp_server: SmtpServer, session: Session, managers: list[User]
) -> None:
    two_weeks_ago = MONDAY - timedelta(days=14)
    assert run(smtp_app, now=two_weeks_ago).count("sent") == len(managers)
    drain_outbox(smtp_app)
    smtp_server.handler.messages.clear()
    # Down since then; it comes back on Thursday of the second week after.
    back = MONDAY + timedelta(days=3)
    assert run(smtp_app, now=back).count("sent") == len(managers)
    assert run(smtp_app, now=back + timedelta(hours=1)).count("sent") == 0
    drain_outbox(smtp_app)
    assert _received(smtp_server) == _addresses(managers)
    session.expire_all()
    weeks = sorted(set(session.scalars(select(DigestDelivery.week)).all()))
    assert weeks == ["2026-W48", WEEK]  # the missed week W49 is not sent late
    text = parts(smtp_server.received_by(managers[0].email)[0])["text/plain"]
    assert WEEK in text


def _weekly_sends(weekday: int, hour: int) -> list[datetime]:
    """Drive the real hourly trigger of the digest job from 2026 to 2028 and record when each
    week's digest becomes due (the job's rule: due once the local weekday and hour have come,
    once per ISO week)."""
    (job,) = [j for j in scheduler.JOBS if j.id == "weekly-digests"]
    trigger = job.trigger(None)  # type: ignore[arg-type]
    end = datetime(2029, 1, 1, tzinfo=clock.BERLIN)
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 5, tzinfo=clock.BERLIN))
    sent: dict[str, datetime] = {}
    while fire is not None and fire < end:
        week = digests.iso_week(fire)
        if week not in sent and digests.is_due(fire, weekday=weekday, hour=hour):
            sent[week] = fire
        # The scheduler's clock is absolute: step in UTC (wall-clock arithmetic on an aware
        # time would land before the autumn change again).
        after = fire.astimezone(UTC) + timedelta(seconds=1)
        following = trigger.get_next_fire_time(fire, after)
        assert following is None or following.astimezone(UTC) > after - timedelta(seconds=1)
        fire = following
    return list(sent.values())


def test_weekly_digest_fires_once_a_week_at_the_local_hour_across_the_clock_changes() -> None:
    sends = _weekly_sends(weekday=0, hour=7)
    first_monday, last_monday = date(2026, 1, 5), date(2028, 12, 25)
    assert len(sends) == (last_monday - first_monday).days // 7 + 1  # every week, once
    local = [s.astimezone(clock.BERLIN) for s in sends]
    assert all((t.weekday(), t.hour, t.minute) == (0, 7, 0) for t in local)
    assert all(b.date() - a.date() == timedelta(days=7) for a, b in pairwise(local))
    # The UTC time moves with summer time: 05:00 UTC in summer, 06:00 UTC in winter.
    utc_hours = {s.astimezone(UTC).hour for s in sends}
    assert utc_hours == {5, 6}
    summer_2027 = [t for t in local if t.date() == date(2027, 3, 29)]
    winter_2027 = [t for t in local if t.date() == date(2027, 11, 1)]
    assert summer_2027[0].utcoffset() == timedelta(hours=2)
    assert winter_2027[0].utcoffset() == timedelta(hours=1)


def test_a_digest_hour_inside_the_clock_change_still_fires_once_that_week() -> None:
    """Sunday 02:00 does not exist on the spring change and happens twice in autumn."""
    sends = _weekly_sends(weekday=6, hour=2)
    local = [s.astimezone(clock.BERLIN) for s in sends]
    assert len({digests.iso_week(s) for s in sends}) == len(sends) == 156
    spring = [
        t for t in local if t.date() in (date(2026, 3, 29), date(2027, 3, 28), date(2028, 3, 26))
    ]
    assert [t.hour for t in spring] == [3, 3, 3]  # the first hour after the gap
    autumn = [
        t for t in local if t.date() in (date(2026, 10, 25), date(2027, 10, 31), date(2028, 10, 29))
    ]
    assert [(t.hour, t.fold) for t in autumn] == [(2, 0)] * 3  # the first 02:00, not both
    assert all(t.hour == 2 for t in local if t not in spring)


def test_the_job_table_runs_each_job_once_at_a_time_and_coalesces_missed_runs(app: Flask) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    configured = scheduler.configure(BackgroundScheduler(timezone=clock.BERLIN), app)
    for job in configured.get_jobs():
        assert (job.coalesce, job.max_instances) == (True, 1), job.id
    grace = {job.id: job.misfire_grace_time for job in configured.get_jobs()}
    assert grace == {
        "expire-postings": 3600,
        "weekly-digests": 1800,
        "outbox-drain": 30,
        "introduction-followups": 3600,
    }
