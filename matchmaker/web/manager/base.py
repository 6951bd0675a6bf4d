"""The manager area's blueprint, its start page and what its pages share."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker import catalog, companies, postings
from matchmaker.access import Actor
from matchmaker.db import utcnow
from matchmaker.models import (
    Company,
    CompanyStatus,
    Network,
    Role,
)
from matchmaker.review import queue as review_queue
from matchmaker.web import auditlog
from matchmaker.web.common import (
    actor,
    db,
    role_required,
)

bp = Blueprint("manager", __name__, url_prefix="/manage")
staff_only = role_required(Role.MANAGER, Role.ADMIN)

RECENT_POSTINGS = 8
MAX_PENDING_ON_DASHBOARD = 50


bp.record_once(lambda state: state.app.jinja_env.globals.update(auditlog.template_globals()))


def my_networks(acting: Actor) -> list[Network]:
    """The networks the actor looks after (admins: all of them)."""
    networks = catalog.list_networks(session=db(), include_inactive=True)
    if acting.is_admin:
        return networks
    return [n for n in networks if n.id in acting.network_ids]


def _set(filters: dict[str, str]) -> dict[str, str]:
    """The filters that have a value, for page links without empty parameters."""
    return {name: value for name, value in filters.items() if value}


def waiting_days(company: Company) -> int:
    return max(0, (utcnow() - company.created_at).days)


@bp.get("/")
@staff_only
def dashboard() -> str:
    acting = actor()
    session = db()
    pending = companies.list_companies(
        session=session,
        actor=acting,
        status=CompanyStatus.PENDING.value,
        managed_only=True,
        per_page=MAX_PENDING_ON_DASHBOARD,
    )
    recent = postings.search_postings(
        session=session,
        actor=acting,
        # "Published" means what everybody sees: not the postings of a company still waiting.
        filters=postings.PostingFilters(live_only=True),
        managed_only=True,
        per_page=RECENT_POSTINGS,
    )
    return render_template(
        "manager/dashboard.html",
        pending=[(company, waiting_days(company)) for company in pending.items],
        pending_total=pending.total,
        company_counts=companies.count_by_status(session=session, actor=acting),
        posting_counts=postings.count_managed_postings(session=session, actor=acting),
        recent=recent.items,
        networks=my_networks(acting),
        waiting_matches=review_queue.count_waiting(session=session, actor=acting),
    )
