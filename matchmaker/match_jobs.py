"""Pending matching work: the rows web workers write instead of ranking in the request.

A change of a posting (or of its company) records a :class:`MatchJob` in the same transaction,
so the work is committed or rolled back with the change and nothing is lost while the matcher
is down. On PostgreSQL the transaction also sends a ``NOTIFY`` that wakes the matcher at once;
without it (SQLite) the matcher finds the row at its next poll.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from matchmaker.db import utcnow
from matchmaker.models import MatchJob

CHANNEL = "matchmaker_match_jobs"


def request_matching(session: Session, posting_ids: Iterable[int]) -> int:
    """Record that these postings need matching (again); returns how many were recorded."""
    ids = sorted({int(i) for i in posting_ids})
    if not ids:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    for posting_id in ids:  # one statement per row: ON CONFLICT must not see a row twice
        stmt = insert(MatchJob).values(posting_id=posting_id, version=1, requested_at=now)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["posting_id"],
                set_={"version": MatchJob.version + 1, "requested_at": now},
            )
        )
    if dialect == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
    session.info["matchmaker.match_jobs_recorded"] = True
    return len(ids)


def pending_jobs(session: Session, *, limit: int) -> list[tuple[int, int]]:
    """The oldest waiting jobs as (posting id, version)."""
    rows = session.execute(
        select(MatchJob.posting_id, MatchJob.version)
        .order_by(MatchJob.requested_at, MatchJob.posting_id)
        .limit(limit)
    ).all()
    return [(int(posting_id), int(version)) for posting_id, version in rows]


def finish(session: Session, posting_id: int, version: int) -> bool:
    """Drop a job that was worked on, unless the posting changed again meanwhile."""
    result = session.execute(
        delete(MatchJob).where(and_(MatchJob.posting_id == posting_id, MatchJob.version == version))
    )
    return bool(getattr(result, "rowcount", 0))


def backlog(session: Session) -> int:
    """How many postings wait for their matches."""
    return int(session.execute(select(func.count()).select_from(MatchJob)).scalar_one())


def matching_pending(session: Session, posting_ids: Iterable[int]) -> set[int]:
    """Which of these postings wait for their matches ("matching pending" on pages and API)."""
    ids = sorted({int(i) for i in posting_ids})
    if not ids:
        return set()
    return set(
        session.execute(select(MatchJob.posting_id).where(MatchJob.posting_id.in_(ids))).scalars()
    )
