"""The matcher: the one process (or worker thread) of an installation that holds the engine.

Web workers only record match jobs (``matchmaker.match_jobs``). The matcher takes them in order,
ranks each posting against its index and stores the matches through ``matchmaker.matches``, one
transaction per posting; a job is deleted only when that transaction commits, so a matcher that
dies loses nothing: the next one finds the job again. The index is brought up to date from the
database before each batch (the watermark sync) and refitted in a background thread now and then,
while the old index keeps serving; the new one replaces it when it is ready.

Exactly one matcher is active: a lease row (``matcher_lease``, works on SQLite and PostgreSQL)
names the holder and expires unless renewed. A second matcher waits as a standby, writes nothing
but its attempts to take the lease, and takes over once the holder stopped renewing it.

Tests and the embedded quick start can run the matcher's work synchronously instead
(``MATCHMAKER_MATCHING=inline``): one pass right after every commit that recorded jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import match_index, match_jobs, matches
from matchmaker.config import Settings
from matchmaker.db import session_scope, utcnow
from matchmaker.models import MatcherLease, MatchJob, Posting

log = logging.getLogger(__name__)

LEASE_NAME = "matcher"
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # the expiry of a lease nobody has held yet
BATCH = 200


@dataclass(frozen=True)
class MatcherConfig:
    poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    refit_after: timedelta = matches.REFIT_AFTER


class Lease:
    """The right to be the active matcher: taken when free or expired, renewed by the holder."""

    def __init__(self, db_engine: DbEngine, *, holder: str, seconds: float) -> None:
        self.db_engine = db_engine
        self.holder = holder
        self.seconds = seconds
        self.renewed_at: datetime | None = None

    def hold(self) -> bool:
        """Take or renew the lease; False while another live matcher holds it."""
        now = utcnow()
        with session_scope(self.db_engine) as session:
            if session.get(MatcherLease, LEASE_NAME) is None:
                session.add(MatcherLease(name=LEASE_NAME, holder="", expires_at=NEVER))
                try:
                    session.flush()
                except Exception:  # another matcher created it at the same moment
                    session.rollback()
            mine = (
                session.execute(
                    select(MatcherLease.holder).where(MatcherLease.name == LEASE_NAME)
                ).scalar_one()
                == self.holder
            )
            values: dict[str, Any] = {
                "holder": self.holder,
                "heartbeat_at": now,
                "expires_at": now + timedelta(seconds=self.seconds),
            }
            if not mine:
                values["acquired_at"] = now
            result = session.execute(
                update(MatcherLease)
                .where(
                    MatcherLease.name == LEASE_NAME,
                    (MatcherLease.holder == self.holder) | (MatcherLease.expires_at < now),
                )
                .values(**values)
            )
            held = bool(getattr(result, "rowcount", 0))
        self.renewed_at = now if held else None
        return held

    def due(self) -> bool:
        """Renew a third of the lease time before it runs out."""
        return self.renewed_at is None or (
            utcnow() - self.renewed_at > timedelta(seconds=self.seconds / 3)
        )

    def release(self) -> None:
        """Hand over at once on a clean stop (a standby need not wait for the expiry)."""
        with session_scope(self.db_engine) as session:
            session.execute(
                update(MatcherLease)
                .where(MatcherLease.name == LEASE_NAME, MatcherLease.holder == self.holder)
                .values(expires_at=utcnow())
            )
        self.renewed_at = None


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class PassResult:
    active: bool
    matched: int = 0


class Matcher:
    """One matcher of one database: its index, its lease, its loop."""

    def __init__(
        self,
        db_engine: DbEngine,
        settings: matches.MatchSettings,
        *,
        config: MatcherConfig | None = None,
        holder: str | None = None,
        index: matches.MatchIndex | None = None,
    ) -> None:
        self.db_engine = db_engine
        self.settings = settings
        self.config = config or MatcherConfig()
        self.lease = Lease(
            db_engine, holder=holder or default_holder(), seconds=self.config.lease_seconds
        )
        self.index = index or matches.MatchIndex(settings=settings, auto_refit=False)
        self._refitting: threading.Thread | None = None
        self._swap = threading.Lock()

    # -- one pass ------------------------------------------------------------------------------

    def run_once(self, *, stop: threading.Event | None = None) -> PassResult:
        """Take or renew the lease, then work through the backlog (standby: do nothing)."""
        if not self.lease.hold():
            return PassResult(active=False)
        matched = self.work(stop=stop, leased=True)
        self._maybe_refit()
        return PassResult(active=True, matched=matched)

    def work(self, *, stop: threading.Event | None = None, leased: bool = False) -> int:
        """Match every waiting posting; returns how many jobs were done."""
        done = 0
        while not (stop is not None and stop.is_set()):
            with session_scope(self.db_engine) as session:
                jobs = match_jobs.pending_jobs(session, limit=BATCH)
                if not jobs:
                    return done
                index = self.current_index()
                index.ensure(session)  # one watermark sync for the batch
            for posting_id, version in jobs:
                if stop is not None and stop.is_set():
                    return done
                if leased and self.lease.due() and not self.lease.hold():
                    log.warning("matcher lease lost; standing by")
                    return done
                done += self._match_one(index, posting_id, version)
        return done

    def _match_one(self, index: matches.MatchIndex, posting_id: int, version: int) -> int:
        try:
            with session_scope(self.db_engine) as session:
                posting = session.execute(
                    select(Posting)
                    .where(Posting.id == posting_id)
                    .options(selectinload(Posting.company), selectinload(Posting.category))
                ).scalar_one_or_none()
                if posting is not None:
                    matches.refresh_posting(session, posting, index, sync=False)
                match_jobs.finish(session, posting_id, version)
            return 1
        except Exception:
            log.exception("matching posting %s failed; it is retried after the others", posting_id)
            with session_scope(self.db_engine) as session:
                session.execute(
                    update(MatchJob)
                    .where(MatchJob.posting_id == posting_id)
                    .values(requested_at=utcnow())
                )
            return 0

    # -- refit in the background ---------------------------------------------------------------

    def current_index(self) -> matches.MatchIndex:
        with self._swap:
            return self.index

    def _maybe_refit(self) -> None:
        index = self.current_index()
        if not index.fitted or (self._refitting is not None and self._refitting.is_alive()):
            return
        if index.needs_refit(after=self.config.refit_after):
            self.start_refit()

    def start_refit(self) -> threading.Thread:
        """Fit a fresh index in a thread; the current one serves until the swap."""
        thread = threading.Thread(target=self._refit, name="matcher-refit", daemon=True)
        self._refitting = thread
        thread.start()
        return thread

    def _refit(self) -> None:
        fresh = matches.MatchIndex(settings=self.settings, auto_refit=False)
        try:
            with Session(self.db_engine, expire_on_commit=False) as session:
                fresh.refit(session)
                session.commit()  # read only: ends the transaction the index watched
        except Exception:
            log.exception("background refit failed; the current index keeps serving")
            return
        with self._swap:
            self.index = fresh
        log.info("matcher index refitted and swapped")

    # -- the loop ------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Poll (woken early by PostgreSQL NOTIFY) until ``stop`` is set; release the lease."""
        waiter = Waiter(self.db_engine, stop)
        try:
            while not stop.is_set():
                try:
                    result = self.run_once(stop=stop)
                except Exception:
                    log.exception("matcher pass failed; retrying")
                    result = PassResult(active=False)
                wait = self.config.poll_seconds
                if not result.active:
                    wait = max(wait, min(self.config.lease_seconds / 3, 5.0))
                waiter.wait(wait)
        finally:
            waiter.close()
            try:
                self.lease.release()
            except Exception:
                log.exception("could not release the matcher lease")


