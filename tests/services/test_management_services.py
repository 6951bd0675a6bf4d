"""Services behind the manager and admin pages: scoping, moderation, activation, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import accounts, audit, catalog, companies, postings
from matchmaker.access import Actor
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.models import PasswordToken, PostingStatus, TokenPurpose
from tests.factories import World, make_company


def actor(session: Session, world: World, persona: str) -> Actor:
    user = world.personas()[persona]
    return Actor.for_user(session, user) if user is not None else Actor.anonymous()


# --- companies -------------------------------------------------------------------------------


def test_get_managed_company_hides_and_forbids_like_the_pages(
    session: Session, world: World
) -> None:
    pending, approved = world.pending_a.id, world.company_a1.id
    assert pending is not None and approved is not None
    manager_a = actor(session, world, "manager_same_network")
    manager_b = actor(session, world, "manager_other_network")
    assert companies.get_managed_company(session=session, actor=manager_a, company_id=pending)
    with pytest.raises(NotFound):
        companies.get_managed_company(session=session, actor=manager_b, company_id=pending)
    with pytest.raises(PermissionDenied):
        companies.get_managed_company(session=session, actor=manager_b, company_id=approved)
    with pytest.raises(PermissionDenied):
        companies.get_managed_company(
            session=session, actor=actor(session, world, "same_company"), company_id=approved
        )
    with pytest.raises(NotFound):
        companies.get_managed_company(session=session, actor=Actor.anonymous(), company_id=pending)


def test_list_companies_by_name_network_and_status(session: Session, world: World) -> None:
    admin = actor(session, world, "admin")

    def names(**filters: object) -> list[str]:
        page = companies.list_companies(
            session=session, actor=admin, managed_only=True, order="name", **filters
        )
        return [c.name for c in page.items]

    assert names(query="TON") == ["Anton Kunststoff KG"]
    assert names(query="  GMBH ") == [
        "Alpha Feinmechanik GmbH",
        "Berta Logistik GmbH",
        "Neu & Co. GmbH",
    ]
    assert names(query="50%") == []
    assert names(query="\x00") == names()  # a control character alone is no search
    assert names(network="netz-sued") == ["Berta Logistik GmbH"]
    assert names(status="pending", network="netz-nord") == ["Neu & Co. GmbH"]


def test_count_by_status_is_scoped(session: Session, world: World) -> None:
    make_company(session, [world.network_b], name="Süd Zwei GmbH")
    assert companies.count_by_status(
        session=session, actor=actor(session, world, "manager_same_network")
    ) == {"pending": 1, "approved": 2, "rejected": 0, "suspended": 0}
    assert companies.count_by_status(
        session=session, actor=actor(session, world, "manager_other_network")
    ) == {"pending": 0, "approved": 2, "rejected": 0, "suspended": 0}
    assert companies.count_by_status(
        session=session, actor=actor(session, world, "same_company")
    ) == {
        "pending": 0,
        "approved": 0,
        "rejected": 0,
        "suspended": 0,
    }


def test_expected_status_guards_against_stale_decisions(session: Session, world: World) -> None:
    manager = actor(session, world, "manager_same_network")
    company_id = world.pending_a.id
    assert company_id is not None
    companies.reject_company(
        session=session, actor=manager, company_id=company_id, reason="unvollständig"
    )
    with pytest.raises(Conflict):
        companies.approve_company(
            session=session, actor=manager, company_id=company_id, expected_status="pending"
        )
    approved = companies.approve_company(
        session=session, actor=manager, company_id=company_id, expected_status="rejected"
    )
    assert approved.status == "approved"


def test_reinstate_only_lifts_a_suspension(session: Session, world: World) -> None:
    manager = actor(session, world, "manager_same_network")
    company_id = world.company_a1.id
    assert company_id is not None
    with pytest.raises(Conflict):
        companies.reinstate_company(session=session, actor=manager, company_id=company_id)
    companies.suspend_company(session=session, actor=manager, company_id=company_id, reason="x")
    company = companies.reinstate_company(
        session=session, actor=manager, company_id=company_id, note=" geklärt "
    )
    assert company.status == "approved" and company.review_note == "geklärt"
    (event,) = audit.history(session, entity="company", entity_id=company_id, limit=1)
    assert event.action == "company.reinstate"
    assert event.changes == {"status": ["suspended", "approved"], "reason": "geklärt"}


def test_registering_member(session: Session, world: World) -> None:
    # the world's companies were created by the system, not registered
    assert companies.registering_member(session=session, company=world.pending_a) is None


# --- postings --------------------------------------------------------------------------------


def test_managed_only_search_is_the_managers_networks(session: Session, world: World) -> None:
    def titles(persona: str) -> set[str]:
        page = postings.search_postings(
            session=session,
            actor=actor(session, world, persona),
            filters=postings.PostingFilters(),
            managed_only=True,
        )
        return {p.title for p in page.items}

    assert titles("manager_same_network") == {world.posting_a1.title, world.draft_a1.title}
    assert titles("manager_other_network") == {world.posting_b1.title}
    assert titles("admin") == {
        world.posting_a1.title,
        world.draft_a1.title,
        world.posting_b1.title,
    }
    assert titles("anonymous") == set()


def test_moderation_needs_a_reason_and_a_moderation_action(session: Session, world: World) -> None:
    manager = actor(session, world, "manager_same_network")
    posting_id = world.posting_a1.id
    assert posting_id is not None
    for action, reason in (("pause", " "), ("fulfil", "Grund"), ("publish", "Grund")):
        with pytest.raises(InvalidInput):
            postings.moderate_posting(
                session=session, actor=manager, posting_id=posting_id, action=action, reason=reason
            )
    with pytest.raises(Conflict):
        postings.moderate_posting(
            session=session,
            actor=manager,
            posting_id=posting_id,
            action="pause",
            reason="Grund",
            expected_status="paused",
        )
    paused = postings.moderate_posting(
        session=session, actor=manager, posting_id=posting_id, action="pause", reason=" Grund "
    )
    assert paused.status == PostingStatus.PAUSED.value
    (event,) = audit.history(session, entity="posting", entity_id=posting_id, limit=1)
    assert event.changes == {"status": ["active", "paused"], "reason": "Grund"}


def test_moderation_scope(session: Session, world: World) -> None:
    manager_b = actor(session, world, "manager_other_network")
    for posting, error in ((world.posting_a1, PermissionDenied), (world.draft_a1, NotFound)):
        assert posting.id is not None
        with pytest.raises(error):
            postings.moderate_posting(
                session=session,
                actor=manager_b,
                posting_id=posting.id,
                action="withdraw",
                reason="x",
            )


def test_count_managed_postings_counts_live_ones(session: Session, world: World) -> None:
    assert postings.count_managed_postings(
        session=session, actor=actor(session, world, "manager_same_network")
    ) == {"need": 1, "offer": 0}
    assert postings.count_managed_postings(
        session=session, actor=actor(session, world, "admin")
    ) == {
        "need": 1,
        "offer": 1,
    }


# --- catalog ---------------------------------------------------------------------------------


def test_network_activation_is_for_admins_and_audited(session: Session, world: World) -> None:
    network_id = world.network_b.id
    assert network_id is not None
    with pytest.raises(PermissionDenied):
        catalog.set_network_active(
            session=session,
            actor=actor(session, world, "manager_other_network"),
            network_id=network_id,
            active=False,
        )
    admin = actor(session, world, "admin")
    catalog.set_network_active(session=session, actor=admin, network_id=network_id, active=False)
    catalog.set_network_active(session=session, actor=admin, network_id=network_id, active=False)
    events = audit.history(session, entity="network", entity_id=network_id)
    assert [e.action for e in events][:2] == ["network.deactivate", "network.create"]
    assert "netz-sued" not in {n.slug for n in catalog.list_networks(session=session)}
    with pytest.raises(NotFound):
        catalog.set_network_active(session=session, actor=admin, network_id=9999, active=True)


def test_category_activation_and_usage(session: Session, world: World) -> None:
    material = next(c for c in catalog.list_categories(session=session) if c.slug == "material")
    assert material.id is not None
    assert catalog.category_usage_counts(session)[material.id] == 1
    assert catalog.category_in_use(session=session, category=material)
    with pytest.raises(PermissionDenied):
        catalog.set_category_active(
            session=session,
            actor=actor(session, world, "manager_same_network"),
            category_id=material.id,
            active=False,
        )
    catalog.set_category_active(
        session=session, actor=actor(session, world, "admin"), category_id=material.id, active=False
    )
    assert "material" not in {c.slug for c in catalog.list_categories(session=session)}


def test_company_counts_per_network(session: Session, world: World) -> None:
    counts = catalog.network_company_counts_by_status(session)
    assert counts[world.network_a.id] == {"approved": 2, "pending": 1}  # type: ignore[index]
    assert catalog.network_manager_counts(session) == {
        world.network_a.id: 1,
        world.network_b.id: 1,
    }


# --- accounts --------------------------------------------------------------------------------


def test_staff_listing_and_accounts_are_for_admins(session: Session, world: World) -> None:
    admin = actor(session, world, "admin")
    assert {u.email for u in accounts.list_staff(session=session, actor=admin)} == {
        world.manager_a.email,
        world.manager_b.email,
        world.admin.email,
    }
    assert {u.email for u in accounts.list_staff(session=session, actor=admin, role="admin")} == {
        world.admin.email
    }
    for persona in ("manager_same_network", "same_company", "anonymous"):
        with pytest.raises(PermissionDenied):
            accounts.list_staff(session=session, actor=actor(session, world, persona))
        with pytest.raises(PermissionDenied):
            accounts.get_account(
                session=session,
                actor=actor(session, world, persona),
                user_id=world.admin.id,  # type: ignore[arg-type]
            )
    with pytest.raises(NotFound):
        accounts.get_account(session=session, actor=admin, user_id=9999)


def test_invitation_issues_a_set_password_link(session: Session, world: World) -> None:
    admin = actor(session, world, "admin")
    token = accounts.issue_invitation(session=session, actor=admin, user=world.manager_b)
    assert accounts.user_for_password_token(session=session, token=token) == world.manager_b
    purposes = set(session.execute(select(PasswordToken.purpose)).scalars())
    assert purposes == {TokenPurpose.SET.value}
    with pytest.raises(PermissionDenied):
        accounts.issue_invitation(
            session=session,
            actor=actor(session, world, "manager_same_network"),
            user=world.manager_b,
        )
    accounts.set_active(session=session, actor=admin, user=world.manager_b, active=False)
    with pytest.raises(Conflict):
        accounts.issue_invitation(session=session, actor=admin, user=world.manager_b)


def test_unknown_and_malformed_network_slugs(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput) as info:
        accounts.networks_by_slugs(session, ["netz-nord", "nix", "a\x00b"])
    assert info.value.by_field() == {"networks": ["Unknown network: a b, nix"]}


# --- audit log -------------------------------------------------------------------------------


def test_audit_log_is_for_admins_and_filters(session: Session, world: World) -> None:
    admin = actor(session, world, "admin")
    with pytest.raises(PermissionDenied):
        audit.list_events(session=session, actor=actor(session, world, "manager_same_network"))
    everything = audit.list_events(session=session, actor=admin, per_page=100)
    assert everything.total == len(everything.items) > 10
    assert [e.id for e in everything.items] == sorted(
        (e.id for e in everything.items), reverse=True
    )
    by_member = audit.list_events(session=session, actor=admin, actor_query="MEMBER.A1@")
    assert {e.action for e in by_member.items} == {"posting.create"}
    assert by_member.total == 2
    by_id = audit.list_events(session=session, actor=admin, actor_id=world.member_b1.id)
    assert by_id.total == 1
    postings_only = audit.list_events(session=session, actor=admin, entity="posting")
    assert postings_only.total == 3
    assert audit.entity_types(session) == ["company", "network", "posting", "user"]
    assert audit.actors_of(session, by_member.items) == {world.member_a1.id: world.member_a1}


# --- control characters never reach the database ----------------------------------------------


def test_control_characters_in_lookups_match_nothing(session: Session, world: World) -> None:
    assert accounts.user_by_email(session, "member.a1\x00@example.org") is None
    for filters in (
        postings.PostingFilters(category="material\x00"),
        postings.PostingFilters(network="\x00"),
        postings.PostingFilters(kind="need\x00", status="active"),
    ):
        page = postings.search_postings(session=session, actor=Actor.anonymous(), filters=filters)
        assert (page.total, page.items) == (0, [])
