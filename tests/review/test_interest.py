"""Expressions of interest: a company's own suggestion in the queue, the other side not told."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker.models import Match, MatchEvent, OutboxMessage
from tests.factories import World
from tests.helpers import login_as, post_form, text_of
from tests.web.staff_access import LOGIN_REDIRECT, client_for


def interest_matches(session: Session) -> list[Match]:
    session.expire_all()
    return list(session.execute(select(Match).where(Match.source == "company")).scalars())


@pytest.mark.parametrize(
    ("persona", "status", "stored"),
    [
        ("anonymous", LOGIN_REDIRECT, False),
        ("same_company", 403, False),  # its own posting
        ("other_company", 303, False),  # no offer of its own to propose: told so, nothing stored
        ("manager_same_network", 403, False),
        ("manager_other_network", 403, False),
        ("admin", 403, False),
    ],
)
def test_who_may_express_interest(
    app: Flask, session: Session, world: World, persona: str, status: int, stored: bool
) -> None:
    client = client_for(app, world, persona)
    url = f"/postings/{world.posting_a1.id}/interest"
    response = post_form(client, url, {"own_posting": str(world.posting_b1.id), "message": "x"})
    assert response.status_code == status
    assert bool(interest_matches(session)) is stored


def test_an_interest_becomes_a_company_suggestion_in_the_queue(
    app: Flask, session: Session, world: World
) -> None:
    offerer = login_as(app.test_client(), world.member_b1)
    page = text_of(offerer.get(f"/postings/{world.posting_a1.id}"))
    assert 'id="interest"' in page and world.posting_b1.title in page
    response = post_form(
        offerer,
        f"/postings/{world.posting_a1.id}/interest",
        {"own_posting": str(world.posting_b1.id), "message": "Wir liefern auch Blech."},
    )
    assert response.status_code == 303
    [match] = interest_matches(session)
    assert (match.need_id, match.offer_id, match.status) == (
        world.posting_a1.id,
        world.posting_b1.id,
        "suggested",
    )
    event = session.execute(
        select(MatchEvent).where(MatchEvent.match_id == match.id, MatchEvent.action == "interest")
    ).scalar_one()
    assert event.actor_id == world.member_b1.id
    assert event.details["message"] == "Wir liefern auch Blech."
    queue = text_of(client_for(app, world, "manager_same_network").get("/manager/matches"))
    assert f'id="match-{match.id}"' in queue and "source-company" in queue
    # the owner of the need is told nothing: no mail, no name on its page
    assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0
    owner = text_of(
        client_for(app, world, "same_company").get(f"/my/postings/{world.posting_a1.id}")
    )
    assert "Berta" not in owner
    # a second interest in the same pair is no duplicate
    post_form(
        offerer,
        f"/postings/{world.posting_a1.id}/interest",
        {"own_posting": str(world.posting_b1.id)},
    )
    assert len(interest_matches(session)) == 1
