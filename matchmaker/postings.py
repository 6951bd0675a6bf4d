"""Needs and offers: creating, editing, the status lifecycle, search and expiry.

Lifecycle::

    draft --publish--> active --pause--> paused --resume--> active
    active/paused --(valid_until passed)--> expired --renew--> active
    draft/active/paused/expired --withdraw--> withdrawn        (closed)
    active/paused/expired --fulfil--> fulfilled                (closed)

Services flush and never commit; the entry point commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import audit, clock
from matchmaker.access import (
    Actor,
    editable_postings_clause,
    moderated_postings_clause,
    visible_postings_clause,
)
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StaleVersion
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.language import detect_language
from matchmaker.models import (
    AuditEvent,
    Category,
    Company,
    CompanyNetwork,
    Network,
    Posting,
    PostingKind,
    PostingStatus,
    User,
)
from matchmaker.pagination import Page, paginate
from matchmaker.schemas import PostingInput
from matchmaker.search import fold, has_control_characters, like_pattern, terms
from matchmaker.validation import parse

OPEN_STATUSES = frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED})
CLOSED_STATUSES = frozenset({PostingStatus.FULFILLED, PostingStatus.WITHDRAWN})

# action -> (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[PostingStatus], PostingStatus]] = {
    "publish": (frozenset({PostingStatus.DRAFT}), PostingStatus.ACTIVE),
    "pause": (frozenset({PostingStatus.ACTIVE}), PostingStatus.PAUSED),
    "resume": (frozenset({PostingStatus.PAUSED}), PostingStatus.ACTIVE),
    "fulfil": (
        frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED}),
        PostingStatus.FULFILLED,
    ),
    "withdraw": (
        frozenset(
            {
                PostingStatus.DRAFT,
                PostingStatus.ACTIVE,
                PostingStatus.PAUSED,
                PostingStatus.EXPIRED,
            }
        ),
        PostingStatus.WITHDRAWN,
    ),
}
# Managers may moderate the postings of their networks with these actions only.
MODERATION_ACTIONS = frozenset({"pause", "withdraw"})
RENEWABLE = frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED})
EDITABLE = frozenset(
    {PostingStatus.DRAFT, PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED}
)

# Called after every change of a posting's content or status (the matching service subscribes).
PostingListener = Callable[[Session, Posting], None]
_listeners: list[PostingListener] = []


def subscribe(listener: PostingListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _changed(session: Session, posting: Posting) -> None:
    session.flush()
    for listener in _listeners:
        listener(session, posting)


@dataclass(frozen=True)
class Limits:
    default_validity_days: int = 56
    max_validity_days: int = 365


@dataclass(frozen=True)
class PostingFilters:
    kind: str | None = None
    category: str | None = None
    network: str | None = None
    postal_prefix: str | None = None
    query: str | None = None
    status: str | None = None
    company_id: int | None = None


EDITABLE_FIELDS = (
    "kind",
    "title",
    "description",
    "category",
    "quantity",
    "unit",
    "postal_code",
    "radius_km",
    "available_from",
    "available_until",
    "valid_until",
    "language",
)


def posting_values(posting: Posting) -> dict[str, Any]:
    """The posting's editable fields as :class:`PostingInput` accepts them."""
    return {
        "kind": posting.kind,
        "title": posting.title,
        "description": posting.description,
        "category": posting.category.slug,
        "quantity": posting.quantity,
        "unit": posting.unit,
        "postal_code": posting.postal_code,
        "radius_km": posting.radius_km,
        "available_from": posting.available_from,
        "available_until": posting.available_until,
        "valid_until": posting.valid_until,
        "language": posting.language,
    }


def category_by_slug(session: Session, slug: str) -> Category:
    category = session.exec(
        select(Category).where(Category.slug == slug, Category.active == True)  # noqa: E712
    ).scalar_one_or_none()
    if category is None:
        raise InvalidInput.single(
            "category", "unknown_category", _l("Please choose one of the offered categories.")
        )
    return category


def _check_validity(valid_until: date | None, *, today: date, limits: Limits) -> date:
    if valid_until is None:
        return today + timedelta(days=limits.default_validity_days)
    if valid_until < today:
        raise InvalidInput.single(
            "valid_until", "date_past", _l("The posting must be valid until today or later.")
        )
    latest = today + timedelta(days=limits.max_validity_days)
    if valid_until > latest:
        raise InvalidInput.single(
            "valid_until",
            "validity_too_long",
            _l("A posting can be valid for at most %(days)s days.", days=limits.max_validity_days),
        )
    return valid_until


def check_validity(valid_until: date | None, *, today: date, limits: Limits) -> date:
    """The validity a new posting gets: the default when none is given; past or too far refused."""
    return _check_validity(valid_until, today=today, limits=limits)


