"""HTTP details every API client relies on: JSON errors everywhere, methods, routes, ids."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.factories import World


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("DELETE", "postings/1", 405, {"GET", "PATCH"}),
        ("PUT", "postings/1", 405, {"GET", "PATCH"}),
        ("GET", "postings/1/withdraw", 405, {"POST"}),
        ("POST", "networks", 405, {"GET"}),
        ("PATCH", "postings", 405, {"GET", "POST"}),
        ("DELETE", "companies/1", 405, {"GET"}),
    ],
)
def test_wrong_method_answers_json_405(
    api: Api, world: World, method: str, path: str, status: int, allow: set[str]
) -> None:
    response = api.call(method, path)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) - {"HEAD", "OPTIONS"} == allow


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing",
        "/api/v1/postings/abc",
        "/api/v1/postings/0",
        "/api/v1/postings/-1",
        "/api/v1/postings/2147483648",
        "/api/v1/postings/99999999999999999999999",
        "/api/v1/postings/1/explode",
        "/api/v1/companies/1.5",
        "/api/v2/postings",
        "/api/",
    ],
)
def test_unknown_routes_answer_json_404(api: Api, world: World, path: str) -> None:
    for persona in ("anonymous", "admin"):
        response = api.get(path, as_=persona)
        assert response.status_code == 404, path
        assert response.is_json
        assert response.get_json()["error"] == "not_found"


def test_largest_id_is_a_plain_404(api: Api, world: World) -> None:
    response = api.get("postings/2147483647", as_="admin")
    assert response.status_code == 404
    assert response.get_json()["message"] == "This posting does not exist."
    assert api.patch("postings/2147483647", as_="admin", json={}).status_code == 404
    assert api.post("postings/2147483647/pause", as_="admin").status_code == 404
    assert api.get("companies/2147483647", as_="admin").status_code == 404


def test_responses_are_not_cached(api: Api, world: World) -> None:
    response = api.get("postings")
    assert response.headers["Cache-Control"] == "no-store"


def test_http_errors_follow_accept_language(api: Api, world: World) -> None:
    english = api.get("/api/v1/nothing")
    assert english.get_json()["message"] == (
        "There is no such endpoint. The list of endpoints is at /api/v1/docs."
    )
    german = api.get("/api/v1/nothing", headers={"Accept-Language": "de"})
    assert german.get_json()["message"].startswith("Diesen Endpunkt gibt es nicht.")
    method = api.call("DELETE", "networks", headers={"Accept-Language": "de"})
    assert method.get_json()["message"] == "Diese Methode ist für diesen Endpunkt nicht erlaubt."
