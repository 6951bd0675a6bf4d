"""The fitted matching engine of one database in this process, kept in sync incrementally.

Every process keeps one fitted engine per database (:class:`MatchIndex`) and brings it up to date
incrementally from the database before it ranks: postings and companies changed since the last
sync are added, updated or removed, so a change made by another process (a web worker, the CLI)
is seen without refitting. What it finds is stored by :mod:`matchmaker.matches`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, event, or_, select
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import public_posting_clause
from matchmaker.db import utcnow
from matchmaker.matching import Engine, EngineConfig, PostingDoc, load_thesaurus
from matchmaker.models import Company, CompanyStatus, Posting, PostingStatus

log = logging.getLogger(__name__)

# Changes committed by other processes may carry a slightly older timestamp than the newest one
# seen; re-reading a short window makes the incremental sync safe against that race.
SYNC_OVERLAP = timedelta(minutes=2)
# Incremental updates keep the weights of the last fit; refit now and then for vocabulary drift.
REFIT_AFTER = timedelta(hours=6)


@dataclass
class MatchSettings:
    threshold: float = 0.15
    candidates: int = 20
    thesaurus_path: Path | None = None


def posting_doc(posting: Posting) -> PostingDoc:
    """What the engine knows of a posting."""
    return PostingDoc(
        id=posting.id if posting.id is not None else -1,
        kind=posting.kind,
        title=posting.title,
        description=posting.description,
        category=posting.category.slug if posting.category else None,
        postal_code=posting.postal_code,
        radius_km=float(posting.radius_km) if posting.radius_km else None,
        quantity=posting.quantity,
        unit=posting.unit,
        available_from=posting.available_from,
        available_until=posting.available_until,
        language=posting.language,
        owner=posting.company_id,
    )


def is_live(posting: Posting, today: date) -> bool:
    """Only active, valid postings of approved companies take part in matching."""
    return (
        posting.status == PostingStatus.ACTIVE.value
        and posting.valid_until >= today
        and posting.company is not None
        and posting.company.status == CompanyStatus.APPROVED.value
    )


def live_clause(today: date) -> ColumnElement[bool]:
    """The postings that take part in matching: exactly the publicly visible ones."""
    return public_posting_clause(today)


@dataclass
class MatchIndex:
    """The fitted engine of one database in this process, synced incrementally.

    The engine object (with its thesaurus) is built once; a refit only refits its index.
    """

    settings: MatchSettings
    # False in the matcher process: it refits in a background thread instead of while ranking
    auto_refit: bool = True
    fitted: bool = False
    fitted_at: datetime | None = None
    watermark: datetime | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    _engine: Engine | None = None
    _thesaurus_stamp: float | None = None
    # (updated_at of the posting, of its company) as last applied, to skip unchanged rows
    _applied: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        with self.lock:
            if self._engine is None:
                path = self.settings.thesaurus_path
                self._thesaurus_stamp = _thesaurus_stamp(path)
                thesaurus = load_thesaurus(path) if path and path.is_dir() else None
                self._engine = Engine(thesaurus=thesaurus, config=EngineConfig())
            return self._engine

    def _reload_if_thesaurus_changed(self) -> None:
        """An edited thesaurus takes effect at the next refit, without a restart."""
        if self._engine is not None and (
            _thesaurus_stamp(self.settings.thesaurus_path) != self._thesaurus_stamp
        ):
            self._engine = None

    def refit(self, session: Session, *, today: date | None = None) -> Engine:
        """Fit the engine on every live posting (vocabulary and weights rebuilt)."""
        today = today or clock.today()
        with self.lock:
            self._reload_if_thesaurus_changed()
            started = utcnow()
            live = session.execute(
                select(Posting)
                .where(live_clause(today))
                .options(selectinload(Posting.category), selectinload(Posting.company))
            ).scalars()
            engine = self.engine
            self._applied.clear()
            docs = []
            for posting in live:
                docs.append(posting_doc(posting))
                self._remember(posting)
            engine.fit(docs)
            self.fitted = True
            self.fitted_at = started
            self.watermark = started
            watch_transaction(session, self)
            return engine

    def ensure(self, session: Session, *, today: date | None = None) -> Engine:
        """The engine, fitted on first use and brought up to date with the database."""
        with self.lock:
            if not self.fitted or (self.auto_refit and self.needs_refit()):
                return self.refit(session, today=today)
            self.sync(session, today=today)
            return self.engine

    def needs_refit(self, *, after: timedelta = REFIT_AFTER) -> bool:
        """The last fit is old (vocabulary drift) or the thesaurus changed since."""
        stale = self.fitted_at is None or utcnow() - self.fitted_at > after
        return stale or _thesaurus_stamp(self.settings.thesaurus_path) != self._thesaurus_stamp

    def sync(self, session: Session, *, today: date | None = None) -> int:
        """Apply postings and companies changed since the last sync; returns how many."""
        today = today or clock.today()
        with self.lock:
            if not self.fitted or self.watermark is None:
                self.refit(session, today=today)
                return 0
            since = self.watermark - SYNC_OVERLAP
            started = utcnow()
            changed = session.execute(
                select(Posting)
                .join(Company, Company.id == Posting.company_id)
                .where(or_(Posting.updated_at >= since, Company.updated_at >= since))
                .options(selectinload(Posting.category), selectinload(Posting.company))
            ).scalars()
            count = 0
            for posting in changed:
                self.apply(posting, today=today)
                count += 1
            self.watermark = started
            if count:
                watch_transaction(session, self)
            return count

    def _remember(self, posting: Posting) -> None:
        if posting.id is not None:
            self._applied[posting.id] = (posting.updated_at, posting.company.updated_at)

    def apply(self, posting: Posting, *, today: date) -> None:
        """Bring the index in line with one posting (skipped when nothing changed since)."""
        if posting.id is None:
            return
        stamp = (posting.updated_at, posting.company.updated_at)
        if self._applied.get(posting.id) == stamp and posting.valid_until >= today:
            return
        if is_live(posting, today):
            self.engine.update(posting_doc(posting))
        else:
            self.engine.remove(posting.id)
        self._applied[posting.id] = stamp

    def invalidate(self) -> None:
        """Forget the fitted state (it may include rolled-back changes); refit on next use."""
        with self.lock:
            self.fitted = False
            self.watermark = None
            self._applied.clear()


def _thesaurus_stamp(path: Path | None) -> float | None:
    """When the thesaurus files last changed (None without a thesaurus)."""
    if path is None or not path.is_dir():
        return None
    return max((file.stat().st_mtime for file in path.glob("*.yaml")), default=None)


def watch_transaction(session: Session, index: MatchIndex) -> None:
    """If the session's transaction rolls back after the index saw its rows, refit later."""
    watched: dict[int, list[bool]] = session.info.setdefault("matchmaker.watched_indexes", {})
    if watched.get(id(index), [False])[0]:
        return
    state = [True]  # still watching this transaction
    watched[id(index)] = state
    ref = weakref.ref(index)

    def on_rollback(_session: Session) -> None:
        target = ref()
        if state[0] and target is not None:
            target.invalidate()
        state[0] = False

    def on_commit(_session: Session) -> None:
        state[0] = False

    event.listen(session, "after_rollback", on_rollback)
    event.listen(session, "after_commit", on_commit)


_indexes: weakref.WeakKeyDictionary[DbEngine, MatchIndex] = weakref.WeakKeyDictionary()


def configure(db_engine: DbEngine, settings: MatchSettings) -> MatchIndex:
    """Turn matching on for a database (the app factory does this)."""
    index = _indexes.get(db_engine)
    if index is None or index.settings != settings:
        index = MatchIndex(settings=settings)
        _indexes[db_engine] = index
    return index


def unconfigure(db_engine: DbEngine) -> None:
    """This process no longer matches for ``db_engine`` (the matcher process does)."""
    _indexes.pop(db_engine, None)


def index_for(session: Session) -> MatchIndex | None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, DbEngine) else getattr(bind, "engine", None)
    return _indexes.get(engine) if engine is not None else None


def reset(db_engine: DbEngine) -> None:
    """Make the index of ``db_engine`` refit on next use (after the database was replaced)."""
    index = _indexes.get(db_engine)
    if index is not None:
        index.invalidate()