class Waiter:
    """Sleeps until the next poll, or until PostgreSQL announces new match jobs."""

    def __init__(self, db_engine: DbEngine, stop: threading.Event) -> None:
        self.stop = stop
        self._conn: Any = None
        if db_engine.dialect.name == "postgresql":
            try:
                import psycopg

                url = db_engine.url.set(drivername="postgresql")
                self._conn = psycopg.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                )
                self._conn.execute(f"LISTEN {match_jobs.CHANNEL}")
            except Exception:
                log.exception("LISTEN failed; polling only")
                self._conn = None

    def wait(self, seconds: float) -> None:
        if self._conn is None:
            self.stop.wait(seconds)
            return
        try:
            for _note in self._conn.notifies(timeout=seconds, stop_after=1):
                pass
        except Exception:
            log.exception("LISTEN connection lost; polling only")
            self.close()
            self.stop.wait(seconds)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def match_settings(settings: Settings) -> matches.MatchSettings:
    return matches.MatchSettings(
        threshold=settings.match_threshold,
        candidates=settings.match_candidates,
        thesaurus_path=settings.thesaurus_path,
    )


def from_settings(db_engine: DbEngine, settings: Settings) -> Matcher:
    """The matcher an installation's settings describe (the CLI and the worker process)."""
    return Matcher(
        db_engine,
        match_settings(settings),
        config=MatcherConfig(
            poll_seconds=settings.matcher_poll_seconds,
            lease_seconds=settings.matcher_lease_seconds,
            refit_after=timedelta(hours=settings.matcher_refit_hours),
        ),
    )


