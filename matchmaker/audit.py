"""The audit trail: who changed what and when."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.errors import PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import AuditEvent, User
from matchmaker.pagination import Page, paginate
from matchmaker.search import clean_query, like_pattern


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value changed, as ``{field: [old, new]}``."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes={key: _plain(value) for key, value in (changes or {}).items()},
    )
    session.add(event)
    return event


def list_events(
    *,
    session: Session,
    actor: Actor,
    entity: str | None = None,
    entity_id: int | None = None,
    actor_id: int | None = None,
    actor_query: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[AuditEvent]:
    """The audit log for admins, newest first.

    ``actor_query`` finds the acting account by a part of its e-mail address or name.
    """
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    actor_query = clean_query(actor_query or "")
    if actor_query:
        pattern = like_pattern(actor_query.lower())
        stmt = stmt.where(
            exists(
                select(User.id).where(
                    User.id == AuditEvent.actor_id,
                    or_(
                        func.lower(User.email).like(pattern, escape="\\"),
                        func.lower(User.name).like(pattern, escape="\\"),
                    ),
                )
            )
        )
    stmt = stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return paginate(session, stmt, page=page, per_page=per_page)


def entity_types(session: Session) -> list[str]:
    """The kinds of objects the log has entries for (for the log's filter)."""
    return sorted(str(e) for e in session.execute(select(AuditEvent.entity).distinct()).scalars())


def history(session: Session, *, entity: str, entity_id: int, limit: int = 100) -> list[AuditEvent]:
    """The newest events of one object; the caller has checked that the reader may see it."""
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )


def actors_of(session: Session, events: list[AuditEvent]) -> dict[int, User]:
    """The accounts that acted in ``events``, by id (deleted accounts are missing)."""
    ids = sorted({e.actor_id for e in events if e.actor_id is not None})
    if not ids:
        return {}
    return {
        int(user.id): user
        for user in session.execute(select(User).where(User.id.in_(ids))).scalars()
        if user.id is not None
    }
