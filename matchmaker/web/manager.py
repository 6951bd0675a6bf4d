"""Pages of the manager area: registrations to review, the companies and postings of the
manager's networks, and moderation. Admins see every network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import audit, catalog, companies, matches, postings
from matchmaker.access import Actor
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Category,
    Company,
    CompanyStatus,
    Network,
    Posting,
    PostingKind,
    PostingStatus,
    Role,
    User,
)
from matchmaker.review import queue as review_queue
from matchmaker.schemas import ReviewInput
from matchmaker.validation import parse
from matchmaker.web import auditlog
from matchmaker.web.common import (
    Form,
    actor,
    current_db_user,
    db,
    form_data,
    page_arg,
    redirect_to,
    role_required,
    settings,
)
from matchmaker.web.mails import absolute_url, queue_user_mail

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
        filters=postings.PostingFilters(status=PostingStatus.ACTIVE.value),
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


# --- companies -------------------------------------------------------------------------------


@bp.get("/companies")
@staff_only
def company_list() -> str:
    acting = actor()
    networks = my_networks(acting)
    raw = {name: (request.args.get(name) or "").strip() for name in ("status", "q", "network")}
    status = raw["status"] if raw["status"] in CompanyStatus.values() else None
    network = raw["network"] if raw["network"] in {n.slug for n in networks} else None
    filters = {"status": status or "", "q": raw["q"][:160], "network": network or ""}
    page = companies.list_companies(
        session=db(),
        actor=acting,
        managed_only=True,
        status=status,
        query=raw["q"][:160] or None,
        network=network,
        order="name",
        page=page_arg(),
        per_page=settings().page_size,
    )
    return render_template(
        "manager/companies.html",
        page=page,
        filters=filters,
        page_args=_set(filters),
        networks=networks,
        statuses=CompanyStatus.values(),
    )


@dataclass(frozen=True)
class Decision:
    """A review decision on a company: what it does, what the form asks, whom it tells what."""

    apply: Callable[..., Company]
    field: str  # the form field: "note" (optional) or "reason" (required)
    mail: str
    subject: Callable[[str], Any]  # company name -> lazy text, read in each member's language
    done: Callable[[str], Any]


DECISIONS: dict[str, Decision] = {
    "approve": Decision(
        apply=lambda text, **kw: companies.approve_company(note=text, **kw),
        field="note",
        mail="emails/company_approved",
        subject=lambda name: _l("%(company)s is approved on Matchmaker", company=name),
        done=lambda name: _l(
            "%(company)s is approved. Its members have been informed by e-mail.", company=name
        ),
    ),
    "reject": Decision(
        apply=lambda text, **kw: companies.reject_company(reason=text, **kw),
        field="reason",
        mail="emails/company_rejected",
        subject=lambda name: _l("Your registration of %(company)s on Matchmaker", company=name),
        done=lambda name: _l(
            "The registration of %(company)s is rejected. Its members have been informed.",
            company=name,
        ),
    ),
    "suspend": Decision(
        apply=lambda text, **kw: companies.suspend_company(reason=text, **kw),
        field="reason",
        mail="emails/company_suspended",
        subject=lambda name: _l("%(company)s is suspended on Matchmaker", company=name),
        done=lambda name: _l(
            "%(company)s is suspended. Its members have been informed.", company=name
        ),
    ),
    "reinstate": Decision(
        apply=lambda text, **kw: companies.reinstate_company(note=text, **kw),
        field="note",
        mail="emails/company_reinstated",
        subject=lambda name: _l("%(company)s is visible on Matchmaker again", company=name),
        done=lambda name: _l(
            "%(company)s is reinstated. Its members have been informed.", company=name
        ),
    ),
}

# Which decisions the company page offers in each status.
DECISIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    CompanyStatus.PENDING.value: ("approve", "reject"),
    CompanyStatus.APPROVED.value: ("suspend",),
    CompanyStatus.SUSPENDED.value: ("reinstate",),
    CompanyStatus.REJECTED.value: ("approve",),
}


def _render_company(
    company: Company,
    *,
    forms: dict[str, Form] | None = None,
    message: str = "",
    status: int = 200,
) -> tuple[str, int]:
    session = db()
    members = sorted(company.members, key=lambda u: (u.created_at, u.id or 0))
    company_postings = sorted(
        company.postings, key=lambda p: (p.updated_at, p.id or 0), reverse=True
    )
    history = audit.history(session, entity="company", entity_id=company.id or 0)
    decisions = DECISIONS_BY_STATUS.get(company.status, ())
    forms = forms or {}
    return render_template(
        "manager/company.html",
        company=company,
        members=members,
        registrant=companies.registering_member(session=session, company=company),
        postings=company_postings,
        history=history,
        actors=audit.actors_of(session, history),
        decisions=decisions,
        forms={name: forms.get(name, Form()) for name in decisions},
        message=message,
        waiting_days=waiting_days(company),
    ), status


@bp.get("/companies/<int:company_id>")
@staff_only
def company_detail(company_id: int) -> tuple[str, int]:
    company = companies.get_managed_company(session=db(), actor=actor(), company_id=company_id)
    return _render_company(company)


@bp.post("/companies/<int:company_id>/<decision>")
@staff_only
def review_company(company_id: int, decision: str) -> Response | tuple[str, int]:
    spec = DECISIONS.get(decision)
    if spec is None:
        abort(404)
    session = db()
    acting = actor()
    company = companies.get_managed_company(session=session, actor=acting, company_id=company_id)
    values = form_data(spec.field, "expected_status")
    try:
        data = parse(ReviewInput, {"reason": values[spec.field]})
        company = spec.apply(
            data.reason,
            session=session,
            actor=acting,
            company_id=company_id,
            expected_status=values["expected_status"] or None,
        )
        _notify_members(company, spec)
        session.commit()
    except InvalidInput as error:
        session.rollback()
        form = Form.failed(values, error)
        if "reason" in form.errors and spec.field != "reason":
            form.errors[spec.field] = form.errors.pop("reason")
        company = companies.get_managed_company(
            session=session, actor=acting, company_id=company_id
        )
        return _render_company(company, forms={decision: form}, status=422)
    except Conflict as error:
        session.rollback()
        company = companies.get_managed_company(
            session=session, actor=acting, company_id=company_id
        )
        return _render_company(company, message=str(error.message), status=409)
    flash(str(spec.done(company.name)), "success")
    return redirect_to("manager.company_detail", company_id=company_id)


def _notify_members(company: Company, spec: Decision) -> None:
    """Queue the decision's e-mail to every active member, in the member's language."""
    reviewer = current_db_user()
    for member in company.members:
        if not member.active:
            continue
        queue_user_mail(
            to=member,
            kind="company_decision",
            template=spec.mail,
            subject=spec.subject(company.name),
            company=company,
            note=company.review_note,
            reviewer=reviewer,
            networks=sorted(company.networks, key=lambda n: n.name),
            dashboard_url=absolute_url("member.dashboard"),
        )


# --- postings --------------------------------------------------------------------------------


def _posting_filters(
    args: Any, networks: list[Network], categories: list[Category]
) -> tuple[postings.PostingFilters, dict[str, str]]:
    """Filters from the query string; unknown values are ignored, not errors."""
    raw = {
        name: (args.get(name) or "").strip()
        for name in ("kind", "category", "status", "q", "network")
    }
    shown = {
        "kind": raw["kind"] if raw["kind"] in PostingKind.values() else "",
        "status": raw["status"] if raw["status"] in PostingStatus.values() else "",
        "category": raw["category"] if raw["category"] in {c.slug for c in categories} else "",
        "network": raw["network"] if raw["network"] in {n.slug for n in networks} else "",
        "q": raw["q"][:200],
    }
    filters = postings.PostingFilters(
        kind=shown["kind"] or None,
        status=shown["status"] or None,
        category=shown["category"] or None,
        network=shown["network"] or None,
        query=shown["q"] or None,
    )
    return filters, shown


@bp.get("/postings")
@staff_only
def posting_list() -> str:
    acting = actor()
    networks = my_networks(acting)
    categories = catalog.list_categories(session=db(), include_inactive=True)
    filters, shown = _posting_filters(request.args, networks, categories)
    page = postings.search_postings(
        session=db(),
        actor=acting,
        filters=filters,
        managed_only=True,
        page=page_arg(),
        per_page=settings().page_size,
    )
    return render_template(
        "manager/postings.html",
        page=page,
        filters=shown,
        page_args=_set(shown),
        networks=networks,
        categories=categories,
        statuses=PostingStatus.values(),
    )


def moderation_actions(posting: Posting) -> list[str]:
    """The moderation actions possible in the posting's current status."""
    return [
        action
        for action in ("pause", "withdraw")
        if PostingStatus(posting.status) in postings.TRANSITIONS[action][0]
    ]


