"""The managers' review of a company: approve, reject, suspend, reinstate."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from matchmaker import audit
from matchmaker.access import Actor
from matchmaker.companies.events import changed
from matchmaker.companies.queries import managed_company
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, CompanyStatus

# action -> (statuses it starts from, status it leads to, whether a reason is required)
REVIEW_STEPS: dict[str, tuple[frozenset[CompanyStatus], CompanyStatus, bool]] = {
    "approve": (
        frozenset({CompanyStatus.PENDING, CompanyStatus.REJECTED, CompanyStatus.SUSPENDED}),
        CompanyStatus.APPROVED,
        False,
    ),
    "reject": (frozenset({CompanyStatus.PENDING}), CompanyStatus.REJECTED, True),
    "suspend": (frozenset({CompanyStatus.APPROVED}), CompanyStatus.SUSPENDED, True),
    "reinstate": (frozenset({CompanyStatus.SUSPENDED}), CompanyStatus.APPROVED, False),
}


def _review(
    session: Session,
    actor: Actor,
    company_id: int,
    *,
    action: str,
    reason: str,
    expected_status: str | None = None,
) -> Company:
    """Take the review step ``action``; ``expected_status`` is the status the reviewer saw, so a
    decision taken on a stale page is refused instead of overriding a colleague's."""
    allowed_from, target, reason_required = REVIEW_STEPS[action]
    reason = reason.strip()
    if reason_required and not reason:
        raise InvalidInput.single("reason", "missing", _l("Please give a reason."))
    company = managed_company(session, actor, company_id)
    current = CompanyStatus(company.status)
    if current not in allowed_from or (
        expected_status is not None and expected_status != current.value
    ):
        raise Conflict(_l("This company's status has changed already. Please reload the page."))
    company.status = target.value
    company.review_note = reason
    company.reviewed_at = utcnow()
    company.updated_at = utcnow()
    session.add(company)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=f"company.{action}",
        entity="company",
        entity_id=company.id,
        changes={"status": [current.value, target.value], "reason": reason},
    )
    session.flush()
    changed(session, company)
    return company


def approve_company(
    *,
    session: Session,
    actor: Actor,
    company_id: int,
    note: str = "",
    expected_status: str | None = None,
) -> Company:
    return _review(
        session, actor, company_id, action="approve", reason=note, expected_status=expected_status
    )


def reject_company(
    *,
    session: Session,
    actor: Actor,
    company_id: int,
    reason: str,
    expected_status: str | None = None,
) -> Company:
    return _review(
        session, actor, company_id, action="reject", reason=reason, expected_status=expected_status
    )


def suspend_company(
    *,
    session: Session,
    actor: Actor,
    company_id: int,
    reason: str,
    expected_status: str | None = None,
) -> Company:
    return _review(
        session, actor, company_id, action="suspend", reason=reason, expected_status=expected_status
    )


def reinstate_company(
    *,
    session: Session,
    actor: Actor,
    company_id: int,
    note: str = "",
    expected_status: str | None = None,
) -> Company:
    """Lift a suspension: the company and its postings are public again."""
    return _review(
        session,
        actor,
        company_id,
        action="reinstate",
        reason=note,
        expected_status=expected_status,
    )


def status_label(status: str) -> Any:
    return {
        CompanyStatus.PENDING.value: _l("waiting for approval"),
        CompanyStatus.APPROVED.value: _l("approved"),
        CompanyStatus.REJECTED.value: _l("rejected"),
        CompanyStatus.SUSPENDED.value: _l("suspended"),
    }[status]
