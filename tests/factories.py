"""Test data built through the services, so every row obeys the same rules as real data."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlmodel import Session

from matchmaker import accounts, catalog, companies, postings
from matchmaker.access import Actor
from matchmaker.models import Company, CompanyStatus, Network, Posting, Role, User
from matchmaker.schemas import CompanyInput, NetworkInput, PostingInput, UserInput
from matchmaker.security import hash_password

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@cache
def password_hash() -> str:
    """Hashing is slow on purpose; tests share one hash of :data:`PASSWORD`."""
    return hash_password(PASSWORD)


def make_network(session: Session, slug: str | None = None, **fields: Any) -> Network:
    n = next(_counter)
    data = NetworkInput(
        slug=slug or f"netz-{n}",
        name=fields.pop("name", f"Netzwerk {n}"),
        region=fields.pop("region", "Thüringen"),
        description=fields.pop("description", ""),
        **fields,
    )
    return catalog.save_network(session=session, actor=Actor.system(), data=data)


def make_company(
    session: Session,
    networks: list[Network],
    *,
    status: CompanyStatus = CompanyStatus.APPROVED,
    **fields: Any,
) -> Company:
    n = next(_counter)
    values: dict[str, Any] = {
        "name": f"Firma {n} GmbH",
        "address": "Industriestraße 1",
        "postal_code": "07745",
        "city": "Jena",
        "website": "",
        "profile": "Lohnfertigung und Baugruppen.",
        "contact_email": f"info{n}@firma{n}.example",
        "contact_name": "Erika Muster",
        "contact_phone": "+49 3641 0000",
        "networks": [network.slug for network in networks],
    }
    values.update(fields)
    return companies.create_company(
        session=session, actor=Actor.system(), data=CompanyInput(**values), status=status
    )


def make_user(
    session: Session,
    role: Role,
    *,
    company: Company | None = None,
    networks: list[Network] | None = None,
    email: str | None = None,
    language: str = "de",
) -> User:
    n = next(_counter)
    data = UserInput(
        name=f"Person {n}",
        email=email or f"person{n}@example.org",
        role=role,
        language=language,  # type: ignore[arg-type]
        company_id=company.id if company else None,
        network_slugs=[network.slug for network in networks or []],
    )
    user = accounts.create_user(session=session, actor=Actor.system(), data=data)
    user.password_hash = password_hash()
    session.add(user)
    session.flush()
    return user


def make_posting(session: Session, user: User, *, publish: bool = True, **fields: Any) -> Posting:
    values: dict[str, Any] = {
        "kind": "need",
        "title": "Edelstahlblech 2 mm gesucht",
        "description": "Wir benötigen 500 kg Blech 1.4301, 2 mm, geschnitten 1000×2000.",
        "category": "material",
    }
    values.update(fields)
    actor = Actor.for_user(session, user)
    return postings.create_posting(
        session=session, actor=actor, data=PostingInput(**values), publish=publish
    )


@dataclass
class World:
    """The cast of the access-rule tests."""

    network_a: Network
    network_b: Network
    company_a1: Company
    company_a2: Company
    company_b1: Company
    pending_a: Company
    member_a1: User
    member_a2: User
    member_b1: User
    member_pending: User
    manager_a: User
    manager_b: User
    admin: User
    posting_a1: Posting
    draft_a1: Posting
    posting_b1: Posting
    extra: dict[str, Any] = field(default_factory=dict)

    def personas(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "same_company": self.member_a1,
            "other_company": self.member_a2,
            "manager_same_network": self.manager_a,
            "manager_other_network": self.manager_b,
            "admin": self.admin,
        }


def build_world(session: Session) -> World:
    network_a = make_network(session, "netz-nord", name="Netzwerk Nord")
    network_b = make_network(session, "netz-sued", name="Netzwerk Süd")
    company_a1 = make_company(session, [network_a], name="Alpha Feinmechanik GmbH")
    company_a2 = make_company(
        session, [network_a], name="Anton Kunststoff KG", postal_code="99084", city="Erfurt"
    )
    company_b1 = make_company(
        session, [network_b], name="Berta Logistik GmbH", postal_code="08523", city="Plauen"
    )
    pending_a = make_company(
        session, [network_a], name="Neu & Co. GmbH", status=CompanyStatus.PENDING
    )
    member_a1 = make_user(session, Role.MEMBER, company=company_a1, email="member.a1@example.org")
    member_a2 = make_user(session, Role.MEMBER, company=company_a2, email="member.a2@example.org")
    member_b1 = make_user(session, Role.MEMBER, company=company_b1, email="member.b1@example.org")
    member_pending = make_user(
        session, Role.MEMBER, company=pending_a, email="member.new@example.org"
    )
    manager_a = make_user(
        session, Role.MANAGER, networks=[network_a], email="manager.a@example.org"
    )
    manager_b = make_user(
        session, Role.MANAGER, networks=[network_b], email="manager.b@example.org"
    )
    admin = make_user(session, Role.ADMIN, email="admin@example.org")
    posting_a1 = make_posting(session, member_a1)
    draft_a1 = make_posting(
        session,
        member_a1,
        publish=False,
        kind="offer",
        title="Freie Fräskapazität 5-Achs",
        description="",
        category="production_capacity",
    )
    posting_b1 = make_posting(
        session,
        member_b1,
        kind="offer",
        title="LKW-Laderaum frei Plauen–Erfurt",
        description="Teilladung, 8 Paletten, dienstags.",
        category="logistics",
    )
    return World(
        network_a,
        network_b,
        company_a1,
        company_a2,
        company_b1,
        pending_a,
        member_a1,
        member_a2,
        member_b1,
        member_pending,
        manager_a,
        manager_b,
        admin,
        posting_a1,
        draft_a1,
        posting_b1,
    )
