"""``/api/v1/matches``: the review queue and decisions over the API, in the OpenAPI document."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.models import Match, MatchEvent
from tests.api.conftest import PERSONAS, Api
from tests.factories import World

READ = {
    "anonymous": 401,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,
    "admin": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_lists_and_reads_matches(
    api: Api, world: World, steel_match: Match, persona: str
) -> None:
    listed = api.get("matches", as_=persona)
    assert listed.status_code == READ[persona], listed.get_json()
    one = api.get(f"matches/{steel_match.id}", as_=persona)
    assert one.status_code == READ[persona]
    if listed.status_code == 200:
        assert [item["id"] for item in listed.get_json()["items"]] == [steel_match.id]
        body = one.get_json()
        assert body["status"] == "suggested" and body["actions"] == ["approve", "reject", "snooze"]
        assert body["need"]["id"] == world.posting_a1.id
        assert body["explanation"]["matched_terms"]


DECIDE = {
    "anonymous": 401,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,
    "admin": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", None),
        ("reject", {"reason": "too_far"}),
        ("snooze", {"until": "{tomorrow}"}),
    ],
)
def test_who_decides(
    api: Api,
    session: Session,
    world: World,
    steel_match: Match,
    persona: str,
    action: str,
    body: dict[str, str] | None,
) -> None:
    if body and "until" in body:
        body = {"until": (clock.today() + timedelta(days=1)).isoformat()}
    response = api.post(f"matches/{steel_match.id}/{action}", as_=persona, json=body)
    assert response.status_code == DECIDE[persona], response.get_json()
    session.expire_all()
    stored = session.get(Match, steel_match.id)
    assert stored is not None
    expected = {"approve": "approved", "reject": "rejected", "snooze": "snoozed"}[action]
    assert stored.status == (expected if response.status_code == 200 else "suggested")


def test_the_lifecycle_over_the_api(api: Api, world: World, steel_match: Match) -> None:
    url = f"matches/{steel_match.id}"
    refused = api.post(f"{url}/introduce", as_="admin", json={})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "match_conflict"
    assert api.post(f"{url}/approve", as_="manager_same_network").status_code == 200
    introduced = api.post(
        f"{url}/introduce", as_="manager_other_network", json={"need_message": "Hallo"}
    )
    assert introduced.status_code == 200, introduced.get_json()
    assert introduced.get_json()["status"] == "introduced"
    assert introduced.get_json()["actions"] == ["outcome"]
    outcome = api.post(f"{url}/outcome", as_="admin", json={"outcome": "in_talks"})
    assert outcome.get_json()["outcome"] == "in_talks"
    final = api.post(f"{url}/outcome", as_="admin", json={"outcome": "deal"})
    assert final.get_json()["outcome"] == "deal"
    assert api.post(f"{url}/outcome", as_="admin", json={"outcome": "no_deal"}).status_code == 409
    listed = api.get("matches?status=introduced", as_="manager_same_network").get_json()
    assert [item["id"] for item in listed["items"]] == [steel_match.id]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("matches?status=bogus", None, 422),
        ("matches?min_score=2", None, 422),
        ("matches?network=netz-sued", None, 422),  # not manager_same_network's network
        ("matches?color=red", None, 422),
        ("matches/999999", None, 404),
        ("matches/{id}/reject", {"reason": "nope"}, 422),
        ("matches/{id}/reject", {"reason": "other"}, 422),
        ("matches/{id}/snooze", {"until": "2000-01-01"}, 422),
        ("matches/{id}/outcome", {"outcome": "deal"}, 409),
        ("matches/{id}/outcome", {"outcome": "maybe"}, 422),
    ],
)
def test_bad_requests(
    api: Api, steel_match: Match, path: str, body: dict[str, str] | None, status: int
) -> None:
    url = path.format(id=steel_match.id)
    if body is None:
        response = api.get(url, as_="manager_same_network")
    else:
        response = api.post(url, as_="manager_same_network", json=body)
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()) == {"error", "message", "details"}


def test_the_endpoints_are_in_the_openapi_document(api: Api) -> None:
    document = api.get("/api/v1/openapi.json", as_=None).get_json()
    paths = document["paths"]
    assert paths["/api/v1/matches"]["get"]["operationId"] == "listMatches"
    assert paths["/api/v1/matches/{match_id}"]["get"]["operationId"] == "getMatch"
    for action in ("approve", "reject", "snooze", "introduce", "outcome"):
        operation = paths[f"/api/v1/matches/{{match_id}}/{action}"]["post"]
        assert "409" in operation["responses"]


def test_two_concurrent_requests_give_one_winner(
    app: Flask, api: Api, session: Session, world: World, steel_match: Match
) -> None:
    """Two managers press "introduce" at the same moment: one introduction, one 409."""
    url = f"matches/{steel_match.id}"
    assert api.post(f"{url}/approve", as_="admin").status_code == 200
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def press(persona: str) -> None:
        own = Api(app.test_client(), api.tokens)
        barrier.wait()
        answers.append(own.post(f"{url}/introduce", as_=persona, json={}).status_code)

    threads = [
        threading.Thread(target=press, args=(p,))
        for p in ("manager_same_network", "manager_other_network")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    introductions = session.execute(
        select(func.count())
        .select_from(MatchEvent)
        .where(MatchEvent.match_id == steel_match.id, MatchEvent.action == "introduce")
    ).scalar_one()
    assert introductions == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_introduces_and_records_outcomes(
    app: Flask, api: Api, session: Session, world: World, steel_match: Match, persona: str
) -> None:
    assert api.post(f"matches/{steel_match.id}/approve", as_="admin").status_code == 200
    introduced = api.post(f"matches/{steel_match.id}/introduce", as_=persona, json={})
    assert introduced.status_code == DECIDE[persona]
    if introduced.status_code != 200:
        api.post(f"matches/{steel_match.id}/introduce", as_="admin", json={})
    outcome = api.post(f"matches/{steel_match.id}/outcome", as_=persona, json={"outcome": "deal"})
    assert outcome.status_code == DECIDE[persona]
    session.expire_all()
    stored = session.get(Match, steel_match.id)
    assert stored is not None and stored.status == "introduced"
    assert stored.outcome == ("deal" if outcome.status_code == 200 else None)
