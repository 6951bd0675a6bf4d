"""Reading postings through the API: who sees what, filters, pages and the output shape."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session

from matchmaker.models import Posting
from tests.api.conftest import PERSONAS, Api, error_fields
from tests.factories import World, make_posting


def ids_of(response: object) -> set[int]:
    body = response.get_json()  # type: ignore[attr-defined]
    return {item["id"] for item in body["items"]}


# Which of (posting_a1, draft_a1, posting_b1) each persona sees in the list.
LIST_VISIBLE = {
    "anonymous": None,
    "same_company": {"posting_a1", "draft_a1", "posting_b1"},
    "other_company": {"posting_a1", "posting_b1"},
    "manager_same_network": {"posting_a1", "draft_a1", "posting_b1"},
    "manager_other_network": {"posting_a1", "posting_b1"},
    "admin": {"posting_a1", "draft_a1", "posting_b1"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_what_the_persona_may_see(api: Api, world: World, persona: str) -> None:
    response = api.get("postings", as_=persona)
    expected = LIST_VISIBLE[persona]
    if expected is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert ids_of(response) == {getattr(world, name).id for name in expected}
    body = response.get_json()
    assert body["total"] == len(expected)
    assert (body["page"], body["per_page"], body["pages"]) == (1, 20, 1)


DETAIL_STATUS = {
    # persona: (posting_a1, draft_a1)
    "anonymous": (401, 401),
    "same_company": (200, 200),
    "other_company": (200, 404),
    "manager_same_network": (200, 200),
    "manager_other_network": (200, 404),
    "admin": (200, 200),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_hides_what_the_persona_may_not_see(api: Api, world: World, persona: str) -> None:
    public, draft = DETAIL_STATUS[persona]
    first = api.get(f"postings/{world.posting_a1.id}", as_=persona)
    second = api.get(f"postings/{world.draft_a1.id}", as_=persona)
    assert (first.status_code, second.status_code) == (public, draft)
    assert first.is_json and second.is_json
    if draft == 404:
        assert second.get_json() == {
            "error": "not_found",
            "message": "This posting does not exist.",
            "details": None,
        }


def test_posting_shape(api: Api, world: World) -> None:
    posting = world.posting_a1
    response = api.get(f"postings/{posting.id}")
    assert response.headers["ETag"] == f'"{posting.version}"'
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body == {
        "id": posting.id,
        "kind": "need",
        "title": "Edelstahlblech 2 mm gesucht",
        "description": "Wir benötigen 500 kg Blech 1.4301, 2 mm, geschnitten 1000×2000.",
        "category": "material",
        "quantity": None,
        "unit": None,
        "postal_code": "07745",
        "radius_km": None,
        "available_from": None,
        "available_until": None,
        "valid_until": posting.valid_until.isoformat(),
        "status": "active",
        "language": "de",
        "company": {"id": world.company_a1.id, "name": "Alpha Feinmechanik GmbH", "city": "Jena"},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "published_at": body["published_at"],
        "version": posting.version,
        "links": {
            "self": f"http://localhost/api/v1/postings/{posting.id}",
            "html": f"http://localhost/postings/{posting.id}",
            "company": f"http://localhost/api/v1/companies/{world.company_a1.id}",
        },
    }
    for stamp in ("created_at", "updated_at", "published_at"):
        assert body[stamp].endswith("Z") or body[stamp].endswith("+00:00")
        assert body[stamp][:4].isdigit() and body[stamp][10] == "T"


def test_full_posting_fields(api: Api, session: Session, world: World) -> None:
    posting = make_posting(
        session,
        world.member_a1,
        quantity=2.5,
        unit="t",
        radius_km=50,
        postal_code="99084",
        available_from=date(2030, 1, 1),
        available_until=date(2030, 2, 1),
        language="en",
    )
    session.commit()
    body = api.get(f"postings/{posting.id}").get_json()
    assert (body["quantity"], body["unit"], body["radius_km"], body["postal_code"]) == (
        2.5,
        "t",
        50,
        "99084",
    )
    assert (body["available_from"], body["available_until"]) == ("2030-01-01", "2030-02-01")
    assert body["language"] == "en"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=offer", {"draft_a1", "posting_b1"}),
        ("kind=need", {"posting_a1"}),
        ("category=logistics", {"posting_b1"}),
        ("network=netz-nord", {"posting_a1", "draft_a1"}),
        ("network=netz-sued", {"posting_b1"}),
        ("plz=077", {"posting_a1", "draft_a1"}),
        ("plz=08523", {"posting_b1"}),
        ("q=edelstahl", {"posting_a1"}),
        ("q=Fräskapazität", {"draft_a1"}),
        ("q=FRAESKAPAZITAET", {"draft_a1"}),
        ("q=laderaum+plauen", {"posting_b1"}),
        ("status=draft", {"draft_a1"}),
        ("status=active&kind=offer", {"posting_b1"}),
        ("status=withdrawn", set()),
        ("plz=1", set()),
    ],
)
def test_filters(api: Api, world: World, query: str, expected: set[str]) -> None:
    response = api.get(f"postings?{query}", as_="admin")
    assert response.status_code == 200
    assert ids_of(response) == {getattr(world, name).id for name in expected}


def test_company_filter(api: Api, world: World) -> None:
    own = api.get(f"postings?company={world.company_a1.id}", as_="same_company")
    assert ids_of(own) == {world.posting_a1.id, world.draft_a1.id}
    other = api.get(f"postings?company={world.company_a1.id}", as_="other_company")
    assert ids_of(other) == {world.posting_a1.id}
    assert ids_of(api.get("postings?company=999999", as_="admin")) == set()


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("kind=both", "kind", "enum"),
        ("status=deleted", "status", "enum"),
        ("category=nonsense", "category", "unknown_category"),
        ("network=nowhere", "network", "unknown_network"),
        ("plz=07a", "plz", "string_pattern_mismatch"),
        ("plz=077451", "plz", "string_pattern_mismatch"),
        ("q=" + "x" * 201, "q", "too_long"),
        ("q=a%00b", "q", "control_characters"),
        ("category=a%00b", "category", "control_characters"),
        ("company=abc", "company", "int_parsing"),
        ("company=0", "company", "greater_than_equal"),
        ("company=99999999999999999999", "company", "less_than_equal"),
        ("page=0", "page", "greater_than_equal"),
        ("page=x", "page", "int_parsing"),
        ("per_page=101", "per_page", "less_than_equal"),
        ("per_page=0", "per_page", "greater_than_equal"),
        ("sort=title", "sort", "extra_forbidden"),
        ("kind=need&kind=offer", "kind", "enum"),
    ],
)
def test_bad_filters_answer_422(api: Api, world: World, query: str, field: str, code: str) -> None:
    response = api.get(f"postings?{query}")
    assert response.status_code == 422
    assert error_fields(response) == {field: code}
    assert response.get_json()["details"][0]["message"]


def test_pages_and_link_header(api: Api, session: Session, world: World) -> None:
    for n in range(23):
        make_posting(session, world.member_b1, title=f"Ersatzteil Nummer {n:02d}")
    session.commit()
    first = api.get("postings?per_page=10&kind=need", as_="other_company")
    body = first.get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (24, 3, 10)
    links = parse_link_header(first.headers["Link"])
    assert set(links) == {"first", "next", "last"}
    assert links["next"] == {"per_page": ["10"], "kind": ["need"], "page": ["2"]}
    assert links["last"]["page"] == ["3"]
    second = api.get("postings?per_page=10&kind=need&page=2", as_="other_company")
    assert set(parse_link_header(second.headers["Link"])) == {"first", "prev", "next", "last"}
    third = api.get("postings?per_page=10&kind=need&page=3", as_="other_company")
    assert len(third.get_json()["items"]) == 4
    assert set(parse_link_header(third.headers["Link"])) == {"first", "prev", "last"}
    seen = ids_of(first) | ids_of(second) | ids_of(third)
    assert len(seen) == 24
    beyond = api.get("postings?per_page=10&kind=need&page=9", as_="other_company")
    assert beyond.status_code == 200 and beyond.get_json()["items"] == []
    assert parse_link_header(beyond.headers["Link"])["prev"]["page"] == ["3"]


def parse_link_header(header: str) -> dict[str, dict[str, list[str]]]:
    result = {}
    for part in header.split(", "):
        target, rel = part.split("; ")
        url = urlsplit(target.strip("<>"))
        assert url.path == "/api/v1/postings"
        result[rel.removeprefix('rel="').rstrip('"')] = parse_qs(url.query)
    return result


def test_html_is_returned_as_typed(api: Api, session: Session, world: World) -> None:
    title = "<script>alert('x')</script> & <b>Co</b>"
    posting = make_posting(session, world.member_a1, title=title, description="<img src=x>")
    session.commit()
    response = api.get(f"postings/{posting.id}")
    assert response.get_json()["title"] == title
    assert response.get_json()["description"] == "<img src=x>"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    stored = session.get(Posting, posting.id)
    assert stored is not None and stored.title == title
