"""A company's profile: registration, creation by an admin, changes by its members."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from matchmaker import audit
from matchmaker.access import Actor, visible_companies_clause
from matchmaker.accounts import ensure_email_free, networks_by_slugs, normalise_email
from matchmaker.companies.queries import load_company
from matchmaker.db import utcnow
from matchmaker.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, CompanyBase, CompanyStatus, Network, Role, User
from matchmaker.schemas import CompanyCreate, RegistrationInput
from matchmaker.security import hash_password

# The profile's fields, in the order forms show them: those of the model family.
PROFILE_FIELDS = tuple(CompanyBase.model_fields)


def _company_values(company: Company) -> dict[str, Any]:
    values = {name: getattr(company, name) for name in PROFILE_FIELDS}
    values["networks"] = sorted(n.slug for n in company.networks)
    return values


def _apply(company: Company, data: CompanyCreate, networks: list[Network]) -> None:
    for name, value in data.model_dump(include=set(PROFILE_FIELDS)).items():
        setattr(company, name, value)
    company.contact_email = normalise_email(str(data.contact_email))
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
    *, session: Session, actor: Actor, data: CompanyCreate, status: CompanyStatus
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


def update_company(
    *, session: Session, actor: Actor, company_id: int, data: CompanyCreate
) -> Company:
    """Members edit their own company's profile; admins any company."""
    if not (actor.is_admin or (actor.is_member and actor.company_id == company_id)):
        raise PermissionDenied(_l("You may not change this company."))
    company = load_company(session, company_id, visible_companies_clause(actor))
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
    """The editable fields as :class:`CompanyCreate` accepts them (for pre-filled forms)."""
    return _company_values(company)
