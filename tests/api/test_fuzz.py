"""Property-based checks: whatever a client sends, the API answers JSON and never a 5xx.

Bounded and derandomised, so the run is quick and the same every time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.factories import World

CHECKS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

odd_text = st.sampled_from(["", " ", "\x00", "\ud800", "<script>x</script>", "ß" * 200, "9" * 40])
any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | odd_text,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
dates = st.dates().map(lambda d: d.isoformat())
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(["need", "offer"]) | any_json,
    "title": st.text(min_size=3, max_size=130) | any_json,
    "description": st.text(max_size=50) | any_json,
    "category": st.sampled_from(["material", "logistics", "services"]) | any_json,
    "quantity": st.floats(min_value=-10, max_value=1e10) | st.none() | any_json,
    "unit": st.sampled_from(["kg", "piece", "hour"]) | st.none() | any_json,
    "postal_code": st.from_regex(r"\A[0-9]{4,6}\Z") | any_json,
    "radius_km": st.integers(min_value=-5, max_value=2000) | any_json,
    "available_from": dates | any_json,
    "available_until": dates | any_json,
    "valid_until": dates | any_json,
    "language": st.sampled_from(["de", "en", "fr"]) | any_json,
    "publish": st.booleans() | any_json,
    "company_id": st.integers(min_value=-1, max_value=2**40) | any_json,
    "version": st.integers(min_value=-1, max_value=2**40) | any_json,
}
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(["need", "offer"]),
    "title": st.text(st.characters(codec="utf-8"), min_size=5, max_size=120).filter(str.strip),
    "category": st.sampled_from(["material", "logistics", "services"]),
}
# Mostly plausible postings with some fields off, then anything at all.
bodies = (
    st.fixed_dictionaries(GOOD, optional={k: v for k, v in FIELDS.items() if k not in GOOD})
    | st.fixed_dictionaries({}, optional=FIELDS)
    | any_json
)
QUERY_NAMES = ["kind", "category", "network", "plz", "q", "status", "company", "page", "per_page"]
queries = st.dictionaries(
    st.sampled_from(QUERY_NAMES) | st.text(min_size=1, max_size=5),
    st.text(max_size=30) | st.integers().map(str),
    max_size=4,
)


@CHECKS
@given(body=bodies)
def test_create_never_fails_on_the_server(api: Api, world: World, body: Any) -> None:
    response = api.post("postings", json=body)
    assert response.status_code in (201, 400, 403, 422), response.get_json()
    assert response.is_json


@CHECKS
@given(body=bodies)
def test_patch_never_fails_on_the_server(api: Api, world: World, body: Any) -> None:
    response = api.patch(f"postings/{world.posting_a1.id}", json=body, as_="admin")
    assert response.status_code in (200, 400, 409, 412, 422), response.get_json()
    assert response.is_json


@CHECKS
@given(query=queries)
def test_list_never_fails_on_the_server(api: Api, world: World, query: dict[str, str]) -> None:
    response = api.get(f"postings?{urlencode(query)}", as_="manager_same_network")
    assert response.status_code in (200, 422), response.get_json()
    assert response.is_json
