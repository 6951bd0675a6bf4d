"""Figures for managers (their networks) and admins (all): what is posted, what is missing,
and how suggestions turn into deals. Each figure is a table (header and rows) so that the page
draws it and the CSV export writes it from the same numbers."""

from __future__ import annotations

import statistics as stats
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, exists, func, or_, select, true
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor, public_posting_clause, visible_matches_clause
from matchmaker.errors import PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Category, CompanyNetwork, Match, MatchStatus, Posting

OPEN = (MatchStatus.SUGGESTED.value, MatchStatus.APPROVED.value, MatchStatus.SNOOZED.value)


@dataclass(frozen=True)
class Figure:
    name: str
    title: object
    header: list[object]
    rows: list[list[object]]


def _postings_in_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return exists(
        select(CompanyNetwork.company_id).where(
            CompanyNetwork.company_id == Posting.company_id,
            CompanyNetwork.network_id.in_(sorted(actor.network_ids)),
        )
    )


def _require(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_l("Only network managers see statistics."))


def _slugs(session: Session) -> dict[int, str]:
    return {c.id: c.slug for c in session.execute(select(Category)).scalars() if c.id}


def postings_over_time(session: Session, actor: Actor) -> Figure:
    """Published postings per month, kind and category."""
    rows = session.execute(
        select(Posting.published_at, Posting.kind, Posting.category_id).where(
            _postings_in_scope(actor), Posting.published_at.is_not(None)
        )
    ).all()
    slugs = _slugs(session)
    counts = Counter(
        (published.strftime("%Y-%m"), kind, slugs.get(category, "?"))
        for published, kind, category in rows
    )
    return Figure(
        "postings",
        _l("Published postings per month"),
        [_l("Month"), _l("Kind"), _l("Category"), _l("Postings")],
        [[month, kind, slug, n] for (month, kind, slug), n in sorted(counts.items())],
    )


def imbalance(session: Session, actor: Actor, today: date) -> Figure:
    """Active needs and offers per category, and the difference (positive: demand exceeds)."""
    rows = session.execute(
        select(Posting.category_id, Posting.kind, func.count(Posting.id))
        .where(_postings_in_scope(actor), public_posting_clause(today))
        .group_by(Posting.category_id, Posting.kind)
    ).all()
    slugs = _slugs(session)
    table: dict[str, dict[str, int]] = {}
    for category, kind, n in rows:
        table.setdefault(slugs.get(category, "?"), {"need": 0, "offer": 0})[kind] = int(n)
    return Figure(
        "imbalance",
        _l("Supply and demand per category (active postings)"),
        [_l("Category"), _l("Needs"), _l("Offers"), _l("Needs minus offers")],
        [
            [slug, c["need"], c["offer"], c["need"] - c["offer"]]
            for slug, c in sorted(table.items())
        ],
    )


def needs_without_candidate(session: Session, actor: Actor, today: date) -> Figure:
    """Active needs with no suggested, approved, snoozed or introduced match."""
    has_match = exists(
        select(Match.id).where(
            Match.need_id == Posting.id,
            Match.status.in_((*OPEN, MatchStatus.INTRODUCED.value)),
        )
    )
    rows = session.execute(
        select(Posting)
        .where(
            _postings_in_scope(actor),
            public_posting_clause(today),
            Posting.kind == "need",
            ~has_match,
        )
        .order_by(Posting.published_at)
    ).scalars()
    return Figure(
        "unmatched",
        _l("Needs without any candidate"),
        [_l("Posting"), _l("Title"), _l("Company"), _l("Category"), _l("Published")],
        [
            [
                p.id,
                p.title,
                p.company.name,
                p.category.slug,
                p.published_at.date().isoformat() if p.published_at else "",
            ]
            for p in rows
        ],
    )


def funnel(session: Session, actor: Actor) -> Figure:
    """Suggested → approved → introduced → deal: how many matches reached each stage."""
    rows = session.execute(
        select(Match.status, Match.outcome, func.count(Match.id))
        .where(visible_matches_clause(actor), Match.status != MatchStatus.RETIRED.value)
        .group_by(Match.status, Match.outcome)
    ).all()
    suggested = approved = introduced = deal = 0
    for status, outcome, n in rows:
        suggested += n
        if status in (MatchStatus.APPROVED.value, MatchStatus.INTRODUCED.value):
            approved += n
        if status == MatchStatus.INTRODUCED.value:
            introduced += n
            if outcome == "deal":
                deal += n
    stages = [
        (_l("suggested"), suggested),
        (_l("approved"), approved),
        (_l("introduced"), introduced),
        (_l("Deal"), deal),
    ]
    table = []
    for position, (label, n) in enumerate(stages):
        before = stages[position - 1][1] if position else n
        table.append([label, n, round(100 * n / before, 1) if before else 0.0])
    return Figure(
        "funnel",
        _l("From suggestion to deal"),
        [_l("Stage"), _l("Matches"), _l("Of the stage before (%)")],
        table,
    )


def time_to_introduction(session: Session, actor: Actor) -> Figure:
    """Days from a posting's publication to its introductions, and their median."""
    rows = session.execute(
        select(Match.introduced_at, Posting.published_at)
        .join(Posting, or_(Posting.id == Match.need_id, Posting.id == Match.offer_id))
        .where(
            visible_matches_clause(actor),
            Match.introduced_at.is_not(None),
            Posting.published_at.is_not(None),
        )
    ).all()
    days = sorted(max(0, (introduced - published).days) for introduced, published in rows)
    median = stats.median(days) if days else None
    return Figure(
        "introduction_time",
        _l("Days from posting to introduction"),
        [_l("Introductions"), _l("Median days"), _l("Shortest"), _l("Longest")],
        [
            [
                len(days),
                median if median is not None else "",
                days[0] if days else "",
                days[-1] if days else "",
            ]
        ],
    )


def all_figures(*, session: Session, actor: Actor, today: date | None = None) -> list[Figure]:
    _require(actor)
    today = today or clock.today()
    return [
        postings_over_time(session, actor),
        imbalance(session, actor, today),
        needs_without_candidate(session, actor, today),
        funnel(session, actor),
        time_to_introduction(session, actor),
    ]