def _render_posting(
    posting: Posting, *, form: Form | None = None, message: str = "", status: int = 200
) -> tuple[str, int]:
    history = audit.history(db(), entity="posting", entity_id=posting.id or 0)
    try:
        suggestions = matches.matches_for_posting(
            session=db(), actor=actor(), posting_id=posting.id or 0
        )
    except PermissionDenied:
        suggestions = []
    acting = actor()
    managed_partner_ids = {
        partner.id
        for _match, partner in suggestions
        if acting.is_admin or any(n.id in acting.network_ids for n in partner.company.networks)
    }
    return render_template(
        "manager/posting.html",
        posting=posting,
        suggestions=suggestions,
        managed_partner_ids=managed_partner_ids,
        history=history,
        actors=audit.actors_of(db(), history),
        actions=moderation_actions(posting),
        form=form or Form(),
        message=message,
    ), status


@bp.get("/postings/<int:posting_id>")
@staff_only
def posting_detail(posting_id: int) -> tuple[str, int]:
    posting = postings.get_moderated_posting(session=db(), actor=actor(), posting_id=posting_id)
    return _render_posting(posting)


MODERATION_DONE: dict[str, Any] = {
    "pause": _l("The posting is paused. The company has been informed."),
    "withdraw": _l("The posting is withdrawn. The company has been informed."),
}
MODERATION_SUBJECTS: dict[str, Callable[[str], Any]] = {
    "pause": lambda title: _l("Your posting “%(title)s” was paused", title=title),
    "withdraw": lambda title: _l("Your posting “%(title)s” was withdrawn", title=title),
}


