"""The one state machine of a match, and the only code that changes a match's review state.

::

    suggested --approve--> approved --introduce--> introduced --outcome--> deal|in_talks|no_deal
    suggested --reject---> rejected              approved --reject--> rejected
    suggested --snooze---> snoozed --approve|reject--> ...   (due again once the date has passed)
    suggested --retire---> retired  (system: a posting left matching or the pair dropped out)
    retired|rejected --reopen--> suggested  (system: a rematch, a material change of a posting)

Every transition is a conditional ``UPDATE ... WHERE status = <expected>``: when two managers act
on the same match at once, exactly one update hits the row and the other is told (409) instead of
silently overwriting the first decision. Each transition writes a :class:`MatchEvent`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from matchmaker.db import utcnow
from matchmaker.errors import Conflict
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Match, MatchEvent, MatchStatus, Posting

S = MatchStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    system: bool = False  # only the matching service takes it, never a person


TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({S.SUGGESTED, S.SNOOZED}), S.APPROVED),
    "reject": Transition(frozenset({S.SUGGESTED, S.SNOOZED, S.APPROVED}), S.REJECTED),
    "snooze": Transition(frozenset({S.SUGGESTED, S.SNOOZED}), S.SNOOZED),
    "introduce": Transition(frozenset({S.APPROVED}), S.INTRODUCED),
    "retire": Transition(frozenset({S.SUGGESTED}), S.RETIRED, system=True),
    "reopen": Transition(frozenset({S.RETIRED, S.REJECTED}), S.SUGGESTED, system=True),
}

STATUS_LABELS = {
    S.SUGGESTED: _l("suggested"),
    S.APPROVED: _l("approved"),
    S.REJECTED: _l("rejected"),
    S.SNOOZED: _l("snoozed"),
    S.INTRODUCED: _l("introduced"),
    S.RETIRED: _l("retired"),
}


class MatchConflict(Conflict):
    """The match is not (or no longer) in a state that allows the requested step."""

    code = "match_conflict"

    def __init__(self, message: Any, *, status: str) -> None:
        super().__init__(message)
        self.current_status = status

    def details(self) -> dict[str, str]:
        return {"status": self.current_status}


def allowed_actions(match: Match) -> list[str]:
    """The steps a person may take on ``match`` now (for buttons and the API)."""
    actions = [
        name
        for name, step in TRANSITIONS.items()
        if not step.system and match.status in step.sources
    ]
    if match.status == S.INTRODUCED and match.outcome in (None, "in_talks"):
        actions.append("outcome")
    return actions


def _refuse(action: str, status: str) -> MatchConflict:
    return MatchConflict(
        _l(
            "This match is %(status)s; it cannot be %(action)s now.",
            status=STATUS_LABELS.get(S(status), status),
            action=ACTION_LABELS.get(action, action),
        ),
        status=status,
    )


ACTION_LABELS = {
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "snooze": _l("snoozed"),
    "introduce": _l("introduced"),
    "outcome": _l("given an outcome"),
}


def transition(
    session: Session,
    match: Match,
    action: str,
    *,
    actor_id: int | None,
    values: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> Match:
    """Move ``match`` by ``action`` if its stored status still allows it; audit the step.

    ``values`` are further columns set in the same UPDATE. Raises :class:`MatchConflict` when the
    status in the database (which another request may just have changed) does not allow it.
    """
    step = TRANSITIONS[action]
    assert match.id is not None
    expected = match.status
    if expected not in step.sources:
        raise _refuse(action, expected)
    now = utcnow()
    changes: dict[str, Any] = {"status": step.target, "updated_at": now, **(values or {})}
    result = session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == expected)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(match)
        raise MatchConflict(
            _l(
                "Someone else changed this match a moment ago: it is %(status)s now.",
                status=STATUS_LABELS.get(S(match.status), match.status),
            ),
            status=match.status,
        )
    _record(session, match, action, actor_id, expected, step.target, details, now)
    session.refresh(match)
    return match


def set_outcome(
    session: Session,
    match: Match,
    outcome: str,
    *,
    actor_id: int | None,
    via: str,
    extra: dict[str, Any] | None = None,
) -> Match:
    """Record how an introduction ended; ``in_talks`` may still become ``deal`` or ``no_deal``."""
    assert match.id is not None
    if match.status != S.INTRODUCED or match.outcome not in (None, "in_talks"):
        raise _refuse("outcome", match.status)
    previous = match.outcome
    now = utcnow()
    column = Match.__table__.c.outcome
    condition = column.is_(None) if previous is None else column == previous
    result = session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == S.INTRODUCED.value, condition)
        .values(outcome=outcome, outcome_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(match)
        raise MatchConflict(
            _l("Someone else recorded an outcome for this match a moment ago."),
            status=match.status,
        )
    _record(
        session,
        match,
        "outcome",
        actor_id,
        S.INTRODUCED,
        S.INTRODUCED,
        {"outcome": outcome, "previous": previous, "via": via, **(extra or {})},
        now,
    )
    session.refresh(match)
    return match


def _record(
    session: Session,
    match: Match,
    action: str,
    actor_id: int | None,
    source: str,
    target: str,
    details: dict[str, Any] | None,
    now: Any,
    *,
    flush: bool = True,
) -> None:
    assert match.id is not None
    session.add(
        MatchEvent(
            match_id=match.id,
            created_at=now,
            actor_id=actor_id,
            action=action,
            from_status=str(source),
            to_status=str(target),
            details=details or {},
        )
    )
    if flush:
        session.flush()


def system_step(session: Session, match: Match, action: str, **values: Any) -> bool:
    """A step the matching service takes (retire, reopen) on a stored row; False if not taken.

    It is conditional like a person's step, so a decision committed meanwhile by a manager is
    never overwritten by a rematch that read the row before.
    """
    step = TRANSITIONS[action]
    source = match.status
    if source not in step.sources or match.id is None:
        return False
    now = utcnow()
    changes = {"status": step.target, "updated_at": now, **values}
    result = session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status == source)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(match)
        return False
    for key, value in changes.items():
        set_committed_value(match, key, value)
    _record(session, match, action, None, source, step.target, None, now, flush=False)
    return True


MATERIAL_FIELDS = (
    "kind",
    "title",
    "description",
    "category_id",
    "quantity",
    "unit",
    "postal_code",
    "radius_km",
    "available_from",
    "available_until",
)


def fingerprint(need: Posting, offer: Posting) -> str:
    """What both postings say (not their status or validity): a rejection holds while it holds."""
    content = [
        [str(getattr(posting, name)) for name in MATERIAL_FIELDS] for posting in (need, offer)
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def is_due(match: Match, today: date) -> bool:
    """A snoozed match is back in the queue once its date has come."""
    return match.status == S.SNOOZED and (
        match.snoozed_until is None or match.snoozed_until <= today
    )
