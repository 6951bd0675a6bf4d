"""The state machine of a match: allowed steps, refused steps (409), audit, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor
from matchmaker.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from matchmaker.models import Match, MatchEvent, Role
from matchmaker.review import decisions
from matchmaker.review.states import MatchConflict, allowed_actions
from tests.factories import World, make_network, make_user


def events(session: Session, match: Match) -> list[MatchEvent]:
    return list(
        session.execute(
            select(MatchEvent).where(MatchEvent.match_id == match.id).order_by(MatchEvent.id)
        ).scalars()
    )


def test_approval_is_stored_and_audited(session: Session, world: World, steel_match: Match) -> None:
    actor = Actor.for_user(session, world.manager_b)
    match = decisions.approve(session=session, actor=actor, match_id=steel_match.id)  # type: ignore[arg-type]
    session.commit()
    assert match.status == "approved"
    assert match.decided_by_id == world.manager_b.id and match.decided_at is not None
    [event] = [e for e in events(session, match) if e.action == "approve"]
    assert (event.actor_id, event.from_status, event.to_status) == (
        world.manager_b.id,
        "suggested",
        "approved",
    )
    assert allowed_actions(match) == ["reject", "introduce"]


def test_an_invalid_step_is_a_conflict_naming_the_state(
    session: Session, world: World, steel_match: Match
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    match_id = steel_match.id
    assert match_id is not None
    decisions.reject(session=session, actor=actor, match_id=match_id, reason="too_far")
    session.commit()
    with pytest.raises(MatchConflict) as refused:
        decisions.approve(session=session, actor=actor, match_id=match_id)
    assert refused.value.status == 409
    assert refused.value.details() == {"status": "rejected"}
    assert "rejected" in str(refused.value.message)
    with pytest.raises(MatchConflict):
        decisions.record_outcome(session=session, actor=actor, match_id=match_id, outcome="deal")


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("", "", "reason"),
        ("bogus", "", "reason"),
        ("other", "  ", "note"),
        ("other", "x" * 1001, "note"),
    ],
)
def test_a_rejection_needs_a_reason(
    session: Session, world: World, steel_match: Match, reason: str, note: str, field: str
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    with pytest.raises(InvalidInput) as refused:
        decisions.reject(
            session=session,
            actor=actor,
            match_id=steel_match.id,  # type: ignore[arg-type]
            reason=reason,
            note=note,
        )
    assert field in refused.value.by_field()
    session.refresh(steel_match)
    assert steel_match.status == "suggested"


def test_snooze_needs_a_future_date_and_is_due_again(
    session: Session, world: World, steel_match: Match
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    today = clock.today()
    match_id = steel_match.id
    assert match_id is not None
    for bad in (today, today - timedelta(days=1), today + timedelta(days=400)):
        with pytest.raises(InvalidInput):
            decisions.snooze(session=session, actor=actor, match_id=match_id, until=bad)
    match = decisions.snooze(
        session=session, actor=actor, match_id=match_id, until=today + timedelta(days=7)
    )
    assert match.status == "snoozed" and match.snoozed_until == today + timedelta(days=7)
    match = decisions.approve(session=session, actor=actor, match_id=match_id)
    assert match.status == "approved" and match.snoozed_until is None


def test_only_the_managers_of_either_network_and_admins_decide(
    session: Session, world: World, steel_match: Match
) -> None:
    match_id = steel_match.id
    assert match_id is not None
    for member in (world.member_a1, world.member_b1):
        with pytest.raises(PermissionDenied):
            decisions.approve(
                session=session, actor=Actor.for_user(session, member), match_id=match_id
            )
    elsewhere = make_user(session, Role.MANAGER, networks=[make_network(session, "netz-ost")])
    with pytest.raises(NotFound):
        decisions.approve(
            session=session, actor=Actor.for_user(session, elsewhere), match_id=match_id
        )
    match = decisions.approve(
        session=session, actor=Actor.for_user(session, world.admin), match_id=match_id
    )
    assert match.status == "approved"


ACTIONS = {
    "approve": lambda session, actor, match_id: decisions.approve(
        session=session, actor=actor, match_id=match_id
    ),
    "reject": lambda session, actor, match_id: decisions.reject(
        session=session, actor=actor, match_id=match_id, reason="duplicate"
    ),
}


@pytest.mark.parametrize(("first", "second"), [("approve", "reject"), ("approve", "approve")])
def test_two_managers_at_once_give_one_winner(
    engine: Engine, world: World, steel_match: Match, first: str, second: str
) -> None:
    """Both managers have the suggested match loaded and act at the same moment."""
    match_id = steel_match.id
    assert match_id is not None
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name: str, action: str, manager_id: int | None) -> None:
        with Session(engine, expire_on_commit=False) as own:
            actor = Actor.for_user(own, own.get(type(world.manager_a), manager_id))  # type: ignore[arg-type]
            loaded = decisions.get_match(session=own, actor=actor, match_id=match_id)
            assert loaded.status == "suggested"
            barrier.wait()
            try:
                ACTIONS[action](own, actor, match_id)
                own.commit()
                outcomes[name] = "won"
            except DomainError as error:
                own.rollback()
                outcomes[name] = type(error).__name__

    threads = [
        threading.Thread(target=act, args=("a", first, world.manager_a.id)),
        threading.Thread(target=act, args=("b", second, world.manager_b.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["MatchConflict", "won"]
    with Session(engine) as check:
        decided = [
            e
            for e in events(check, check.get(Match, match_id))
            if e.from_status == "suggested"  # type: ignore[arg-type]
        ]
        assert len(decided) == 1
