"""The review queue pages: who may use them, what they show, decisions with and without
JavaScript, bulk actions, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.models import Match
from tests.factories import World, make_posting
from tests.helpers import csrf_token, login_as, post_form, text_of
from tests.web.staff_access import LOGIN_REDIRECT, client_for, status_by_persona

STAFF = {
    "anonymous": LOGIN_REDIRECT,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,  # the cross-network match belongs to both networks
    "admin": 200,
}


def status_of(session: Session, match_id: int) -> str:
    session.expire_all()
    match = session.get(Match, match_id)
    assert match is not None
    return match.status


@pytest.mark.parametrize("page", ["/manager/matches", "/manager/matches/{id}"])
def test_who_sees_the_queue_and_a_match(
    app: Flask, world: World, steel_match: Match, page: str
) -> None:
    url = page.format(id=steel_match.id)
    assert status_by_persona(app, world, url) == STAFF


def test_a_manager_elsewhere_does_not_find_the_match(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    from matchmaker.models import Role
    from tests.factories import make_network, make_user

    elsewhere = make_user(session, Role.MANAGER, networks=[make_network(session, "netz-ost")])
    session.commit()
    client = login_as(app.test_client(), elsewhere)
    assert client.get(f"/manager/matches/{steel_match.id}").status_code == 404
    assert f"match-{steel_match.id}" not in text_of(client.get("/manager/matches"))


@pytest.mark.parametrize(
    ("persona", "status", "effect"),
    [
        ("anonymous", LOGIN_REDIRECT, "suggested"),
        ("same_company", 403, "suggested"),
        ("other_company", 403, "suggested"),
        ("manager_same_network", 303, "approved"),
        ("manager_other_network", 303, "approved"),
        ("admin", 303, "approved"),
    ],
)
def test_who_may_decide(
    app: Flask,
    session: Session,
    world: World,
    steel_match: Match,
    persona: str,
    status: int,
    effect: str,
) -> None:
    client = client_for(app, world, persona)
    url = f"/manager/matches/{steel_match.id}/decide"
    response = post_form(client, url, {"action": "approve"})
    assert response.status_code == status
    assert status_of(session, steel_match.id) == effect  # type: ignore[arg-type]
    bulk = post_form(client, "/manager/matches/bulk", {"action": "approve"})
    assert bulk.status_code == (status if status != 303 else 303)


def test_the_queue_shows_both_postings_side_by_side_with_matched_words(
    app: Flask, world: World, steel_match: Match
) -> None:
    client = client_for(app, world, "manager_same_network")
    page = text_of(client.get("/manager/matches"))
    assert f'id="match-{steel_match.id}"' in page
    assert "Edelstahlblech" in page and "Edelstahlbleche" in page
    assert "<mark>" in page
    assert "Berta Logistik GmbH" in page and "Alpha Feinmechanik GmbH" in page
    assert "review.js" in page and "<kbd>j</kbd>" in page
    dashboard = text_of(client.get("/manage/"))
    assert 'href="/manager/matches"' in dashboard
    assert "<strong>1</strong>" in dashboard.split('id="review-count"')[1][:80]


def test_deciding_without_javascript_redirects_back_with_a_message(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    client = client_for(app, world, "manager_same_network")
    url = f"/manager/matches/{steel_match.id}/decide"
    response = post_form(
        client, url, {"action": "reject", "reason": "other", "note": "", "next": "/manager/matches"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/manager/matches")
    assert status_of(session, steel_match.id) == "suggested"  # type: ignore[arg-type]
    assert "warum" in text_of(client.get("/manager/matches"))  # the note is required, in German
    response = post_form(
        client, url, {"action": "reject", "reason": "too_far", "next": "/manager/matches"}
    )
    assert status_of(session, steel_match.id) == "rejected"  # type: ignore[arg-type]
    assert f'id="match-{steel_match.id}"' not in text_of(client.get("/manager/matches"))
    rejected = text_of(client.get("/manager/matches?status=rejected"))
    assert f'id="match-{steel_match.id}"' in rejected


def test_deciding_with_javascript_answers_json_and_conflicts_with_409(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    client = client_for(app, world, "manager_same_network")
    url = f"/manager/matches/{steel_match.id}/decide"
    headers = {"X-Requested-With": "fetch"}
    token = csrf_token(client, "/manager/matches")
    response = client.post(url, data={"action": "approve", "csrf_token": token}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"
    again = client.post(url, data={"action": "approve", "csrf_token": token}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"] == "match_conflict"
    until = (clock.today() - timedelta(days=1)).isoformat()
    bad = client.post(
        url, data={"action": "snooze", "until": until, "csrf_token": token}, headers=headers
    )
    assert bad.status_code in (409, 422)


def test_bulk_actions_decide_each_selected_entry(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    second = make_posting(
        session,
        world.member_a2,
        kind="offer",
        title="Edelstahlblech 1.4301 2 mm, 300 kg Reststücke",
        description="Blech 1.4301, 2 mm, Zuschnitte.",
        category="material",
    )
    session.commit()
    ids = list(
        session.execute(select(Match.id).where(Match.need_id == world.posting_a1.id)).scalars()
    )
    assert len(ids) == 2 and second.id is not None
    client = client_for(app, world, "manager_same_network")
    response = post_form(
        client,
        "/manager/matches/bulk",
        {"action": "reject", "reason": "duplicate", "match_id": [str(i) for i in ids]},
    )
    assert response.status_code == 303
    assert {status_of(session, i) for i in ids} == {"rejected"}
    again = post_form(
        client, "/manager/matches/bulk", {"action": "approve", "match_id": [str(ids[0])]}
    )
    assert again.status_code == 303
    assert f"#{ids[0]}" in text_of(client.get("/manager/matches"))  # named as not possible


@pytest.mark.parametrize(
    ("query", "shown", "reported"),
    [
        ("min_score=101", True, True),  # invalid filters are reported and ignored
        ("min_score=abc", True, True),
        ("status=bogus", True, True),
        ("category=xyz", True, True),
        ("network=netz-sued", True, True),  # not one of this manager's networks
        ("sort=random", True, True),
        ("min_score=0&sort=date&category=material", True, False),
        ("min_score=100", False, False),
        ("category=logistics", False, False),
        ("status=approved", False, False),
        ("status=all&sort=category&network=netz-nord", True, False),
    ],
)
def test_filters(
    app: Flask, world: World, steel_match: Match, query: str, shown: bool, reported: bool
) -> None:
    client = client_for(app, world, "manager_same_network")
    page = text_of(client.get(f"/manager/matches?{query}"))
    assert (f'id="match-{steel_match.id}"' in page) is shown
    assert ('class="form-message" role="alert"' in page) is reported
