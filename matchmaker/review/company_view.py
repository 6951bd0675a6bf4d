"""What a company's members learn about the review of their posting.

How many suggestions are under review (a number only: never who is on the other side), and the
introductions a manager made, with the partner company and its contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.models import Match, MatchStatus, Posting

UNDER_REVIEW = (
    MatchStatus.SUGGESTED.value,
    MatchStatus.APPROVED.value,
    MatchStatus.SNOOZED.value,
)


@dataclass(frozen=True)
class PostingReview:
    under_review: int
    introductions: list[tuple[Match, Posting]]  # (match, the partner's posting)


def posting_review(*, session: Session, actor: Actor, posting: Posting) -> PostingReview | None:
    """The summary for the posting's own company (None for anybody else)."""
    if posting.id is None or actor.company_id is None or actor.company_id != posting.company_id:
        return None
    own = or_(Match.need_id == posting.id, Match.offer_id == posting.id)
    under_review = session.execute(
        select(func.count(Match.id)).where(own, Match.status.in_(UNDER_REVIEW))
    ).scalar_one()
    introduced = session.execute(
        select(Match)
        .where(own, Match.status == MatchStatus.INTRODUCED.value)
        .order_by(Match.introduced_at.desc())
    ).scalars()
    return PostingReview(
        under_review=int(under_review),
        introductions=[
            (match, match.offer if match.need_id == posting.id else match.need)
            for match in introduced
        ],
    )
