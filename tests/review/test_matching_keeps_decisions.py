"""Matching never overrides a manager's decision (issue 7, defect 6)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session

from matchmaker import matches, postings
from matchmaker.access import Actor
from matchmaker.models import Match
from matchmaker.review import decisions
from tests.factories import World


def pause_and_resume(session: Session, world: World, posting_id: int) -> None:
    actor = Actor.for_user(session, world.member_b1)
    for action in ("pause", "resume"):
        postings.change_status(session=session, actor=actor, posting_id=posting_id, action=action)
        session.commit()


@pytest.mark.parametrize("decision", ["approve", "reject", "snooze"])
def test_a_decision_survives_pausing_and_resuming(
    session: Session, world: World, steel_match: Match, decision: str
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    match_id = steel_match.id
    assert match_id is not None
    if decision == "approve":
        decisions.approve(session=session, actor=actor, match_id=match_id)
    elif decision == "reject":
        decisions.reject(session=session, actor=actor, match_id=match_id, reason="too_far")
    else:
        from datetime import timedelta

        from matchmaker import clock

        decisions.snooze(
            session=session,
            actor=actor,
            match_id=match_id,
            until=clock.today() + timedelta(days=3),
        )
    session.commit()
    expected = session.get(Match, match_id).status  # type: ignore[union-attr]
    pause_and_resume(session, world, world.extra["steel_offer"].id)
    session.expire_all()
    assert session.get(Match, match_id).status == expected  # type: ignore[union-attr]


def test_a_rejected_pair_stays_rejected_through_a_rematch(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    match_id = steel_match.id
    assert match_id is not None
    decisions.reject(session=session, actor=actor, match_id=match_id, reason="wrong_material")
    session.commit()
    matches.rematch_all(session, app.extensions["matchmaker.match_index"])
    session.commit()
    session.expire_all()
    match = session.get(Match, match_id)
    assert match is not None and match.status == "rejected" and match.reject_reason


def test_a_material_change_brings_a_rejected_pair_back(
    session: Session, world: World, steel_match: Match
) -> None:
    actor = Actor.for_user(session, world.manager_a)
    match_id = steel_match.id
    assert match_id is not None
    decisions.reject(session=session, actor=actor, match_id=match_id, reason="quantity")
    session.commit()
    postings.update_posting(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=world.extra["steel_offer"].id,
        changes={
            "description": "Ca. 1200 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen."
        },
    )
    session.commit()
    session.expire_all()
    match = session.get(Match, match_id)
    assert match is not None and match.status == "suggested" and match.reject_reason is None
