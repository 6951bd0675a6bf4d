"""The review queue: the matches a manager may work on, filtered, sorted and paginated.

A cross-network match touches two networks and appears in the queues of both networks'
managers (once per manager: it is one row, shown by its id). "Waiting" means suggested, plus
snoozed matches whose date has come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql import Select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor, visible_matches_clause
from matchmaker.errors import PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Category,
    CompanyNetwork,
    Match,
    MatchStatus,
    Network,
    Posting,
)
from matchmaker.pagination import Page, paginate

WAITING = "waiting"
STATUS_FILTERS = (WAITING, *MatchStatus.values(), "all")
SORTS = ("score", "date", "category")


@dataclass(frozen=True)
class QueueFilters:
    status: str = WAITING
    category: str | None = None  # slug; either side's category
    network: str | None = None  # slug; either side's company in that network
    min_score: float | None = None  # 0..1
    source: str | None = None
    sort: str = "score"
    # calibrated (network id, threshold): with sort=score, pairs above their network's threshold
    # come first (see matchmaker.review.learning)
    thresholds: tuple[tuple[int, float], ...] = ()


def waiting_clause(today: date) -> ColumnElement[bool]:
    return or_(
        Match.status == MatchStatus.SUGGESTED.value,
        and_(
            Match.status == MatchStatus.SNOOZED.value,
            or_(Match.snoozed_until.is_(None), Match.snoozed_until <= today),
        ),
    )


def touches_networks(network_ids: Any) -> ColumnElement[bool]:
    """Matches with a need or an offer of a company in one of ``network_ids`` (ids or a select)."""
    need = aliased(Posting)
    offer = aliased(Posting)

    def member(posting: Any) -> ColumnElement[bool]:
        return exists(
            select(CompanyNetwork.company_id).where(
                CompanyNetwork.company_id == posting.company_id,
                CompanyNetwork.network_id.in_(network_ids),
            )
        )

    return or_(
        exists(select(need.id).where(need.id == Match.need_id, member(need))),
        exists(select(offer.id).where(offer.id == Match.offer_id, member(offer))),
    )


def _require_reviewer(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_l("Only network managers review matches."))


def _statement(actor: Actor, filters: QueueFilters, today: date) -> Select[Any]:
    need = aliased(Posting)
    offer = aliased(Posting)
    stmt = (
        select(Match)
        .join(need, need.id == Match.need_id)
        .join(offer, offer.id == Match.offer_id)
        .where(visible_matches_clause(actor))
        .options(
            selectinload(Match.need).selectinload(Posting.company),
            selectinload(Match.need).selectinload(Posting.category),
            selectinload(Match.offer).selectinload(Posting.company),
            selectinload(Match.offer).selectinload(Posting.category),
        )
    )
    if filters.status == WAITING:
        stmt = stmt.where(waiting_clause(today))
    elif filters.status != "all":
        stmt = stmt.where(Match.status == filters.status)
    if filters.category:
        category_ids = select(Category.id).where(Category.slug == filters.category)
        stmt = stmt.where(
            or_(need.category_id.in_(category_ids), offer.category_id.in_(category_ids))
        )
    if filters.network:
        stmt = stmt.where(
            touches_networks(select(Network.id).where(Network.slug == filters.network))
        )
    if filters.min_score is not None:
        stmt = stmt.where(Match.score >= filters.min_score)
    if filters.source:
        stmt = stmt.where(Match.source == filters.source)
    if filters.sort == "date":
        stmt = stmt.order_by(Match.created_at.desc(), Match.id.desc())
    elif filters.sort == "category":
        category = aliased(Category)
        stmt = stmt.join(category, category.id == need.category_id).order_by(
            category.sort_order, category.slug, Match.score.desc(), Match.id
        )
    elif filters.thresholds:
        above = or_(
            *(
                and_(touches_networks([network_id]), Match.score >= threshold)
                for network_id, threshold in filters.thresholds
            )
        )
        stmt = stmt.order_by(case((above, 0), else_=1), Match.score.desc(), Match.id)
    else:
        stmt = stmt.order_by(Match.score.desc(), Match.id)
    return stmt


def review_queue(
    *,
    session: Session,
    actor: Actor,
    filters: QueueFilters,
    page: int = 1,
    per_page: int = 20,
    today: date | None = None,
) -> Page[Match]:
    """One page of the matches ``actor`` may review, as ``filters`` ask."""
    _require_reviewer(actor)
    stmt = _statement(actor, filters, today or clock.today())
    return paginate(session, stmt, page=page, per_page=per_page)


def count_waiting(*, session: Session, actor: Actor, today: date | None = None) -> int:
    """How many matches wait for ``actor``'s decision (for the start page)."""
    if not (actor.is_admin or actor.is_manager):
        return 0
    return int(
        session.execute(
            select(func.count(Match.id)).where(
                visible_matches_clause(actor), waiting_clause(today or clock.today())
            )
        ).scalar_one()
    )
