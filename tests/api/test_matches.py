"""``GET /api/v1/postings/{id}/matches``: a posting's candidates with scores and explanations,
for the managers of both companies' networks and admins."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import matcher, matches, postings
from matchmaker.access import Actor
from tests.api.conftest import PERSONAS, Api
from tests.factories import World, make_posting

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
}

EXPECTED = {
    "anonymous": 401,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,  # the offer's company is in that manager's network
    "admin": 200,
}


@pytest.fixture
def offer_id(session: Session, world: World, api: Api) -> int:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert offer.id is not None
    return offer.id


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_a_postings_matches(api: Api, world: World, offer_id: int, persona: str) -> None:
    response = api.get(f"postings/{world.posting_a1.id}/matches", as_=persona)
    assert response.status_code == EXPECTED[persona], response.get_json()
    body = response.get_json()
    if response.status_code != 200:
        assert set(body) == {"error", "message", "details"}
        return
    assert body["posting_id"] == world.posting_a1.id
    assert [item["partner"]["id"] for item in body["items"]] == [offer_id]
    item = body["items"][0]
    assert item["need_id"] == world.posting_a1.id and item["offer_id"] == offer_id
    assert 0 <= item["score"] <= 1 and item["status"] == "suggested"
    assert {"text_word", "concept", "category", "distance"} <= set(item["components"])
    explanation = item["explanation"]
    assert explanation["summary_de"] and explanation["summary_en"]
    assert explanation["matched_terms"] and all(
        {"need", "offer", "term"} <= set(term) for term in explanation["matched_terms"]
    )
    assert item["partner"]["title"] == STEEL_OFFER["title"]


def test_matches_are_listed_from_either_side(api: Api, world: World, offer_id: int) -> None:
    body = api.get(f"postings/{offer_id}/matches", as_="manager_same_network").get_json()
    assert [item["partner"]["id"] for item in body["items"]] == [world.posting_a1.id]


def test_retired_matches_only_on_request(
    api: Api, session: Session, world: World, offer_id: int
) -> None:
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=offer_id,
        action="withdraw",
    )
    session.commit()
    url = f"postings/{world.posting_a1.id}/matches"
    assert api.get(url, as_="admin").get_json()["items"] == []
    retired = api.get(f"{url}?include_retired=true", as_="admin").get_json()["items"]
    assert [(item["partner"]["id"], item["status"]) for item in retired] == [(offer_id, "retired")]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("postings/999999/matches", 404),
        ("postings/0/matches", 404),
        ("postings/abc/matches", 404),
        ("postings/{draft}/matches", 200),
        ("postings/{need}/matches?include_retired=maybe", 422),
        ("postings/{need}/matches?order=score", 422),
    ],
)
def test_bad_requests(api: Api, world: World, path: str, status: int) -> None:
    url = path.format(draft=world.draft_a1.id, need=world.posting_a1.id)
    response = api.get(url, as_="admin")
    assert response.status_code == status
    assert response.is_json


def test_hidden_postings_are_not_found_for_managers_of_other_networks(
    api: Api, world: World
) -> None:
    response = api.get(f"postings/{world.draft_a1.id}/matches", as_="manager_other_network")
    assert response.status_code == 404


def test_the_endpoint_is_in_the_openapi_document(api: Api) -> None:
    document = api.get("/api/v1/openapi.json", as_=None).get_json()
    operation = document["paths"]["/api/v1/postings/{posting_id}/matches"]["get"]
    assert operation["operationId"] == "listPostingMatches"
    assert "MatchList" in document["components"]["schemas"]


def test_a_hidden_partner_is_not_shown_through_the_match_list(
    api: Api, session: Session, world: World, offer_id: int
) -> None:
    """Issue 7, defect 1: network B's manager must not read network A's paused need this way."""
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=world.posting_a1.id,  # type: ignore[arg-type]
        action="pause",
    )
    session.commit()
    assert (
        api.get(f"postings/{world.posting_a1.id}", as_="manager_other_network").status_code == 404
    )
    url = f"postings/{offer_id}/matches?include_retired=true"
    assert api.get(url, as_="manager_other_network").get_json()["items"] == []
    # the need's own managers still see it
    items = api.get(url, as_="manager_same_network").get_json()["items"]
    assert [item["partner"]["id"] for item in items] == [world.posting_a1.id]


def test_a_posting_waiting_for_the_matcher_is_marked_pending(
    api: Api, world: World, session: Session, engine: Engine
) -> None:
    matcher.uninstall_inline(engine)  # as in production: web workers only record the job
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    body = api.get(f"postings/{offer.id}/matches", as_="manager_other_network").get_json()
    assert body["matching_pending"] is True
    assert body["items"] == []
    assert matcher.Matcher(engine, matches.MatchSettings(), holder="api").run_once().active
    body = api.get(f"postings/{offer.id}/matches", as_="manager_other_network").get_json()
    assert body["matching_pending"] is False
    assert [item["need_id"] for item in body["items"]] == [world.posting_a1.id]
