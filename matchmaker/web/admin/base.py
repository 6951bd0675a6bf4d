"""The admin area's blueprint, its start page and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from matchmaker import accounts, audit, catalog
from matchmaker.models import Company, CompanyStatus, Role, User
from matchmaker.web import auditlog
from matchmaker.web.common import (
    actor,
    db,
    page_arg,
    role_required,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = role_required(Role.ADMIN)

AUDIT_PAGE_SIZE = 50
STAFF_ROLES = (Role.MANAGER.value, Role.ADMIN.value)


@bp.get("/")
@admin_only
def dashboard() -> str:
    session = db()
    networks = catalog.list_networks(session=session, include_inactive=True)
    staff = accounts.list_staff(session=session, actor=actor())
    pending = session.execute(
        select(func.count())
        .select_from(Company)
        .where(Company.status == CompanyStatus.PENDING.value)
    ).scalar_one()
    recent = audit.list_events(session=session, actor=actor(), per_page=10).items
    return render_template(
        "admin/dashboard.html",
        networks_active=sum(1 for n in networks if n.active),
        networks_total=len(networks),
        managers=sum(1 for u in staff if u.role == Role.MANAGER.value and u.active),
        admins=sum(1 for u in staff if u.role == Role.ADMIN.value and u.active),
        categories=len(catalog.list_categories(session=session)),
        pending=int(pending),
        recent=recent,
        actors=audit.actors_of(session, recent),
    )


# --- audit log -------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/audit")
@admin_only
def audit_log() -> str:
    session = db()
    entities = audit.entity_types(session)
    entity = request.args.get("entity", "")
    entity = entity if entity in entities else ""
    entity_id = _int_arg("entity_id") if entity else None
    actor_id = _int_arg("actor_id")
    actor_query = (request.args.get("actor") or "").strip()[:254]
    page = audit.list_events(
        session=session,
        actor=actor(),
        entity=entity or None,
        entity_id=entity_id,
        actor_id=actor_id,
        actor_query=actor_query or None,
        page=page_arg(),
        per_page=AUDIT_PAGE_SIZE,
    )
    filters: dict[str, Any] = {"entity": entity, "actor": actor_query}
    if entity_id is not None:
        filters["entity_id"] = entity_id
    if actor_id is not None:
        filters["actor_id"] = actor_id
    page_args = {name: value for name, value in filters.items() if value not in ("", None)}
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        page_args=page_args,
        entities=[(e, auditlog.entity_label(e)) for e in entities],
        actors=audit.actors_of(session, page.items),
        filtered_actor=session.get(User, actor_id) if actor_id is not None else None,
    )
