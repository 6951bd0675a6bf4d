"""Companies of the manager's networks: list, detail, the review decisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import audit, companies
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Company,
    CompanyStatus,
)
from matchmaker.schemas import ReviewInput
from matchmaker.validation import parse
from matchmaker.web.common import (
    Form,
    actor,
    current_db_user,
    db,
    form_data,
    page_arg,
    redirect_to,
    settings,
)
from matchmaker.web.mails import absolute_url, queue_user_mail
from matchmaker.web.manager.base import _set, bp, my_networks, staff_only, waiting_days

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
