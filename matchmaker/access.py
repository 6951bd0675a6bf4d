"""Who is acting, and what they may see and change.

Every service takes an :class:`Actor` and narrows its queries with the helpers here, so a rule
holds whether the request came from a page, the API or the CLI:

- visitors see approved companies' active, valid postings, never contact details;
- a member sees and edits its own company's postings;
- a manager sees the companies and postings of its networks (any status), reviews their
  registrations and may pause or withdraw their postings;
- an admin may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased, object_session
from sqlmodel import Session

from matchmaker.models import (
    Company,
    CompanyNetwork,
    CompanyStatus,
    Match,
    MatchStatus,
    NetworkManager,
    Posting,
    PostingStatus,
    Role,
    User,
)


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    role: str | None = None
    company_id: int | None = None
    network_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls()

    @classmethod
    def system(cls) -> Actor:
        """The scheduler and CLI maintenance commands: acts with admin rights, records no user."""
        return cls(role=Role.ADMIN.value)

    @classmethod
    def for_user(cls, session: Session, user: User) -> Actor:
        if not user.active:
            return cls.anonymous()
        networks: frozenset[int] = frozenset()
        if user.role == Role.MANAGER.value:
            networks = frozenset(
                session.execute(
                    select(NetworkManager.network_id).where(NetworkManager.user_id == user.id)
                ).scalars()
            )
        return cls(
            user_id=user.id, role=user.role, company_id=user.company_id, network_ids=networks
        )

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER.value

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER.value and self.company_id is not None


def _company_in_networks(
    company_id_column: Any, network_ids: frozenset[int]
) -> ColumnElement[bool]:
    if not network_ids:
        return false()
    return exists(
        select(CompanyNetwork.company_id).where(
            CompanyNetwork.company_id == company_id_column,
            CompanyNetwork.network_id.in_(sorted(network_ids)),
        )
    )


def public_posting_clause(today: date) -> ColumnElement[bool]:
    """A posting anybody may see: active, still valid, of an approved company."""
    return and_(
        Posting.status == PostingStatus.ACTIVE.value,
        Posting.valid_until >= today,
        exists(
            select(Company.id).where(
                Company.id == Posting.company_id,
                Company.status == CompanyStatus.APPROVED.value,
            )
        ),
    )


def visible_postings_clause(actor: Actor, today: date) -> ColumnElement[bool]:
    """Postings ``actor`` may read: public ones plus those of its company or networks."""
    if actor.is_admin:
        return true()
    clauses = [public_posting_clause(today)]
    if actor.company_id is not None:
        clauses.append(Posting.company_id == actor.company_id)
    if actor.is_manager:
        clauses.append(_company_in_networks(Posting.company_id, actor.network_ids))
    return or_(*clauses)


def editable_postings_clause(actor: Actor) -> ColumnElement[bool]:
    """Postings whose content ``actor`` may change: its own company's (admins: all)."""
    if actor.is_admin:
        return true()
    if actor.is_member:
        return Posting.company_id == actor.company_id
    return false()


def moderated_postings_clause(actor: Actor) -> ColumnElement[bool]:
    """Postings ``actor`` may pause or withdraw: own company's, or its networks' as a manager."""
    if actor.is_manager:
        return _company_in_networks(Posting.company_id, actor.network_ids)
    return editable_postings_clause(actor)


def visible_companies_clause(actor: Actor) -> ColumnElement[bool]:
    """Companies ``actor`` may see at all (approved ones are public)."""
    if actor.is_admin:
        return true()
    clauses: list[ColumnElement[bool]] = [Company.status == CompanyStatus.APPROVED.value]
    if actor.company_id is not None:
        clauses.append(Company.id == actor.company_id)
    if actor.is_manager:
        clauses.append(_company_in_networks(Company.id, actor.network_ids))
    return or_(*clauses)


def managed_companies_clause(actor: Actor) -> ColumnElement[bool]:
    """Companies ``actor`` acts for as a manager (admins: all)."""
    if actor.is_admin:
        return true()
    if actor.is_manager:
        return _company_in_networks(Company.id, actor.network_ids)
    return false()


def visible_matches_clause(actor: Actor) -> ColumnElement[bool]:
    """Matches ``actor`` may see and review: admins all; managers those touching one of their
    networks (a cross-network match belongs to the managers of both)."""
    if actor.is_admin:
        return true()
    if not actor.is_manager or not actor.network_ids:
        return false()
    need = aliased(Posting)
    offer = aliased(Posting)
    return or_(
        exists(
            select(need.id).where(
                need.id == Match.need_id, _company_in_networks(need.company_id, actor.network_ids)
            )
        ),
        exists(
            select(offer.id).where(
                offer.id == Match.offer_id,
                _company_in_networks(offer.company_id, actor.network_ids),
            )
        ),
    )


def may_see_contact(actor: Actor, company: Company) -> bool:
    """Contact details are not public: own company, its managers and admins see them, and the
    members of a company a manager has introduced it to (never before the introduction)."""
    if actor.is_admin:
        return True
    if actor.company_id is not None and actor.company_id == company.id:
        return True
    if actor.is_manager:
        return any(network.id in actor.network_ids for network in company.networks)
    if actor.company_id is not None and company.id is not None:
        session = object_session(company)
        return session is not None and introduced(session, actor.company_id, company.id)
    return False


def introduced(session: Any, company_id: int, other_id: int) -> bool:
    """Whether a manager has introduced the two companies (a match between their postings)."""
    need = aliased(Posting)
    offer = aliased(Posting)
    pairs = or_(
        and_(need.company_id == company_id, offer.company_id == other_id),
        and_(need.company_id == other_id, offer.company_id == company_id),
    )
    found = session.execute(
        select(Match.id)
        .join(need, need.id == Match.need_id)
        .join(offer, offer.id == Match.offer_id)
        .where(Match.status == MatchStatus.INTRODUCED.value, pairs)
        .limit(1)
    ).first()
    return found is not None
