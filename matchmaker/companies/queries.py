"""Reading companies: one by id or name with its access check, lists and counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from matchmaker.access import Actor, managed_companies_clause, visible_companies_clause
from matchmaker.errors import Conflict, NotFound, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import AuditEvent, Company, CompanyNetwork, CompanyStatus, Network, User
from matchmaker.pagination import Page, paginate
from matchmaker.search import clean_query, like_pattern


def load_company(session: Session, company_id: int, clause: Any) -> Company | None:
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
    company = load_company(session, company_id, visible_companies_clause(actor))
    if company is None:
        raise NotFound(_l("This company does not exist."))
    return company


def managed_company(session: Session, actor: Actor, company_id: int) -> Company:
    company = load_company(session, company_id, managed_companies_clause(actor))
    if company is None:
        if load_company(session, company_id, visible_companies_clause(actor)) is None:
            raise NotFound(_l("This company does not exist."))
        raise PermissionDenied(_l("You do not manage a network of this company."))
    return company


def get_managed_company(*, session: Session, actor: Actor, company_id: int) -> Company:
    """A company ``actor`` acts for as a manager, with its networks loaded.

    A company the actor cannot see at all answers 404; one it can see (approved companies are
    public) but does not manage answers 403.
    """
    return managed_company(session, actor, company_id)


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
