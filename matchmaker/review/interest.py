"""Expressions of interest: a company member says "we can help" or "we are interested".

The member picks one of its company's live postings of the opposite kind; the pair becomes a
suggested match marked as coming from a company, in the managers' queue. The other company is
not told: it learns of the interest only when a manager introduces them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock, match_jobs, matches
from matchmaker.access import Actor, live_posting_clause
from matchmaker.db import utcnow
from matchmaker.errors import NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.matching import ENGINE_VERSION
from matchmaker.models import Match, MatchEvent, MatchSource, MatchStatus, Posting, PostingKind
from matchmaker.review import decisions, states

MESSAGE_MAX = 1000


def own_candidates(
    *, session: Session, actor: Actor, posting: Posting, today: date | None = None
) -> list[Posting]:
    """The actor's company's live postings that could answer ``posting``."""
    if not actor.is_member or actor.company_id == posting.company_id:
        return []
    opposite = PostingKind.OFFER if posting.kind == PostingKind.NEED.value else PostingKind.NEED
    return list(
        session.execute(
            select(Posting)
            .where(
                Posting.company_id == actor.company_id,
                Posting.kind == opposite.value,
                live_posting_clause(today or clock.today()),
            )
            .order_by(Posting.title)
        ).scalars()
    )


def express_interest(
    *, session: Session, actor: Actor, posting_id: int, own_posting_id: int, message: str
) -> Match:
    """Put the pair (their posting, our posting) in the queue as a company's suggestion."""
    today = clock.today()
    posting = session.execute(
        select(Posting).where(Posting.id == posting_id, live_posting_clause(today))
    ).scalar_one_or_none()
    if posting is None:
        raise NotFound(_l("This posting does not exist."))
    if not actor.is_member:
        raise PermissionDenied(_l("Only members of a company can express interest."))
    if actor.company_id == posting.company_id:
        raise PermissionDenied(_l("This is a posting of your own company."))
    message = (message or "").strip()
    own = {p.id: p for p in own_candidates(session=session, actor=actor, posting=posting)}
    errors = []
    if own_posting_id not in own:
        errors.append(("own_posting", "invalid", _l("Choose one of your active postings.")))
    if len(message) > MESSAGE_MAX:
        errors.append(
            ("message", "too_long", _l("At most %(max)s characters, please.", max=MESSAGE_MAX))
        )
    if errors:
        raise decisions.invalid(errors)
    mine = own[own_posting_id]
    need, offer = (posting, mine) if posting.kind == PostingKind.NEED.value else (mine, posting)
    match = session.execute(
        select(Match).where(Match.need_id == need.id, Match.offer_id == offer.id)
    ).scalar_one_or_none()
    if match is None:
        match = Match(
            need_id=need.id,
            offer_id=offer.id,
            source=MatchSource.COMPANY.value,
            engine_version=ENGINE_VERSION,
            **_score(session, need, offer),
        )
        session.add(match)
        session.flush()
    elif match.status in (MatchStatus.RETIRED.value, MatchStatus.REJECTED.value):
        states.system_step(
            session, match, "reopen", source=MatchSource.COMPANY.value, reject_reason=None
        )
    assert match.id is not None
    session.add(
        MatchEvent(
            match_id=match.id,
            created_at=utcnow(),
            actor_id=actor.user_id,
            action="interest",
            from_status=match.status,
            to_status=match.status,
            details={"company_id": actor.company_id, "posting_id": mine.id, "message": message},
        )
    )
    session.flush()
    return match


def _score(session: Session, need: Posting, offer: Posting) -> dict[str, object]:
    """The engine's view of the pair when matching runs here; else no score yet: the matcher
    process scores the pair when it rematches the need."""
    index = matches.index_for(session)
    if index is None:
        assert need.id is not None
        match_jobs.request_matching(session, [need.id])
        return {"score": 0.0, "components": {}, "explanation": {}}
    engine = index.ensure(session)
    with index.lock:
        candidate = engine.score_pair(matches.posting_doc(need), matches.posting_doc(offer))
    return {
        "score": min(1.0, max(0.0, float(candidate.score))),
        "components": dict(candidate.components),
        "explanation": candidate.explanation.to_dict(),
    }
