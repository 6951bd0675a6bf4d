"""The matcher process: web writes only jobs, one active matcher (lease), standby, catch-up,
failover with real processes, the background refit, and what pages, API and /healthz show."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import match_jobs, matcher, matches
from matchmaker.models import Match, MatcherLease, MatchJob
from tests.cli.conftest import CONSOLE_SCRIPT, console_env
from tests.factories import World, make_posting
from tests.helpers import login_as
from tests.services.test_matches import STEEL_OFFER

SETTINGS = matches.MatchSettings()


@pytest.fixture
def production(engine: Engine) -> Iterator[Engine]:
    """The database as web workers see it in production: no matching in this process."""
    matcher.uninstall_inline(engine)
    yield engine
    matcher.uninstall_inline(engine)


def make_matcher(engine: Engine, holder: str, *, lease_seconds: float = 30.0) -> matcher.Matcher:
    return matcher.Matcher(
        engine,
        SETTINGS,
        holder=holder,
        config=matcher.MatcherConfig(poll_seconds=0.1, lease_seconds=lease_seconds),
    )


def jobs(session: Session) -> set[int]:
    session.expire_all()
    return set(session.execute(select(MatchJob.posting_id)).scalars())


def match_count(session: Session, posting_id: int) -> int:
    session.expire_all()
    return int(
        session.execute(
            select(func.count())
            .select_from(Match)
            .where((Match.need_id == posting_id) | (Match.offer_id == posting_id))
        ).scalar_one()
    )


def holder(session: Session) -> str | None:
    session.expire_all()
    lease = session.get(MatcherLease, matcher.LEASE_NAME)
    return lease.holder if lease else None


def eventually(check: Callable[[], bool], *, seconds: float = 60.0) -> None:
    """Poll until ``check`` holds (a generous limit for a loaded machine, not a speed test)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)


def test_saving_a_posting_records_a_job_and_no_match(
    production: Engine, session: Session, world: World
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert offer.id in jobs(session)
    assert match_count(session, offer.id or 0) == 0
    assert matches.index_for(session) is None  # this process holds no engine


def test_catch_up_matches_every_posting_saved_while_the_matcher_was_down(
    production: Engine, session: Session, world: World
) -> None:
    first = make_matcher(production, "first")
    assert first.run_once().active
    first.lease.release()  # the matcher stops
    assert jobs(session) == set()
    saved = [make_posting(session, world.member_b1, **STEEL_OFFER) for _ in range(3)]
    session.commit()
    ids = {p.id for p in saved}
    assert jobs(session) == ids
    assert all(match_count(session, i or 0) == 0 for i in ids)

    second = make_matcher(production, "second")
    result = second.run_once()
    assert result == matcher.PassResult(active=True, matched=3)
    assert jobs(session) == set()
    for posting_id in ids:  # each matched once: one stored pair with the steel need
        assert match_count(session, posting_id or 0) == 1
    assert second.run_once().matched == 0


def test_a_standby_matcher_writes_nothing(
    production: Engine, session: Session, world: World
) -> None:
    active = make_matcher(production, "active")
    standby = make_matcher(production, "standby")
    assert active.run_once().active
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert standby.run_once() == matcher.PassResult(active=False)
    assert jobs(session) == {offer.id}
    assert match_count(session, offer.id or 0) == 0
    assert holder(session) == "active"
    assert active.run_once().matched == 1


def test_the_standby_takes_over_when_the_lease_expires(
    production: Engine, session: Session, world: World
) -> None:
    first = make_matcher(production, "first", lease_seconds=1)
    second = make_matcher(production, "second", lease_seconds=1)
    assert first.run_once().active
    assert not second.run_once().active
    # the first one dies without releasing its lease
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    eventually(lambda: second.run_once().active)
    assert holder(session) == "second"
    assert jobs(session) == set()
    assert match_count(session, offer.id or 0) == 1
    assert not first.run_once().active  # it came back: now it is the standby


def test_a_change_during_the_work_is_matched_again(
    production: Engine, session: Session, world: World
) -> None:
    """A job is only dropped when its version is the one the matcher worked on."""
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    ((posting_id, version),) = [
        job for job in match_jobs.pending_jobs(session, limit=100) if job[0] == offer.id
    ]
    match_jobs.request_matching(session, [posting_id])  # edited again meanwhile
    assert not match_jobs.finish(session, posting_id, version)
    session.commit()
    assert posting_id in jobs(session)


def test_the_background_refit_swaps_in_a_fresh_index(
    production: Engine, session: Session, world: World
) -> None:
    worker = make_matcher(production, "refitting")
    assert worker.run_once().active
    old = worker.current_index()
    assert old.fitted
    worker.start_refit().join()
    fresh = worker.current_index()
    assert fresh is not old and fresh.fitted
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert worker.run_once().matched == 1
    assert match_count(session, offer.id or 0) == 1


def _start(url: str, instance: Path) -> subprocess.Popen[str]:
    env = console_env(
        instance,
        MATCHMAKER_DATABASE_URL=url,
        MATCHMAKER_MATCHER_LEASE_SECONDS="2",
        MATCHMAKER_MATCHER_POLL_SECONDS="0.2",
    )
    return subprocess.Popen(
        [str(CONSOLE_SCRIPT), "matcher"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_failover_between_two_matcher_processes(
    production: Engine, session: Session, world: World, tmp_path: Path
) -> None:
    url = production.url.render_as_string(hide_password=False)
    processes = [_start(url, tmp_path / "one"), _start(url, tmp_path / "two")]
    try:
        eventually(lambda: jobs(session) == set(), seconds=120)  # the world's postings
        pids = {p.pid: p for p in processes}
        active_pid = int((holder(session) or "::").split(":")[1])
        assert active_pid in pids
        os.kill(active_pid, signal.SIGKILL)
        pids[active_pid].wait(timeout=30)
        offer = make_posting(session, world.member_b1, **STEEL_OFFER)
        session.commit()
        eventually(lambda: jobs(session) == set(), seconds=120)
        (survivor,) = [pid for pid in pids if pid != active_pid]
        assert int((holder(session) or "::").split(":")[1]) == survivor
        assert match_count(session, offer.id or 0) == 1
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def test_pages_and_api_say_matching_pending(
    app: Flask, production: Engine, session: Session, world: World
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    client = login_as(app.test_client(), world.manager_b)
    page = client.get(f"/manage/postings/{offer.id}").get_data(as_text=True)
    assert "matching-pending" in page
    health = client.get("/healthz").get_json()
    assert health["matcher"]["backlog"] == len(jobs(session)) >= 1
    assert health["matcher"]["active"] is False

    make_matcher(production, "health").run_once()
    page = client.get(f"/manage/postings/{offer.id}").get_data(as_text=True)
    assert "matching-pending" not in page
    health = client.get("/healthz").get_json()
    assert health["matcher"]["backlog"] == 0
    assert health["matcher"]["active"] is True
    assert health["matcher"]["holder"] == "health"

    session.expire_all()
    (match,) = session.execute(select(Match).where(Match.offer_id == offer.id)).scalars()
    detail = f"/manager/matches/{match.id}"
    assert "matching-pending" not in client.get(detail).get_data(as_text=True)
    match_jobs.request_matching(session, [offer.id or 0])  # the offer was edited
    session.commit()
    assert "matching-pending" in client.get(detail).get_data(as_text=True)
