"""The member area's blueprint and what its pages share: own company, limits, labels, start."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, render_template, request

from matchmaker import clock, companies, postings
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, PostingKind, PostingStatus, Role, User
from matchmaker.web import auditlog
from matchmaker.web.common import (
    actor,
    current_db_user,
    db,
    page_arg,
    role_required,
    settings,
)

bp = Blueprint("member", __name__, url_prefix="/my")

POSTING_FIELDS = postings.EDITABLE_FIELDS

# Labels of a posting's fields, for forms and for the history of changes: those of the audit log.
FIELD_LABELS = auditlog.FIELD_LABELS

# What each entry of the audit trail means for the company.
HISTORY_LABELS: dict[str, Any] = {
    "posting.create": _l("Created"),
    "posting.update": _l("Edited"),
    "posting.publish": _l("Published"),
    "posting.pause": _l("Paused"),
    "posting.resume": _l("Resumed"),
    "posting.fulfil": _l("Marked as fulfilled"),
    "posting.withdraw": _l("Withdrawn"),
    "posting.renew": _l("Renewed"),
    "posting.expire": _l("Expired"),
}

ACTION_LABELS: dict[str, Any] = {
    "edit": _l("Edit"),
    "publish": _l("Publish"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "fulfil": _l("Mark as fulfilled"),
    "renew": _l("Renew"),
    "withdraw": _l("Withdraw"),
}

ACTION_HELP: dict[str, Any] = {
    "publish": _l("Make the posting visible and let the matching look for partners."),
    "pause": _l("Hide the posting for a while, for example while you talk to a partner."),
    "resume": _l("Show the posting again."),
    "fulfil": _l("Close the posting because the need is covered or the offer is taken."),
    "renew": _l("Keep the posting online for longer."),
    "withdraw": _l("Close the posting for good."),
}

_DECIMAL_COMMA = re.compile(r"^\s*[0-9]+,[0-9]+\s*$")


def limits() -> postings.Limits:
    config = settings()
    return postings.Limits(
        default_validity_days=config.posting_default_validity_days,
        max_validity_days=config.posting_max_validity_days,
    )


def own_company() -> Company:
    company_id = actor().company_id
    if company_id is None:  # role_required(MEMBER) and the schema make this impossible
        abort(403)
    return companies.get_company(session=db(), actor=actor(), company_id=company_id)


def _user() -> User:
    user = current_db_user()
    if user is None:
        abort(401)
    return user


def _number_text(value: float | int | None) -> str:
    """A stored number as a form shows it: 500 rather than 500.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format_date(value: Any) -> str:
    from flask_babel import format_date

    return str(format_date(value))


@bp.get("/")
@role_required(Role.MEMBER)
def dashboard() -> str:
    company = own_company()
    status = request.args.get("status", "")
    status = status if status in PostingStatus.values() else ""
    kind = request.args.get("kind", "")
    kind = kind if kind in PostingKind.values() else ""
    page = postings.search_postings(
        session=db(),
        actor=actor(),
        filters=postings.PostingFilters(
            kind=kind or None, status=status or None, company_id=company.id
        ),
        page=page_arg(),
        per_page=settings().page_size,
    )
    counts = postings.status_counts(session=db(), actor=actor(), company_id=company.id or 0)
    filters = {name: value for name, value in (("status", status), ("kind", kind)) if value}
    return render_template(
        "member/dashboard.html",
        company=company,
        page=page,
        counts=counts,
        total=sum(counts.values()),
        filters=filters,
        statuses=PostingStatus.values(),
        available_actions=postings.available_actions,
        action_labels=ACTION_LABELS,
        today=clock.today(),
    )
