"""Companies: registration, review by the networks' managers, profile changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker import audit
from matchmaker.access import Actor, managed_companies_clause, visible_companies_clause
from matchmaker.accounts import ensure_email_free, networks_by_slugs, normalise_email
from matchmaker.db import utcnow
from matchmaker.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    AuditEvent,
    Company,
    CompanyNetwork,
    CompanyStatus,
    Network,
    Role,
    User,
)
from matchmaker.pagination import Page, paginate
from matchmaker.schemas import CompanyInput, RegistrationInput
from matchmaker.search import clean_query, like_pattern
from matchmaker.security import hash_password

# Called after a company's review status changed (the matching service subscribes).
CompanyListener = Callable[[Session, Company], None]
_listeners: list[CompanyListener] = []


def subscribe(listener: CompanyListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


PROFILE_FIELDS = (
    "name",
    "address",
    "postal_code",
    "city",
    "website",
    "profile",
    "contact_email",
    "contact_name",
    "contact_phone",
)


def _company_values(company: Company) -> dict[str, Any]:
    values = {name: getattr(company, name) for name in PROFILE_FIELDS}
    values["networks"] = sorted(n.slug for n in company.networks)
    return values


def _apply(company: Company, data: CompanyInput, networks: list[Network]) -> None:
    company.name = data.name
    company.address = data.address
    company.postal_code = data.postal_code
    company.city = data.city
    company.website = data.website
    company.profile = data.profile
    company.contact_email = normalise_email(str(data.contact_email))
    company.contact_name = data.contact_name
    company.contact_phone = data.contact_phone
    company.networks = networks


def _open_networks(session: Session, slugs: list[str]) -> list[Network]:
    networks = networks_by_slugs(session, slugs, field="company.networks")
    inactive = [n.slug for n in networks if not n.active]
    if inactive:
        raise InvalidInput.single(
            "company.networks",
            "unknown_network",
            _l("Unknown network: %(names)s", names=", ".join(inactive)),
        )
    return networks


def register_company(*, session: Session, data: RegistrationInput) -> tuple[Company, User]:
    """A company and its first member; the company waits for a manager's approval."""
    problems: list[FieldError] = []
    networks: list[Network] = []
    for check in (
        lambda: ensure_email_free(session, str(data.account.email), field="account.email"),
        lambda: networks.extend(_open_networks(session, data.company.networks)),
    ):
        try:
            check()
        except InvalidInput as error:  # report every problem at once, not one per attempt
            problems.extend(error.errors)
    if problems:
        raise InvalidInput(problems)
    company = Company(
        name=data.company.name,
        status=CompanyStatus.PENDING.value,
        postal_code=data.company.postal_code,
        city=data.company.city,
        contact_email=str(data.company.contact_email),
    )
    _apply(company, data.company, networks)
    session.add(company)
    session.flush()
    user = User(
        email=normalise_email(str(data.account.email)),
        name=data.account.name,
        role=Role.MEMBER.value,
        company_id=company.id,
        language=data.account.language.value,
        password_hash=hash_password(data.password.password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="company.register",
        entity="company",
        entity_id=company.id,
        changes={"name": company.name, "networks": [n.slug for n in networks]},
    )
    return company, user


def create_company(
    *, session: Session, actor: Actor, data: CompanyInput, status: CompanyStatus
) -> Company:
    """An admin (or the demo loader) adds a company directly."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators can do this."))
    networks = _open_networks(session, data.networks)
    company = Company(
        name=data.name,
        status=status.value,
        postal_code=data.postal_code,
        city=data.city,
        contact_email=str(data.contact_email),
    )
    _apply(company, data, networks)
    if status != CompanyStatus.PENDING:
        company.reviewed_at = utcnow()
    session.add(company)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action="company.create",
        entity="company",
        entity_id=company.id,
        changes={"name": company.name, "status": company.status},
    )
    return company


def _load(session: Session, company_id: int, clause: Any) -> Company | None:
    return session.execute(
        select(Company)
        .where(Company.id == company_id, clause)
        .options(selectinload(Company.networks))
    ).scalar_one_or_none()


def company_by_ref(session: Session, ref: str) -> Company:
    """A company named by its id or its exact name, as the CLI and the CSV import accept it.

    The name is compared exactly first, then ignoring case; a name several companies share is
    refused rather than guessed.
    """
    ref = ref.strip()
    if ref.isdigit():
        company = session.get(Company, int(ref))
        if company is not None:
            return company
    found: list[Company] = []
    for clause in (Company.name == ref, func.lower(Company.name) == ref.lower()):
        found = list(session.execute(select(Company).where(clause).limit(2)).scalars())
        if found:
            break
    if not found:
        raise NotFound(_l("There is no company with the id or name “%(ref)s”.", ref=ref))
    if len(found) > 1:
        raise Conflict(
            _l("Several companies are named “%(ref)s”; please give the company's id.", ref=ref)
        )
    return found[0]


def get_company(*, session: Session, actor: Actor, company_id: int) -> Company:
    company = _load(session, company_id, visible_companies_clause(actor))
    if company is None:
        raise NotFound(_l("This company does not exist."))
    return company


def _managed(session: Session, actor: Actor, company_id: int) -> Company:
    company = _load(session, company_id, managed_companies_clause(actor))
    if company is None:
        if _load(session, company_id, visible_companies_clause(actor)) is None:
            raise NotFound(_l("This company does not exist."))
        raise PermissionDenied(_l("You do not manage a network of this company."))
    return company


def get_managed_company(*, session: Session, actor: Actor, company_id: int) -> Company:
    """A company ``actor`` acts for as a manager, with its networks loaded.

    A company the actor cannot see at all answers 404; one it can see (approved companies are
    public) but does not manage answers 403.
    """
    return _managed(session, actor, company_id)


COMPANY_ORDERS = ("created", "name")


def list_companies(
    *,
    session: Session,
    actor: Actor,
    status: str | None = None,
    managed_only: bool = False,
    query: str | None = None,
    network: str | None = None,
    order: str = "created",
    page: int = 1,
    per_page: int = 20,
) -> Page[Company]:
    """Companies ``actor`` may see (or manages), oldest registration first or by name.

    ``query`` looks for a part of the name (case-insensitive), ``network`` is a network's slug.
    """
    clause = managed_companies_clause(actor) if managed_only else visible_companies_clause(actor)
    stmt = select(Company).where(clause).options(selectinload(Company.networks))
    if status:
        stmt = stmt.where(Company.status == status)
    query = clean_query(query or "")
    if query:
        stmt = stmt.where(func.lower(Company.name).like(like_pattern(query.lower()), escape="\\"))
    if network:
        stmt = stmt.where(
            exists(
                select(CompanyNetwork.company_id)
                .join(Network, Network.id == CompanyNetwork.network_id)
                .where(CompanyNetwork.company_id == Company.id, Network.slug == network)
            )
        )
    if order == "name":
        stmt = stmt.order_by(func.lower(Company.name), Company.id)
    else:
        stmt = stmt.order_by(Company.created_at, Company.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def count_by_status(*, session: Session, actor: Actor) -> dict[str, int]:
    """How many companies ``actor`` manages, per review status (every status present)."""
    rows = session.execute(
        select(Company.status, func.count())
        .where(managed_companies_clause(actor))
        .group_by(Company.status)
    ).all()
    counts = dict.fromkeys(CompanyStatus.values(), 0)
    counts.update({str(status): int(count) for status, count in rows})
    return counts


def registering_member(*, session: Session, company: Company) -> User | None:
    """The account that registered ``company`` (None for companies an admin created)."""
    actor_id = session.execute(
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.entity == "company",
            AuditEvent.entity_id == company.id,
            AuditEvent.action == "company.register",
        )
        .order_by(AuditEvent.id)
        .limit(1)
    ).scalar_one_or_none()
    return session.get(User, actor_id) if actor_id is not None else None


def _review(
    session: Session,
    actor: Actor,
    company_id: int,
    *,
    allowed_from: set[CompanyStatus],
    target: CompanyStatus,
    action: str,
    reason: str,
    expected_status: str | None = None,
) -> Company:
    """Move a company to ``target``; ``expected_status`` is the status the reviewer saw, so a
    decision taken on a stale page is refused instead of overriding a colleague's."""
    company = _managed(session, actor, company_id)
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
    for listener in _listeners:
        listener(session, company)
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
        session,
        actor,
        company_id,
        allowed_from={CompanyStatus.PENDING, CompanyStatus.REJECTED, CompanyStatus.SUSPENDED},
        target=CompanyStatus.APPROVED,
        action="approve",
        reason=note.strip(),
        expected_status=expected_status,
    )


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput.single("reason", "missing", _l("Please give a reason."))
    return reason.strip()


