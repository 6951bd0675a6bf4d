"""The posting service: creation, validation, the lifecycle, expiry and search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from matchmaker import postings
from matchmaker.access import Actor
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.models import AuditEvent, Posting, PostingStatus
from matchmaker.schemas import PostingInput
from tests.factories import World

TODAY = date(2026, 3, 2)


def actor_of(session: Session, user: object) -> Actor:
    return Actor.for_user(session, user)  # type: ignore[arg-type]


def new_input(**fields: object) -> PostingInput:
    values: dict[str, object] = {
        "kind": "offer",
        "title": "Freie Kapazität Laserschneiden",
        "description": "TRUMPF 3030, Blech bis 12 mm, ab sofort.",
        "category": "production_capacity",
    }
    values.update(fields)
    return PostingInput(**values)  # type: ignore[arg-type]


def test_create_fills_defaults_and_detects_language(session: Session, world: World) -> None:
    actor = actor_of(session, world.member_a1)
    posting = postings.create_posting(session=session, actor=actor, data=new_input(), today=TODAY)
    assert posting.status == PostingStatus.DRAFT.value
    assert posting.valid_until == TODAY + timedelta(days=56)
    assert posting.postal_code == world.company_a1.postal_code
    assert posting.language == "de"
    english = postings.create_posting(
        session=session,
        actor=actor,
        data=new_input(
            title="Spare 5-axis milling capacity available",
            description="Two machines idle next month, aluminium and steel parts.",
        ),
        today=TODAY,
    )
    assert english.language == "en"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "posting.create")).all()
    assert {e.entity_id for e in events} >= {posting.id, english.id}


def test_text_is_stored_as_typed(session: Session, world: World) -> None:
    title = "<script>alert('x')</script> & Co"
    posting = postings.create_posting(
        session=session,
        actor=actor_of(session, world.member_a1),
        data=new_input(title=title),
        today=TODAY,
    )
    assert session.get(Posting, posting.id).title == title  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"valid_until": TODAY - timedelta(days=1)}, "valid_until"),
        ({"valid_until": TODAY + timedelta(days=366)}, "valid_until"),
        ({"category": "unknown"}, "category"),
    ],
)
def test_rules_that_need_the_database(
    session: Session, world: World, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        postings.create_posting(
            session=session,
            actor=actor_of(session, world.member_a1),
            data=new_input(**fields),
            today=TODAY,
        )
    assert field in info.value.by_field()


def test_only_members_post_for_their_company(session: Session, world: World) -> None:
    for user in (world.manager_a, world.manager_b):
        with pytest.raises(PermissionDenied):
            postings.create_posting(
                session=session, actor=actor_of(session, user), data=new_input(), today=TODAY
            )
    with pytest.raises(PermissionDenied):
        postings.create_posting(
            session=session,
            actor=actor_of(session, world.member_a1),
            data=new_input(),
            company_id=world.company_a2.id,
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        postings.create_posting(
            session=session, actor=Actor.anonymous(), data=new_input(), today=TODAY
        )


def test_lifecycle_transitions(session: Session, world: World) -> None:
    actor = actor_of(session, world.member_a1)
    posting = postings.create_posting(session=session, actor=actor, data=new_input())
    pid = posting.id
    assert pid is not None
    for action, expected in [
        ("publish", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("fulfil", "fulfilled"),
    ]:
        posting = postings.change_status(
            session=session, actor=actor, posting_id=pid, action=action
        )
        assert posting.status == expected
    assert posting.closed_at is not None
    with pytest.raises(Conflict):
        postings.change_status(session=session, actor=actor, posting_id=pid, action="resume")
    with pytest.raises(Conflict):
        postings.update_posting(
            session=session, actor=actor, posting_id=pid, changes={"title": "Neuer Titel hier"}
        )
    with pytest.raises(InvalidInput):
        postings.change_status(session=session, actor=actor, posting_id=pid, action="explode")


def test_managers_moderate_only_their_networks(session: Session, world: World) -> None:
    pid = world.posting_a1.id
    assert pid is not None
    with pytest.raises(PermissionDenied):
        postings.change_status(
            session=session,
            actor=actor_of(session, world.manager_b),
            posting_id=pid,
            action="pause",
        )
    with pytest.raises(PermissionDenied):
        postings.change_status(
            session=session,
            actor=actor_of(session, world.manager_a),
            posting_id=pid,
            action="fulfil",
        )
    paused = postings.change_status(
        session=session,
        actor=actor_of(session, world.manager_a),
        posting_id=pid,
        action="pause",
        reason="Doppelter Eintrag",
    )
    assert paused.status == "paused"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "posting.pause", AuditEvent.entity_id == pid)
    ).one()
    assert event.actor_id == world.manager_a.id
    assert event.changes["reason"] == "Doppelter Eintrag"


def test_hidden_postings_look_absent(session: Session, world: World) -> None:
    draft = world.draft_a1.id
    assert draft is not None
    with pytest.raises(NotFound):
        postings.get_posting(session=session, actor=Actor.anonymous(), posting_id=draft)
    with pytest.raises(NotFound):
        postings.get_posting(
            session=session, actor=actor_of(session, world.member_a2), posting_id=draft
        )
    with pytest.raises(NotFound):
        postings.update_posting(
            session=session,
            actor=actor_of(session, world.member_b1),
            posting_id=draft,
            changes={"title": "Übernommen!"},
        )
    # visible to another company, but not editable by it
    with pytest.raises(PermissionDenied):
        postings.update_posting(
            session=session,
            actor=actor_of(session, world.member_a2),
            posting_id=world.posting_a1.id,  # type: ignore[arg-type]
            changes={"title": "Übernommen!"},
        )
    assert postings.get_posting(
        session=session, actor=actor_of(session, world.manager_a), posting_id=draft
    )
    with pytest.raises(NotFound):
        postings.get_posting(
            session=session, actor=actor_of(session, world.manager_b), posting_id=draft
        )


def test_update_validates_the_whole_posting_and_keeps_it_on_error(
    session: Session, world: World
) -> None:
    actor = actor_of(session, world.member_a1)
    pid = world.posting_a1.id
    assert pid is not None
    before = postings.posting_values(session.get(Posting, pid))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as info:
        postings.update_posting(
            session=session,
            actor=actor,
            posting_id=pid,
            changes={"title": "", "postal_code": "123", "unknown": 1},
        )
    assert {"unknown"} <= set(info.value.by_field())
    with pytest.raises(InvalidInput) as info:
        postings.update_posting(
            session=session, actor=actor, posting_id=pid, changes={"title": "", "postal_code": "1"}
        )
    assert {"title", "postal_code"} <= set(info.value.by_field())
    session.rollback()
    assert postings.posting_values(session.get(Posting, pid)) == before  # type: ignore[arg-type]


def test_stale_edits_are_refused(session: Session, world: World) -> None:
    actor = actor_of(session, world.member_a1)
    pid = world.posting_a1.id
    assert pid is not None
    version = world.posting_a1.version
    postings.update_posting(
        session=session,
        actor=actor,
        posting_id=pid,
        changes={"title": "Edelstahlblech 3 mm gesucht"},
        expected_version=version,
    )
    with pytest.raises(Conflict):
        postings.update_posting(
            session=session,
            actor=actor,
            posting_id=pid,
            changes={"title": "Edelstahlblech 4 mm gesucht"},
            expected_version=version,
        )
    assert session.get(Posting, pid).title == "Edelstahlblech 3 mm gesucht"  # type: ignore[union-attr]


def test_expiry_and_renewal(session: Session, world: World) -> None:
    actor = actor_of(session, world.member_a1)
    posting = postings.create_posting(
        session=session,
        actor=actor,
        data=new_input(valid_until=TODAY + timedelta(days=3)),
        publish=True,
        today=TODAY,
    )
    assert postings.expire_postings(session=session, today=TODAY + timedelta(days=3)) == []
    expired = postings.expire_postings(session=session, today=TODAY + timedelta(days=4))
    assert posting.id in expired
    assert world.draft_a1.id not in expired
    session.refresh(posting)
    assert posting.status == "expired"
    with pytest.raises(Conflict):
        postings.change_status(
            session=session,
            actor=actor,
            posting_id=posting.id,  # type: ignore[arg-type]
            action="pause",
        )
    later = TODAY + timedelta(days=10)
    renewed = postings.renew_posting(
        session=session,
        actor=actor,
        posting_id=posting.id,  # type: ignore[arg-type]
        today=later,
    )
    assert renewed.status == "active"
    assert renewed.valid_until == later + timedelta(days=56)
    with pytest.raises(InvalidInput):
        postings.renew_posting(
            session=session,
            actor=actor,
            posting_id=posting.id,  # type: ignore[arg-type]
            valid_until=later + timedelta(days=400),
            today=later,
        )


def test_search_filters(session: Session, world: World) -> None:
    actor = actor_of(session, world.member_a1)
    postings.create_posting(
        session=session,
        actor=actor,
        data=new_input(
            kind="need",
            title="Kühlschmierstoff gesucht",
            description="KSS für Bearbeitungszentren",
            category="material",
            postal_code="99084",
        ),
        publish=True,
    )
    session.commit()

    def titles(**filters: object) -> set[str]:
        page = postings.search_postings(
            session=session,
            actor=Actor.anonymous(),
            filters=postings.PostingFilters(**filters),  # type: ignore[arg-type]
        )
        return {p.title for p in page.items}

    assert titles(query="kuehlschmierstoff") == {"Kühlschmierstoff gesucht"}
    assert titles(query="KÜHLSCHMIER") == {"Kühlschmierstoff gesucht"}
    assert titles(query="Wasserstrahl") == set()
    assert titles(postal_prefix="99") == {"Kühlschmierstoff gesucht"}
    assert "LKW-Laderaum frei Plauen–Erfurt" in titles(network="netz-sued")
    assert titles(network="netz-sued") == {"LKW-Laderaum frei Plauen–Erfurt"}
    assert titles(kind="offer") == {"LKW-Laderaum frei Plauen–Erfurt"}
    assert "Freie Fräskapazität 5-Achs" not in titles()  # a draft
    assert titles(category="logistics") == {"LKW-Laderaum frei Plauen–Erfurt"}


def test_pending_companies_postings_are_not_public(session: Session, world: World) -> None:
    posting = postings.create_posting(
        session=session,
        actor=actor_of(session, world.member_pending),
        data=new_input(),
        publish=True,
    )
    session.commit()
    public = postings.search_postings(
        session=session, actor=Actor.anonymous(), filters=postings.PostingFilters()
    )
    assert posting.id not in {p.id for p in public.items}
    own = postings.search_postings(
        session=session,
        actor=actor_of(session, world.member_pending),
        filters=postings.PostingFilters(),
    )
    assert posting.id in {p.id for p in own.items}