def _values(
    session: Session,
    data: PostingInput,
    *,
    company: Company,
    today: date,
    limits: Limits,
    fallback_language: str,
) -> dict[str, Any]:
    """The stored fields for ``data``: defaults filled in, language detected, category checked."""
    category = category_by_slug(session, data.category)
    return {
        "kind": data.kind.value,
        "title": data.title,
        "description": data.description,
        "category_id": category.id,
        "category": category,
        "quantity": data.quantity,
        "unit": data.unit.value if data.unit else None,
        "postal_code": data.postal_code or company.postal_code,
        "radius_km": data.radius_km,
        "available_from": data.available_from,
        "available_until": data.available_until,
        "valid_until": _check_validity(data.valid_until, today=today, limits=limits),
        "language": data.language.value
        if data.language
        else detect_language(f"{data.title}\n{data.description}", fallback=fallback_language),
        "search_text": fold(f"{data.title} {data.description}"),
    }


def create_posting(
    *,
    session: Session,
    actor: Actor,
    data: PostingInput,
    company_id: int | None = None,
    publish: bool = False,
    limits: Limits = Limits(),
    fallback_language: str = "de",
    today: date | None = None,
) -> Posting:
    """Create a need or offer for the actor's company (admins name the company)."""
    today = today or clock.today()
    target = company_id if company_id is not None else actor.company_id
    if target is None or not (actor.is_admin or (actor.is_member and actor.company_id == target)):
        raise PermissionDenied(_l("Only members of a company can post for it."))
    company = session.get(Company, target)
    if company is None:
        raise NotFound(_l("This company does not exist."))
    values = _values(
        session,
        data,
        company=company,
        today=today,
        limits=limits,
        fallback_language=fallback_language,
    )
    posting = Posting(
        company_id=target,
        created_by_id=actor.user_id,
        status=PostingStatus.DRAFT.value,
        **values,
    )
    if publish:
        posting.status = PostingStatus.ACTIVE.value
        posting.published_at = utcnow()
    session.add(posting)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action="posting.create",
        entity="posting",
        entity_id=posting.id,
        changes={"kind": posting.kind, "title": posting.title, "status": posting.status},
    )
    _changed(session, posting)
    return posting


def _load(session: Session, posting_id: int, clause: Any, actor: Actor) -> Posting:
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
    return _load(session, posting_id, editable_postings_clause(actor), actor)


def get_posting(*, session: Session, actor: Actor, posting_id: int) -> Posting:
    """A posting the actor may read; hidden ones look as if they did not exist."""
    return _load(session, posting_id, visible_postings_clause(actor, clock.today()), actor)


def get_moderated_posting(*, session: Session, actor: Actor, posting_id: int) -> Posting:
    """A posting ``actor`` may pause or withdraw (a manager: its networks' postings).

    Hidden postings answer 404; visible ones the actor may not moderate answer 403.
    """
    return _load(session, posting_id, moderated_postings_clause(actor), actor)


def moderate_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    action: str,
    reason: str,
    expected_status: str | None = None,
    today: date | None = None,
) -> Posting:
    """A manager pauses or withdraws a posting of its networks; the reason goes to the audit trail.

    ``expected_status`` is the status the manager saw; a stale page is refused with a conflict.
    """
    if action not in MODERATION_ACTIONS:
        raise InvalidInput.single("action", "enum", _l("Please choose one of the offered values."))
    if not reason.strip():
        raise InvalidInput.single("reason", "missing", _l("Please give a reason."))
    posting = get_moderated_posting(session=session, actor=actor, posting_id=posting_id)
    if expected_status is not None and expected_status != posting.status:
        raise Conflict(
            _l("This posting's status has changed in the meantime. Please reload the page.")
        )
    return change_status(
        session=session,
        actor=actor,
        posting_id=posting_id,
        action=action,
        reason=reason.strip(),
        today=today,
    )


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


def update_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    limits: Limits = Limits(),
    today: date | None = None,
) -> Posting:
    """Change some or all fields; the result is validated as a whole before anything is stored."""
    today = today or clock.today()
    posting = _load(session, posting_id, editable_postings_clause(actor), actor)
    if expected_version is not None and expected_version != posting.version:
        raise StaleVersion(
            _l(
                "This posting was changed in the meantime. Please reload it and apply your "
                "changes again."
            )
        )
    if PostingStatus(posting.status) not in EDITABLE:
        raise Conflict(_l("A fulfilled or withdrawn posting can no longer be edited."))
    before = posting_values(posting)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            [
                InvalidInput.single(name, "extra_forbidden", _l("Unknown field.")).errors[0]
                for name in unknown
            ]
        )
    merged = {**before, **changes}
    if "valid_until" not in changes and merged["valid_until"] is not None:
        # An unchanged validity date in the past must not block editing an expired posting.
        merged["valid_until"] = max(merged["valid_until"], today)
    if "language" not in changes and ("title" in changes or "description" in changes):
        merged["language"] = None  # detect again
    data = parse(PostingInput, merged)
    values = _values(
        session,
        data,
        company=posting.company,
        today=today,
        limits=limits,
        fallback_language=before["language"],
    )
    for name, value in values.items():
        setattr(posting, name, value)
    after = posting_values(posting)
    delta = audit.diff(before, after)
    if not delta:
        return posting
    posting.version += 1
    posting.updated_at = utcnow()
    session.add(posting)
    audit.record(
        session,
        actor_id=actor.user_id,
        action="posting.update",
        entity="posting",
        entity_id=posting.id,
        changes=delta,
    )
    _changed(session, posting)
    return posting