@bp.post("/postings/<int:posting_id>/moderate")
@staff_only
def moderate_posting(posting_id: int) -> Response | tuple[str, int]:
    session = db()
    acting = actor()
    postings.get_moderated_posting(session=session, actor=acting, posting_id=posting_id)
    values = form_data("action", "reason", "expected_status")
    try:
        data = parse(ReviewInput, {"reason": values["reason"]})
        posting = postings.moderate_posting(
            session=session,
            actor=acting,
            posting_id=posting_id,
            action=values["action"],
            reason=data.reason,
            expected_status=values["expected_status"] or None,
        )
        _notify_posting_company(posting, values["action"], data.reason)
        session.commit()
    except InvalidInput as error:
        session.rollback()
        posting = postings.get_moderated_posting(
            session=session, actor=acting, posting_id=posting_id
        )
        return _render_posting(posting, form=Form.failed(values, error), status=422)
    except Conflict as error:
        session.rollback()
        posting = postings.get_moderated_posting(
            session=session, actor=acting, posting_id=posting_id
        )
        return _render_posting(posting, message=str(error.message), status=409)
    flash(str(MODERATION_DONE[values["action"]]), "success")
    return redirect_to("manager.posting_detail", posting_id=posting_id)


def _notify_posting_company(posting: Posting, action: str, reason: str) -> None:
    """Tell the company's members why their posting was paused or withdrawn."""
    reviewer: User | None = current_db_user()
    for member in posting.company.members:
        if not member.active:
            continue
        queue_user_mail(
            to=member,
            kind="posting_moderated",
            template="emails/posting_moderated",
            subject=MODERATION_SUBJECTS[action](posting.title),
            posting=posting,
            action=action,
            reason=reason,
            reviewer=reviewer,
            dashboard_url=absolute_url("member.dashboard"),
        )
