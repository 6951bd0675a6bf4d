"""Stored matches: the engine's suggestions kept current as postings change.

The engine itself and its incremental sync live in :mod:`matchmaker.match_index` (re-exported
here); this module stores what it ranks. ``matchmaker rematch`` refits and recomputes everything.

When a posting is created, edited or changes status, its candidates are ranked and stored as
:class:`Match` rows above the configured threshold; a posting that is no longer live (withdrawn,
fulfilled, expired, paused, its company suspended) retires its open matches. Matching crosses
networks; a match is visible to the managers of both companies' networks and to admins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import clock, match_jobs, postings, signals
from matchmaker.access import Actor, visible_matches_clause, visible_postings_clause
from matchmaker.db import utcnow
from matchmaker.errors import PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.match_index import (
    REFIT_AFTER,
    SYNC_OVERLAP,
    MatchIndex,
    MatchSettings,
    configure,
    index_for,
    is_live,
    live_clause,
    posting_doc,
    reset,
    watch_transaction,
)
from matchmaker.matching import (
    ENGINE_VERSION,
    Candidate,
)
from matchmaker.models import (
    OPEN_MATCH_STATUSES,
    Company,
    CompanyNetwork,
    Match,
    MatchSource,
    MatchStatus,
    Posting,
    PostingKind,
    PostingStatus,
)
from matchmaker.review import states

log = logging.getLogger(__name__)


def _pair(posting: Posting, other_id: int) -> tuple[int, int]:
    assert posting.id is not None
    if posting.kind == PostingKind.NEED.value:
        return posting.id, other_id
    return other_id, posting.id


def _suggested_matches_of(session: Session, posting_id: int) -> list[Match]:
    """The undecided matches of a posting: the only ones matching may retire or re-score."""
    return list(
        session.execute(
            select(Match).where(
                or_(Match.need_id == posting_id, Match.offer_id == posting_id),
                Match.status == MatchStatus.SUGGESTED.value,
            )
        ).scalars()
    )


def _has_open_matches(session: Session, posting_id: int) -> bool:
    return (
        session.execute(
            select(Match.id).where(
                or_(Match.need_id == posting_id, Match.offer_id == posting_id),
                Match.status.in_(OPEN_MATCH_STATUSES),
            )
        ).first()
        is not None
    )


def _retire(session: Session, row: Match) -> None:
    states.system_step(session, row, "retire", retired_at=utcnow())


def retire_matches(session: Session, posting_id: int) -> int:
    """Retire the suggested matches of a posting that no longer takes part in matching.

    Decided matches (approved, rejected, snoozed, introduced) keep their state: a manager's
    decision survives pausing and resuming a posting.
    """
    rows = _suggested_matches_of(session, posting_id)
    for row in rows:
        _retire(session, row)
    return len(rows)


def _store(session: Session, need_id: int, offer_id: int, candidate: Candidate) -> Match:
    """Store or re-score a candidate pair without overriding a decision.

    A retired pair comes back as suggested; a rejected pair only when one of its postings has
    changed materially since the rejection; decided pairs keep the score the manager saw.
    """
    row = session.execute(
        select(Match).where(Match.need_id == need_id, Match.offer_id == offer_id)
    ).scalar_one_or_none()
    if row is None:
        row = Match(need_id=need_id, offer_id=offer_id, score=0.0, engine_version=ENGINE_VERSION)
        _score(row, candidate)
        session.add(row)
        return row
    if row.status == MatchStatus.REJECTED.value:
        need, offer = session.get(Posting, need_id), session.get(Posting, offer_id)
        if (
            need is None
            or offer is None
            or states.fingerprint(need, offer) == (row.decided_fingerprint)
        ):
            return row
        _score(row, candidate)
        states.system_step(session, row, "reopen", reject_reason=None, decided_fingerprint=None)
        return row
    if row.status == MatchStatus.RETIRED.value:
        _score(row, candidate)
        states.system_step(session, row, "reopen", retired_at=None)
        return row
    if row.status in (MatchStatus.SUGGESTED.value, MatchStatus.SNOOZED.value):
        _score(row, candidate)
        row.updated_at = utcnow()
        session.add(row)
    return row


def _score(row: Match, candidate: Candidate) -> None:
    row.score = _clamp(candidate.score)
    row.components = dict(candidate.components)
    row.explanation = candidate.explanation.to_dict()
    row.engine_version = ENGINE_VERSION


def _clamp(score: float) -> float:
    return min(1.0, max(0.0, float(score)))


def refresh_posting(
    session: Session,
    posting: Posting,
    index: MatchIndex,
    *,
    today: date | None = None,
    sync: bool = True,
) -> list[Match]:
    """Rank one posting's candidates and store them; retire what no longer matches.

    ``sync=False`` when the caller brought the index up to date for a whole batch already.
    """
    today = today or clock.today()
    if posting.id is None:
        session.flush()
    assert posting.id is not None
    if not is_live(posting, today):
        retire_matches(session, posting.id)
        if index.fitted:
            with index.lock:
                index.engine.remove(posting.id)
        return []
    engine = index.ensure(session, today=today) if sync or not index.fitted else index.engine
    doc = posting_doc(posting)
    with index.lock:
        engine.update(doc)
        candidates = engine.rank(
            doc, k=index.settings.candidates, min_score=index.settings.threshold
        )
    watch_transaction(session, index)
    candidates = _only_live(session, index, candidates, today=today)
    kept: dict[tuple[int, int], Match] = {}
    for candidate in candidates:
        need_id, offer_id = _pair(posting, int(candidate.id))
        kept[(need_id, offer_id)] = _store(session, need_id, offer_id, candidate)
    # Suggested pairs that dropped out of the top list: keep them while they still score enough.
    for row in _suggested_matches_of(session, posting.id):
        if (row.need_id, row.offer_id) in kept:
            continue
        other = session.get(Posting, row.offer_id if posting.id == row.need_id else row.need_id)
        if other is None or not is_live(other, today):
            _retire(session, row)
            continue
        need, offer = (posting, other) if posting.id == row.need_id else (other, posting)
        with index.lock:
            candidate = engine.score_pair(posting_doc(need), posting_doc(offer))
        if candidate.score >= index.settings.threshold:
            _store(session, row.need_id, row.offer_id, candidate)
        elif row.source == MatchSource.ENGINE.value:
            _retire(session, row)
        else:  # a company's own suggestion stays, with the engine's view of it
            _score(row, candidate)
            session.add(row)
    session.flush()
    return list(kept.values())


def _only_live(
    session: Session, index: MatchIndex, candidates: list[Candidate], *, today: date
) -> list[Candidate]:
    """Drop candidates the database no longer has as live postings (another process may have
    changed them since the last sync) and forget them in the index."""
    ids = [int(c.id) for c in candidates]
    if not ids:
        return candidates
    live = set(
        session.execute(select(Posting.id).where(Posting.id.in_(ids), live_clause(today))).scalars()
    )
    stale = [i for i in ids if i not in live]
    if stale:
        with index.lock:
            for posting_id in stale:
                index.engine.remove(posting_id)
    return [c for c in candidates if int(c.id) in live]


_DEFERRED = "matchmaker.deferred_matching"


@contextmanager
def deferred(session: Session, *, full_rematch: bool = False) -> Iterator[None]:
    """Bulk changes (demo data, imports): match once at the end instead of after every posting.

    The changed postings are collected and matched when the block ends without error; with
    ``full_rematch`` everything is rematched once instead (cheaper for a whole data set).
    """
    if session.info.get(_DEFERRED) is not None:  # nested: the outer block matches
        yield
        return
    pending: dict[int, None] = {}
    session.info[_DEFERRED] = pending
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
    index = index_for(session)
    if index is None:  # a web worker or a CLI command: the matcher does the work
        match_jobs.request_matching(session, pending)
        return
    if full_rematch:
        rematch_all(session, index)
        return
    for posting_id in pending:
        posting = session.get(Posting, posting_id)
        if posting is not None:
            refresh_posting(session, posting, index)


def _on_posting_changed(session: Session, posting: Posting) -> None:
    """Record that the posting needs matching, in the change's own transaction."""
    pending = session.info.get(_DEFERRED)
    if posting.id is None:
        session.flush()
    assert posting.id is not None
    if pending is not None:
        pending[posting.id] = None
        return
    match_jobs.request_matching(session, [posting.id])