def start_in_thread(matcher: Matcher) -> tuple[threading.Thread, threading.Event]:
    """Run the matcher loop in a daemon thread (e.g. inside the scheduler's worker process)."""
    stop = threading.Event()
    thread = threading.Thread(target=matcher.run_forever, args=(stop,), name="matcher", daemon=True)
    thread.start()
    return thread, stop


def status(session: Session) -> dict[str, Any]:
    """The matcher's heartbeat and backlog, for ``/healthz``."""
    lease = session.get(MatcherLease, LEASE_NAME)
    now = utcnow()
    return {
        "active": bool(lease and lease.holder and lease.expires_at > now),
        "holder": lease.holder if lease else None,
        "heartbeat_at": lease.heartbeat_at.isoformat() if lease else None,
        "heartbeat_age_seconds": (
            round((now - lease.heartbeat_at).total_seconds(), 1) if lease else None
        ),
        "backlog": match_jobs.backlog(session),
    }


# -- inline matching (tests, MATCHMAKER_MATCHING=inline) -------------------------------------------

_inline: weakref.WeakKeyDictionary[DbEngine, Matcher] = weakref.WeakKeyDictionary()


def install_inline(db_engine: DbEngine, index: matches.MatchIndex) -> Matcher:
    """Run one matcher pass (no lease) after every commit on ``db_engine`` that recorded jobs."""
    matcher = Matcher(db_engine, index.settings, index=index)
    _inline[db_engine] = matcher
    return matcher


def run_matcher_once(db_engine: DbEngine) -> int:
    """Work through the backlog now, synchronously (tests); returns the jobs done."""
    matcher = _inline.get(db_engine)
    if matcher is None:
        return 0
    return matcher.work()


def _after_commit(session: OrmSession) -> None:
    if not session.info.pop("matchmaker.match_jobs_recorded", False):
        return
    bind = session.get_bind()
    db_engine = bind if isinstance(bind, DbEngine) else getattr(bind, "engine", None)
    if db_engine is not None and db_engine in _inline:
        run_matcher_once(db_engine)


def _after_rollback(session: OrmSession) -> None:
    session.info.pop("matchmaker.match_jobs_recorded", None)


event.listen(OrmSession, "after_commit", _after_commit)
event.listen(OrmSession, "after_rollback", _after_rollback)


def uninstall_inline(db_engine: DbEngine) -> None:
    """Back to the production setup for ``db_engine``: jobs wait for a matcher process."""
    _inline.pop(db_engine, None)
    match_index.unconfigure(db_engine)
