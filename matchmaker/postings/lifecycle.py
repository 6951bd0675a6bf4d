"""Status steps of a posting: publish, pause, resume, fulfil, withdraw, renew, expire, moderate."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import audit, clock
from matchmaker.access import Actor, editable_postings_clause, moderated_postings_clause
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Posting, PostingStatus
from matchmaker.postings.editing import DEFAULT_LIMITS, Limits, check_validity
from matchmaker.postings.events import changed
from matchmaker.postings.queries import get_moderated_posting, load_checked
from matchmaker.postings.states import (
    CLOSED_STATUSES,
    MODERATION_ACTIONS,
    OPEN_STATUSES,
    RENEWABLE,
    TRANSITIONS,
    status_label,
)


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
    posting = load_checked(session, posting_id, clause, actor)
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
    changed(session, posting)
    return posting


def renew_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    valid_until: date | None = None,
    limits: Limits = DEFAULT_LIMITS,
    today: date | None = None,
) -> Posting:
    """Extend the validity (default: the standard period from today); expired ones go live again."""
    today = today or clock.today()
    posting = load_checked(session, posting_id, editable_postings_clause(actor), actor)
    current = PostingStatus(posting.status)
    if current not in RENEWABLE:
        raise Conflict(
            _l(
                "This is not possible while the posting is %(status)s.",
                status=status_label(current),
            )
        )
    before = posting.valid_until
    posting.valid_until = check_validity(
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
    changed(session, posting)
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
        changed(session, posting)
    session.flush()
    return [p.id for p in due if p.id is not None]