def _on_company_changed(session: Session, company: Company) -> None:
    """A company's status decides whether its postings are live: all of them need matching."""
    affected = [
        posting.id
        for posting in session.execute(
            select(Posting).where(Posting.company_id == company.id)
        ).scalars()
        if posting.id is not None
        and (posting.status == PostingStatus.ACTIVE.value or _has_open_matches(session, posting.id))
    ]
    pending = session.info.get(_DEFERRED)
    if pending is not None:
        pending.update(dict.fromkeys(affected))
        return
    match_jobs.request_matching(session, affected)


def connect_signals() -> None:
    """Keep stored matches current on every change; the app factory calls this."""
    signals.posting_changed.connect(_on_posting_changed)
    signals.company_reviewed.connect(_on_company_changed)


@dataclass(frozen=True)
class RematchReport:
    postings: int
    stored: int
    retired: int


def rematch_all(
    session: Session,
    index: MatchIndex,
    *,
    progress: Callable[[Iterable[Posting]], Iterable[Posting]] = lambda items: items,
    today: date | None = None,
) -> RematchReport:
    """Refit the engine and recompute the matches of every live posting.

    Both directions are ranked (each need's best offers and each offer's best needs), so a pair
    is stored when either side has the other among its candidates.
    """
    today = today or clock.today()
    engine = index.refit(session, today=today)
    live = {
        posting.id: posting
        for posting in session.execute(
            select(Posting)
            .where(live_clause(today))
            .options(selectinload(Posting.category), selectinload(Posting.company))
            .order_by(Posting.id)
        ).scalars()
    }
    settings = index.settings
    with index.lock:
        ranked = {
            kind: engine.rank_all(kind, settings.candidates, min_score=settings.threshold)
            for kind in (PostingKind.NEED.value, PostingKind.OFFER.value)
        }
    wanted: dict[tuple[int, int], Candidate] = {}
    for posting in progress(list(live.values())):
        assert posting.id is not None
        for candidate in ranked[posting.kind].get(posting.id, []):
            pair = _pair(posting, int(candidate.id))
            if pair not in wanted or candidate.score > wanted[pair].score:
                wanted[pair] = candidate
    for (need_id, offer_id), candidate in wanted.items():
        _store(session, need_id, offer_id, candidate)
    retired = 0
    for row in session.execute(
        select(Match).where(
            Match.status == MatchStatus.SUGGESTED.value,
            Match.source == MatchSource.ENGINE.value,
        )
    ).scalars():
        if (row.need_id, row.offer_id) not in wanted:
            _retire(session, row)
            retired += 1
    session.flush()
    return RematchReport(postings=len(live), stored=len(wanted), retired=retired)