def change_status(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    action: str,
    reason: str = "",
    today: date | None = None,
) -> Posting:
    """Publish, pause, resume, fulfil or withdraw a posting."""
    today = today or clock.today()
    if action not in TRANSITIONS:
        raise InvalidInput.single("action", "enum", _l("Please choose one of the offered values."))
    clause = (
        moderated_postings_clause(actor)
        if action in MODERATION_ACTIONS
        else editable_postings_clause(actor)
    )
    posting = _load(session, posting_id, clause, actor)
    sources, target = TRANSITIONS[action]
    current = PostingStatus(posting.status)
    if current not in sources:
        raise Conflict(
            _l(
                "This is not possible while the posting is %(status)s.",
                status=status_label(current),
            )
        )
    if target == PostingStatus.ACTIVE and posting.valid_until < today:
        if current == PostingStatus.DRAFT:
            raise Conflict(
                _l(
                    "The posting's validity has ended. Please edit it and choose a later "
                    "'valid until' date first."
                )
            )
        raise Conflict(_l("The posting's validity has ended. Please renew it first."))
    posting.status = target.value
    now = utcnow()
    if target == PostingStatus.ACTIVE and posting.published_at is None:
        posting.published_at = now
    if target in CLOSED_STATUSES:
        posting.closed_at = now
    posting.updated_at = now
    posting.version += 1
    session.add(posting)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=f"posting.{action}",
        entity="posting",
        entity_id=posting.id,
        changes={"status": [current.value, target.value], **({"reason": reason} if reason else {})},
    )
    _changed(session, posting)
    return posting


def renew_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    valid_until: date | None = None,
    limits: Limits = Limits(),
    today: date | None = None,
) -> Posting:
    """Extend the validity (default: the standard period from today); expired ones go live again."""
    today = today or clock.today()
    posting = _load(session, posting_id, editable_postings_clause(actor), actor)
    current = PostingStatus(posting.status)
    if current not in RENEWABLE:
        raise Conflict(
            _l(
                "This is not possible while the posting is %(status)s.",
                status=status_label(current),
            )
        )
    before = posting.valid_until
    posting.valid_until = _check_validity(
        valid_until or today + timedelta(days=limits.default_validity_days),
        today=today,
        limits=limits,
    )
    if current == PostingStatus.EXPIRED:
        posting.status = PostingStatus.ACTIVE.value
    posting.updated_at = utcnow()
    posting.version += 1
    session.add(posting)
    audit.record(
        session,
        actor_id=actor.user_id,
        action="posting.renew",
        entity="posting",
        entity_id=posting.id,
        changes={
            "valid_until": [before.isoformat(), posting.valid_until.isoformat()],
            "status": [current.value, posting.status],
        },
    )
    _changed(session, posting)
    return posting


def expire_postings(*, session: Session, today: date | None = None) -> list[int]:
    """Mark active and paused postings whose validity has ended as expired; returns their ids."""
    today = today or clock.today()
    due = (
        session.execute(
            select(Posting).where(
                Posting.status.in_([s.value for s in OPEN_STATUSES]),
                Posting.valid_until < today,
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for posting in due:
        previous = posting.status
        posting.status = PostingStatus.EXPIRED.value
        posting.updated_at = now
        posting.version += 1
        session.add(posting)
        audit.record(
            session,
            actor_id=None,
            action="posting.expire",
            entity="posting",
            entity_id=posting.id,
            changes={"status": [previous, PostingStatus.EXPIRED.value]},
        )
        _changed(session, posting)
    session.flush()
    return [p.id for p in due if p.id is not None]


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


def available_actions(status: PostingStatus | str) -> tuple[str, ...]:
    """What the company may do with a posting in ``status``, in the order pages offer it."""
    current = PostingStatus(status)
    actions: list[str] = []
    if current in EDITABLE:
        actions.append("edit")
    actions += [
        action
        for action in ("publish", "resume", "pause", "fulfil")
        if current in TRANSITIONS[action][0]
    ]
    if current in RENEWABLE:
        actions.append("renew")
    if current in TRANSITIONS["withdraw"][0]:
        actions.append("withdraw")
    return tuple(actions)


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
    _load(
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


def status_label(status: PostingStatus | str) -> Any:
    labels = {
        PostingStatus.DRAFT: _l("draft"),
        PostingStatus.ACTIVE: _l("active"),
        PostingStatus.PAUSED: _l("paused"),
        PostingStatus.FULFILLED: _l("fulfilled"),
        PostingStatus.EXPIRED: _l("expired"),
        PostingStatus.WITHDRAWN: _l("withdrawn"),
    }
    return labels[PostingStatus(status)]


def kind_label(kind: PostingKind | str) -> Any:
    return {PostingKind.NEED: _l("need"), PostingKind.OFFER: _l("offer")}[PostingKind(kind)]
