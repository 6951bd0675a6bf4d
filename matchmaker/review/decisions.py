"""A manager's decisions on a match: approve, reject with a reason, snooze, record an outcome.

Web, API and CLI call these; the rules (who may, what is valid) hold the same for all of them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor, visible_matches_clause
from matchmaker.db import utcnow
from matchmaker.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Match, MatchEvent, MatchOutcome, RejectReason
from matchmaker.review import states

REJECT_REASON_LABELS = {
    RejectReason.WRONG_CATEGORY: _l("Wrong category"),
    RejectReason.WRONG_MATERIAL: _l("Wrong material or specification"),
    RejectReason.TOO_FAR: _l("Too far apart"),
    RejectReason.QUANTITY: _l("Quantity does not fit"),
    RejectReason.DUPLICATE: _l("Duplicate"),
    RejectReason.OTHER: _l("Other (please explain)"),
}

OUTCOME_LABELS = {
    MatchOutcome.DEAL: _l("Deal"),
    MatchOutcome.IN_TALKS: _l("In talks"),
    MatchOutcome.NO_DEAL: _l("No deal"),
}

DECLINE_LABEL = _l("We do not want this introduction")

NOTE_MAX = 1000
SNOOZE_MAX_DAYS = 366


def get_match(*, session: Session, actor: Actor, match_id: int) -> Match:
    """A match the actor may review (admins: any; managers: their networks')."""
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_l("Only network managers review matches."))
    match = session.execute(
        select(Match).where(Match.id == match_id, visible_matches_clause(actor))
    ).scalar_one_or_none()
    if match is None:
        raise NotFound(_l("No such match."))
    return match


def history(*, session: Session, match_id: int) -> list[MatchEvent]:
    """The transitions of a match, newest first (call after :func:`get_match`)."""
    return list(
        session.execute(
            select(MatchEvent).where(MatchEvent.match_id == match_id).order_by(MatchEvent.id.desc())
        ).scalars()
    )


def approve(*, session: Session, actor: Actor, match_id: int) -> Match:
    match = get_match(session=session, actor=actor, match_id=match_id)
    return states.transition(
        session,
        match,
        "approve",
        actor_id=actor.user_id,
        values={"decided_at": utcnow(), "decided_by_id": actor.user_id, "snoozed_until": None},
    )


def reject(*, session: Session, actor: Actor, match_id: int, reason: str, note: str = "") -> Match:
    """Reject with a reason; the pair stays rejected until one of its postings changes."""
    match = get_match(session=session, actor=actor, match_id=match_id)
    note = (note or "").strip()
    errors = []
    if reason not in RejectReason.values():
        errors.append(("reason", "invalid", _l("Choose a reason for the rejection.")))
    elif reason == RejectReason.OTHER and not note:
        errors.append(("note", "required", _l("Please say why the pair does not fit.")))
    if len(note) > NOTE_MAX:
        errors.append(("note", "too_long", _l("At most %(max)s characters, please.", max=NOTE_MAX)))
    if errors:
        raise invalid(errors)
    return states.transition(
        session,
        match,
        "reject",
        actor_id=actor.user_id,
        values={
            "decided_at": utcnow(),
            "decided_by_id": actor.user_id,
            "reject_reason": reason,
            "reject_note": note,
            "snoozed_until": None,
            "decided_fingerprint": states.fingerprint(match.need, match.offer),
        },
        details={"reason": reason, "note": note},
    )


def snooze(
    *, session: Session, actor: Actor, match_id: int, until: date, today: date | None = None
) -> Match:
    """Put a match aside until ``until``; it is due in the queue again from that day."""
    today = today or clock.today()
    match = get_match(session=session, actor=actor, match_id=match_id)
    if until <= today:
        raise invalid([("until", "past", _l("Choose a date after today."))])
    if (until - today).days > SNOOZE_MAX_DAYS:
        raise invalid([("until", "too_late", _l("Choose a date within the next year."))])
    return states.transition(
        session,
        match,
        "snooze",
        actor_id=actor.user_id,
        values={"snoozed_until": until},
        details={"until": until.isoformat()},
    )


def record_outcome(
    *, session: Session, actor: Actor, match_id: int, outcome: str, via: str = "manager"
) -> Match:
    """A manager records how an introduction ended."""
    match = get_match(session=session, actor=actor, match_id=match_id)
    if outcome not in MatchOutcome.values():
        raise invalid([("outcome", "invalid", _l("Choose deal, in talks or no deal."))])
    return states.set_outcome(session, match, outcome, actor_id=actor.user_id, via=via)


def invalid(errors: list[tuple[str, str, Any]]) -> InvalidInput:
    return InvalidInput([FieldError(field, code, message) for field, code, message in errors])