def reject_company(
    *,
    session: Session,
    actor: Actor,
    company_id: int,
    reason: str,
    expected_status: str | None = None,
) -> Company:
    return _review(
        session,
        actor,
        company_id,
        allowed_from={CompanyStatus.PENDING},
        target=CompanyStatus.REJECTED,
        action="reject",
        reason=_require_reason(reason),
        expected_status=expected_status,
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
        session,
        actor,
        company_id,
        allowed_from={CompanyStatus.APPROVED},
        target=CompanyStatus.SUSPENDED,
        action="suspend",
        reason=_require_reason(reason),
        expected_status=expected_status,
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
        allowed_from={CompanyStatus.SUSPENDED},
        target=CompanyStatus.APPROVED,
        action="reinstate",
        reason=note.strip(),
        expected_status=expected_status,
    )


def update_company(
    *, session: Session, actor: Actor, company_id: int, data: CompanyInput
) -> Company:
    """Members edit their own company's profile; admins any company."""
    if not (actor.is_admin or (actor.is_member and actor.company_id == company_id)):
        raise PermissionDenied(_l("You may not change this company."))
    company = _load(session, company_id, visible_companies_clause(actor))
    if company is None:
        raise NotFound(_l("This company does not exist."))
    before = _company_values(company)
    if not actor.is_admin and sorted(set(data.networks)) != before["networks"]:
        # Joining a network needs that network's approval; leaving one is arranged with its
        # managers. Members therefore cannot change their networks themselves.
        raise InvalidInput.single(
            "networks",
            "networks_fixed",
            _l("Please ask a network manager to change the networks of your company."),
        )
    _apply(company, data, _open_networks(session, data.networks))
    delta = audit.diff(before, _company_values(company))
    if delta:
        company.updated_at = utcnow()
        session.add(company)
        audit.record(
            session,
            actor_id=actor.user_id,
            action="company.update",
            entity="company",
            entity_id=company.id,
            changes=delta,
        )
    session.flush()
    return company


def company_values(company: Company) -> dict[str, Any]:
    """The editable fields as :class:`CompanyInput` accepts them (for pre-filled forms)."""
    return _company_values(company)


def status_label(status: str) -> Any:
    return {
        CompanyStatus.PENDING.value: _l("waiting for approval"),
        CompanyStatus.APPROVED.value: _l("approved"),
        CompanyStatus.REJECTED.value: _l("rejected"),
        CompanyStatus.SUSPENDED.value: _l("suspended"),
    }[status]
