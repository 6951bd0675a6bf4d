"""What one manager's digest says: matches, backlog, expiring postings, balance."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session

from matchmaker.access import public_posting_clause
from matchmaker.clock import BERLIN
from matchmaker.db import utcnow
from matchmaker.digests.weeks import week_start
from matchmaker.models import (
    Category,
    CompanyNetwork,
    DigestDelivery,
    DigestPreference,
    Match,
    MatchStatus,
    Network,
    Posting,
    PostingKind,
    User,
)

log = logging.getLogger(__name__)

TOP_MATCHES = 10
EXPIRY_WINDOW_DAYS = 7


# --- preferences -----------------------------------------------------------------------------


def preference_for(session: Session, manager: User) -> DigestPreference:
    """The manager's stored choices, or the defaults (not added to the session)."""
    stored = session.get(DigestPreference, manager.id)
    return stored if stored is not None else DigestPreference(user_id=manager.id)


def digest_networks(manager: User, preference: DigestPreference) -> list[Network]:
    """The active networks the digest covers: the manager's, narrowed by the preference."""
    chosen = set(preference.network_ids)
    networks = [n for n in manager.managed_networks if n.active]
    if chosen:
        networks = [n for n in networks if n.id in chosen]
    return sorted(networks, key=lambda n: n.name)


# --- content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    category: Category
    needs: int
    offers: int


@dataclass(frozen=True)
class MatchLine:
    """A match as the digest shows it: both postings, the score and the reason in a line."""

    match: Match
    need: Posting
    offer: Posting

    def reason(self, language: str) -> str:
        key = "summary_en" if language == "en" else "summary_de"
        return str(self.match.explanation.get(key) or "")


@dataclass
class Digest:
    """What one manager's digest says; rendered by ``emails/digest.{txt,html}``."""

    manager: User
    week: str
    since: datetime
    networks: list[Network]
    new_matches: list[MatchLine] = field(default_factory=list)
    new_match_total: int = 0
    backlog: int = 0
    oldest_backlog_days: int | None = None
    awaiting_outcome: list[MatchLine] = field(default_factory=list)
    expiring: list[Posting] = field(default_factory=list)
    needs_without_candidate: list[Posting] = field(default_factory=list)
    balance: list[BalanceRow] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing that asks for the manager's attention this week."""
        return not (self.new_match_total or self.backlog or self.awaiting_outcome or self.expiring)


def introductions_awaiting_outcome(*, session: Session, network_ids: list[int]) -> list[Match]:
    """Introductions made but without a recorded outcome yet (the review queue's rule)."""
    from matchmaker.review import awaiting_outcome  # the review package imports the services

    return awaiting_outcome(session=session, network_ids=network_ids)


def _in_networks(company_id: Any, network_ids: list[int]) -> Any:
    return exists(
        select(CompanyNetwork.company_id).where(
            CompanyNetwork.company_id == company_id, CompanyNetwork.network_id.in_(network_ids)
        )
    )


def _match_in_networks(network_ids: list[int]) -> Any:
    need_company = select(Posting.company_id).where(Posting.id == Match.need_id).scalar_subquery()
    offer_company = select(Posting.company_id).where(Posting.id == Match.offer_id).scalar_subquery()
    return or_(_in_networks(need_company, network_ids), _in_networks(offer_company, network_ids))


def delivery_of(session: Session, manager: User, week: str) -> DigestDelivery | None:
    return session.scalars(
        select(DigestDelivery).where(
            DigestDelivery.user_id == manager.id, DigestDelivery.week == week
        )
    ).first()


def deliveries_of(
    session: Session, manager: User | None = None, *, limit: int = 200
) -> list[DigestDelivery]:
    """The delivery log, newest first (one manager's, or everybody's)."""
    query = select(DigestDelivery).order_by(DigestDelivery.created_at.desc()).limit(limit)
    if manager is not None:
        query = query.where(DigestDelivery.user_id == manager.id)
    return list(session.scalars(query))


def previous_delivery(session: Session, manager: User, week: str) -> DigestDelivery | None:
    return session.scalars(
        select(DigestDelivery)
        .where(DigestDelivery.user_id == manager.id, DigestDelivery.week < week)
        .order_by(DigestDelivery.week.desc())
    ).first()


def build_digest(
    *, session: Session, manager: User, week: str, now: datetime | None = None
) -> Digest:
    now = now or utcnow()
    preference = preference_for(session, manager)
    networks = digest_networks(manager, preference)
    previous = previous_delivery(session, manager, week)
    since = previous.created_at if previous is not None else week_start(week) - timedelta(days=7)
    digest = Digest(manager=manager, week=week, since=since, networks=networks)
    ids = [n.id for n in networks if n.id is not None]
    if not ids:
        return digest
    suggested = (Match.status == MatchStatus.SUGGESTED.value, _match_in_networks(ids))
    new = (*suggested, Match.created_at > since, Match.score >= preference.min_score)
    digest.new_match_total = (
        session.scalar(select(func.count()).select_from(Match).where(*new)) or 0
    )
    digest.new_matches = _lines(
        session,
        session.scalars(
            select(Match).where(*new).order_by(Match.score.desc(), Match.id).limit(TOP_MATCHES)
        ),
    )
    digest.backlog = session.scalar(select(func.count()).select_from(Match).where(*suggested)) or 0
    oldest = session.scalar(select(func.min(Match.created_at)).where(*suggested))
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        digest.oldest_backlog_days = max((now - oldest).days, 0)
    digest.awaiting_outcome = _lines(
        session, introductions_awaiting_outcome(session=session, network_ids=ids)
    )
    today = now.astimezone(BERLIN).date()
    live = (public_posting_clause(today), _in_networks(Posting.company_id, ids))
    digest.expiring = list(
        session.scalars(
            select(Posting)
            .where(*live, Posting.valid_until <= today + timedelta(days=EXPIRY_WINDOW_DAYS))
            .order_by(Posting.valid_until, Posting.id)
        )
    )
    open_match = exists(
        select(Match.id).where(
            Match.need_id == Posting.id,
            Match.status.in_([MatchStatus.SUGGESTED.value, MatchStatus.APPROVED.value]),
        )
    )
    digest.needs_without_candidate = list(
        session.scalars(
            select(Posting)
            .where(*live, Posting.kind == PostingKind.NEED.value, ~open_match)
            .order_by(Posting.created_at, Posting.id)
        )
    )
    digest.balance = _balance(session, live)
    return digest


def _balance(session: Session, live: Iterable[Any]) -> list[BalanceRow]:
    rows = session.execute(
        select(Posting.category_id, Posting.kind, func.count())
        .where(*live)
        .group_by(Posting.category_id, Posting.kind)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for category_id, kind, count in rows:
        counts.setdefault(category_id, {})[kind] = count
    categories = session.scalars(
        select(Category).where(Category.id.in_(list(counts))).order_by(Category.id)
    ).all()
    return [
        BalanceRow(c, counts[c.id].get("need", 0), counts[c.id].get("offer", 0))  # type: ignore[index]
        for c in categories
    ]


def _lines(session: Session, matches: Iterable[Match]) -> list[MatchLine]:
    lines = []
    for match in matches:
        need, offer = session.get(Posting, match.need_id), session.get(Posting, match.offer_id)
        if need is not None and offer is not None:
            lines.append(MatchLine(match, need, offer))
    return lines
