"""Introducing an approved pair: the step that shares contact details between two companies.

Before an introduction neither company learns the other's identity or contact from Matchmaker;
from the introduction on, the members of both see each other's contact on the posting page and
in the API. The introduction itself is a transition of the state machine, so two managers
introducing at once give one introduction and one set of mails (queued in the outbox in the
same transaction: they leave only if it commits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor, public_posting_clause, visible_matches_clause
from matchmaker.db import utcnow
from matchmaker.errors import Conflict
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Match, MatchStatus, Posting
from matchmaker.review import decisions, mails, states

MESSAGE_MAX = 5000


@dataclass(frozen=True)
class Texts:
    """The manager's words to each side (empty: the template's default text)."""

    need: str = ""
    offer: str = ""


def introduce(
    *, session: Session, actor: Actor, match_id: int, texts: Texts | None = None
) -> Match:
    """Introduce both companies of an approved match to each other."""
    texts = texts or Texts()
    match = decisions.get_match(session=session, actor=actor, match_id=match_id)
    errors = [
        (side, value)
        for side, value in (("need_message", texts.need), ("offer_message", texts.offer))
        if len(value) > MESSAGE_MAX
    ]
    if errors:
        raise decisions.invalid(
            [
                (name, "too_long", _l("At most %(max)s characters, please.", max=MESSAGE_MAX))
                for name, _value in errors
            ]
        )
    if match.status == MatchStatus.APPROVED.value:
        today = clock.today()
        live = session.execute(
            select(Posting.id).where(
                Posting.id.in_([match.need_id, match.offer_id]),
                public_posting_clause(today),
            )
        ).all()
        if len(live) != 2:
            raise Conflict(
                _l("One of the two postings is no longer active; the pair cannot be introduced.")
            )
    now = utcnow()
    match = states.transition(
        session,
        match,
        "introduce",
        actor_id=actor.user_id,
        values={"introduced_at": now, "introduced_by_id": actor.user_id},
    )
    mails.queue_introduction(
        session, match, {"need": texts.need.strip(), "offer": texts.offer.strip()}
    )
    return match


def awaiting_outcome(*, session: Session, network_ids: Any) -> list[Match]:
    """Introduced matches without an outcome yet, touching one of ``network_ids``."""
    actor = Actor(role="manager", network_ids=frozenset(network_ids))
    return list(
        session.execute(
            select(Match)
            .where(
                Match.status == MatchStatus.INTRODUCED.value,
                Match.outcome.is_(None),
                visible_matches_clause(actor),
            )
            .order_by(Match.introduced_at, Match.id)
        ).scalars()
    )


def is_due_for_followup(match: Match, today: date, days: int) -> bool:
    return (
        match.introduced_at is not None
        and match.outcome is None
        and (today - match.introduced_at.date()).days >= days
    )