def matches_for_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    include_retired: bool = False,
) -> list[tuple[Match, Posting]]:
    """A posting's stored candidates, best first, with the opposite posting of each.

    The partner is joined under the actor's posting visibility: a manager never learns about
    another network's paused or withdrawn posting through a match.
    """
    posting = postings.get_posting(session=session, actor=actor, posting_id=posting_id)
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_l("Only network managers see suggested matches."))
    own_side = Match.need_id if posting.kind == PostingKind.NEED.value else Match.offer_id
    other_side = Match.offer_id if posting.kind == PostingKind.NEED.value else Match.need_id
    stmt = (
        select(Match, Posting)
        .join(Posting, Posting.id == other_side)
        .where(
            own_side == posting_id,
            visible_matches_clause(actor),
            visible_postings_clause(actor, clock.today()),
        )
        .options(selectinload(Posting.company), selectinload(Posting.category))
        .order_by(Match.score.desc(), Match.id)
    )
    if not include_retired:
        stmt = stmt.where(Match.status.in_(OPEN_MATCH_STATUSES))
    rows = session.execute(stmt).all()
    if not rows and not actor.is_admin and not _manages(session, actor, posting):
        raise PermissionDenied(_l("Only the managers of this company's networks see its matches."))
    return [(match, other) for match, other in rows]


def _manages(session: Session, actor: Actor, posting: Posting) -> bool:
    return bool(
        session.execute(
            select(CompanyNetwork.company_id).where(
                CompanyNetwork.company_id == posting.company_id,
                CompanyNetwork.network_id.in_(sorted(actor.network_ids)),
            )
        ).first()
    )


__all__ = [
    "REFIT_AFTER",
    "SYNC_OVERLAP",
    "MatchIndex",
    "MatchSettings",
    "RematchReport",
    "configure",
    "deferred",
    "index_for",
    "is_live",
    "matches_for_posting",
    "posting_doc",
    "refresh_posting",
    "rematch_all",
    "reset",
    "retire_matches",
    "visible_matches_clause",
]
