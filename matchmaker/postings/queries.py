"""Reading postings: one by id with its access check, search, counts and history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import (
    Actor,
    editable_postings_clause,
    live_posting_clause,
    moderated_postings_clause,
    visible_postings_clause,
)
from matchmaker.errors import NotFound, PermissionDenied, StaleVersion
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    AuditEvent,
    Category,
    CompanyNetwork,
    Network,
    Posting,
    PostingKind,
    PostingStatus,
    User,
)
from matchmaker.pagination import Page, paginate
from matchmaker.search import has_control_characters, like_pattern, terms


@contextmanager
def first_writer_wins() -> Iterator[None]:
    """Of two concurrent changes to one posting the second fails with :class:`StaleVersion`.

    The posting's version column is SQLAlchemy's ``version_id_col``: an UPDATE that finds the
    row at another version than it read changes nothing and raises ``StaleDataError``.
    """
    try:
        yield
    except StaleDataError as exc:
        raise StaleVersion(
            _l(
                "This posting was changed in the meantime. Please reload it and apply your "
                "changes again."
            )
        ) from exc


@dataclass(frozen=True)
class PostingFilters:
    kind: str | None = None
    category: str | None = None
    network: str | None = None
    postal_prefix: str | None = None
    query: str | None = None
    status: str | None = None
    company_id: int | None = None
    live_only: bool = False  # publicly live: active, valid and the company approved


def load_checked(session: Session, posting_id: int, clause: Any, actor: Actor) -> Posting:
    posting = session.execute(
        select(Posting)
        .where(Posting.id == posting_id)
        .options(selectinload(Posting.company), selectinload(Posting.category))
    ).scalar_one_or_none()
    if posting is None:
        raise NotFound(_l("This posting does not exist."))
    allowed = session.execute(select(Posting.id).where(Posting.id == posting_id, clause)).first()
    if allowed is None:
        visible = session.execute(
            select(Posting.id).where(
                Posting.id == posting_id,
                visible_postings_clause(actor, clock.today()),
            )
        ).first()
        if visible is None:
            # Do not reveal that a hidden posting exists.
            raise NotFound(_l("This posting does not exist."))
        raise PermissionDenied(_l("You may not change this posting."))
    return posting


def get_editable_posting(*, session: Session, actor: Actor, posting_id: int) -> Posting:
    """A posting whose content the actor may change (its own company's; admins: all).

    Other companies' public postings answer 403, hidden ones 404, as everywhere else.
    """
    return load_checked(session, posting_id, editable_postings_clause(actor), actor)


def get_posting(*, session: Session, actor: Actor, posting_id: int) -> Posting:
    """A posting the actor may read; hidden ones look as if they did not exist."""
    return load_checked(session, posting_id, visible_postings_clause(actor, clock.today()), actor)


def get_moderated_posting(*, session: Session, actor: Actor, posting_id: int) -> Posting:
    """A posting ``actor`` may pause or withdraw (a manager: its networks' postings).

    Hidden postings answer 404; visible ones the actor may not moderate answer 403.
    """
    return load_checked(session, posting_id, moderated_postings_clause(actor), actor)


def count_managed_postings(
    *, session: Session, actor: Actor, today: date | None = None
) -> dict[str, int]:
    """Live (active and still valid) needs and offers among the postings ``actor`` moderates."""
    today = today or clock.today()
    rows = session.execute(
        select(Posting.kind, func.count())
        .where(
            moderated_postings_clause(actor),
            Posting.status == PostingStatus.ACTIVE.value,
            Posting.valid_until >= today,
        )
        .group_by(Posting.kind)
    ).all()
    counts = dict.fromkeys(PostingKind.values(), 0)
    counts.update({str(kind): int(count) for kind, count in rows})
    return counts


def search_postings(
    *,
    session: Session,
    actor: Actor,
    filters: PostingFilters,
    page: int = 1,
    per_page: int = 20,
    today: date | None = None,
    managed_only: bool = False,
) -> Page[Posting]:
    """Postings the actor may see that match ``filters``, newest first.

    With ``managed_only`` only those the actor may moderate: a manager's networks' postings.
    """
    today = today or clock.today()
    if any(
        has_control_characters(value or "")
        for value in (filters.kind, filters.status, filters.category, filters.network)
    ):
        # No stored value has control characters, and PostgreSQL refuses NUL in parameters.
        return Page(items=[], total=0, page=max(1, page), per_page=per_page)
    scope = (
        moderated_postings_clause(actor) if managed_only else visible_postings_clause(actor, today)
    )
    stmt = (
        select(Posting)
        .where(scope)
        .options(selectinload(Posting.company), selectinload(Posting.category))
    )
    if filters.kind:
        stmt = stmt.where(Posting.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Posting.status == filters.status)
    if filters.company_id is not None:
        stmt = stmt.where(Posting.company_id == filters.company_id)
    if filters.live_only:
        stmt = stmt.where(live_posting_clause(today))
    if filters.category:
        stmt = stmt.join(Category, Category.id == Posting.category_id).where(
            Category.slug == filters.category
        )
    if filters.network:
        stmt = stmt.where(
            exists(
                select(CompanyNetwork.company_id)
                .join(Network, Network.id == CompanyNetwork.network_id)
                .where(
                    CompanyNetwork.company_id == Posting.company_id,
                    Network.slug == filters.network,
                )
            )
        )
    if filters.postal_prefix:
        stmt = stmt.where(Posting.postal_code.startswith(filters.postal_prefix))
    for term in terms(filters.query or ""):
        stmt = stmt.where(or_(Posting.search_text.like(like_pattern(term), escape="\\")))
    stmt = stmt.order_by(Posting.updated_at.desc(), Posting.id.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


def status_counts(*, session: Session, actor: Actor, company_id: int) -> dict[str, int]:
    """How many of a company's postings the actor can see are in each status (all statuses)."""
    rows = session.execute(
        select(Posting.status, func.count())
        .where(Posting.company_id == company_id, visible_postings_clause(actor, clock.today()))
        .group_by(Posting.status)
    ).all()
    found = {str(status): int(count) for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in PostingStatus}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a posting's history, from the audit trail."""

    at: datetime
    action: str
    changes: dict[str, Any]
    actor_name: str | None
    actor_role: str | None
    actor_company_id: int | None


def posting_history(*, session: Session, actor: Actor, posting_id: int) -> list[HistoryEntry]:
    """Who changed the posting when, oldest first.

    Only those who may act on the posting read its history: its company, the managers of the
    company's networks and admins. Everybody else gets 403 (public posting) or 404.
    """
    load_checked(
        session,
        posting_id,
        or_(editable_postings_clause(actor), moderated_postings_clause(actor)),
        actor,
    )
    rows = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity == "posting", AuditEvent.entity_id == posting_id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    return [
        HistoryEntry(
            at=event.created_at,
            action=event.action,
            changes=dict(event.changes or {}),
            actor_name=user.name if user is not None else None,
            actor_role=user.role if user is not None else None,
            actor_company_id=user.company_id if user is not None else None,
        )
        for event, user in rows
    ]
