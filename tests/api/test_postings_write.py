"""Creating and editing postings through the API: rights, bad input, concurrency."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import clock
from matchmaker.config import Settings
from matchmaker.models import AuditEvent, Posting, PostingStatus
from tests.api.conftest import PERSONAS, Api, error_fields
from tests.factories import World
from tests.helpers import drain_after_requests, sent_mails

NEW: dict[str, Any] = {
    "kind": "offer",
    "title": "Freie Kapazität Laserschneiden",
    "description": "TRUMPF 3030, Blech bis 12 mm, ab sofort.",
    "category": "production_capacity",
}


def stored(session: Session) -> list[tuple[Any, ...]]:
    """Every posting's stored state plus the number of audit events: what must not change."""
    session.expire_all()
    rows = session.execute(select(Posting).order_by(Posting.id)).scalars().all()
    events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return [p.model_dump() for p in rows] + [events]  # type: ignore[list-item]


CREATE_STATUS = {
    "anonymous": 401,
    "same_company": 201,
    "other_company": 201,
    "manager_same_network": 403,
    "manager_other_network": 403,
    "admin": 422,  # admins must name the company
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_per_persona(api: Api, session: Session, world: World, persona: str) -> None:
    before = stored(session)
    response = api.post("postings", as_=persona, json=NEW)
    assert response.status_code == CREATE_STATUS[persona]
    assert response.is_json
    if response.status_code != 201:
        assert stored(session) == before
        return
    body = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/postings/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    user = world.personas()[persona]
    assert user is not None
    assert body["company"]["id"] == user.company_id
    assert body["status"] == "draft"
    assert body["valid_until"] == (clock.today() + timedelta(days=56)).isoformat()
    posting = session.get(Posting, body["id"])
    assert posting is not None and posting.title == NEW["title"]


def test_admin_posts_for_a_named_company(api: Api, session: Session, world: World) -> None:
    response = api.post(
        "postings", as_="admin", json={**NEW, "company_id": world.company_b1.id, "publish": True}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["company"]["id"], body["status"]) == (world.company_b1.id, "active")
    assert body["published_at"] is not None
    unknown = api.post("postings", as_="admin", json={**NEW, "company_id": 999999})
    assert unknown.status_code == 422
    assert error_fields(unknown) == {"company_id": "unknown_company"}


def test_members_post_only_for_their_own_company(api: Api, session: Session, world: World) -> None:
    before = stored(session)
    response = api.post("postings", json={**NEW, "company_id": world.company_b1.id})
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert stored(session) == before
    own = api.post("postings", json={**NEW, "company_id": world.company_a1.id, "publish": True})
    assert own.status_code == 201 and own.get_json()["status"] == "active"


def test_create_with_every_field(api: Api, session: Session, world: World) -> None:
    today = clock.today()
    response = api.post(
        "postings",
        json={
            **NEW,
            "quantity": 120,
            "unit": "hour",
            "postal_code": "99084",
            "radius_km": 80,
            "available_from": (today + timedelta(days=3)).isoformat(),
            "available_until": (today + timedelta(days=30)).isoformat(),
            "valid_until": (today + timedelta(days=20)).isoformat(),
            "language": "en",
            "publish": False,
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["quantity"], body["unit"], body["postal_code"], body["radius_km"]) == (
        120.0,
        "hour",
        "99084",
        80,
    )
    assert body["valid_until"] == (today + timedelta(days=20)).isoformat()
    assert body["language"] == "en"


def _today(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


# (fields sent on top of NEW, expected {field: code})
BAD_INPUT: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"title": "x" * 121}, {"title": "too_long"}),
    ({"title": ""}, {"title": "too_short"}),
    ({"title": "   "}, {"title": "too_short"}),
    ({"title": "Zwei\nZeilen"}, {"title": "single_line"}),
    ({"title": "Steuer\x07zeichen"}, {"title": "control_characters"}),
    ({"title": 12345}, {"title": "string_type"}),
    ({"title": None}, {"title": "string_type"}),
    ({"description": "x" * 5001}, {"description": "too_long"}),
    ({"category": ""}, {"category": "too_short"}),
    ({"category": "nonsense"}, {"category": "unknown_category"}),
    ({"kind": "swap"}, {"kind": "enum"}),
    ({"kind": None}, {"kind": "enum"}),
    ({"unit": "barrel", "quantity": 3}, {"unit": "enum"}),
    ({"language": "fr"}, {"language": "enum"}),
    ({"postal_code": "1234"}, {"postal_code": "postal_code"}),
    ({"postal_code": "D-07745"}, {"postal_code": "postal_code"}),
    ({"postal_code": 7745}, {"postal_code": "string_type"}),
    ({"quantity": 0, "unit": "kg"}, {"quantity": "greater_than"}),
    ({"quantity": -1, "unit": "kg"}, {"quantity": "greater_than"}),
    ({"quantity": "viel", "unit": "kg"}, {"quantity": "float_parsing"}),
    ({"quantity": 5}, {"unit": "unit_without_quantity"}),
    ({"unit": "kg"}, {"unit": "unit_without_quantity"}),
    ({"radius_km": 0}, {"radius_km": "greater_than_equal"}),
    ({"radius_km": 1001}, {"radius_km": "less_than_equal"}),
    ({"radius_km": 2.5}, {"radius_km": "int_from_float"}),
    ({"radius_km": 10**40}, {"radius_km": "less_than_equal"}),
    (
        {"available_from": "2030-02-01", "available_until": "2030-01-01"},
        {"available_until": "date_order"},
    ),
    ({"available_from": "1.2.2030"}, {"available_from": "date_from_datetime_parsing"}),
    ({"available_from": "2030-02-30"}, {"available_from": "date_from_datetime_parsing"}),
    ({"valid_until": "2000-01-01"}, {"valid_until": "date_past"}),
    ({"valid_until": "2999-01-01"}, {"valid_until": "validity_too_long"}),
    ({"publish": "vielleicht"}, {"publish": "bool_parsing"}),
    ({"company_id": "eins"}, {"company_id": "int_parsing"}),
    ({"company_id": 2**40}, {"company_id": "less_than_equal"}),
    ({"colour": "red"}, {"colour": "extra_forbidden"}),
    ({"status": "active"}, {"status": "extra_forbidden"}),
    ({"title": "abc\ud800def"}, {"title": "string_unicode"}),
]


@pytest.mark.parametrize(("fields", "errors"), BAD_INPUT)
def test_bad_input_answers_422_per_field(
    api: Api, session: Session, world: World, fields: dict[str, Any], errors: dict[str, str]
) -> None:
    before = stored(session)
    response = api.post("postings", json={**NEW, **fields})
    assert response.status_code == 422
    assert error_fields(response) == errors
    body = response.get_json()
    assert body["message"] == "Please correct the marked fields."
    assert all(detail["message"] for detail in body["details"])
    assert stored(session) == before


def test_missing_fields_are_all_reported(api: Api, session: Session, world: World) -> None:
    response = api.post("postings", json={})
    assert error_fields(response) == {"kind": "missing", "title": "missing", "category": "missing"}
    assert {d["message"] for d in response.get_json()["details"]} == {"This field is required."}


def test_messages_are_translated(api: Api, world: World) -> None:
    response = api.post(
        "postings", json={**NEW, "title": "x" * 121}, headers={"Accept-Language": "de"}
    )
    assert (
        response.get_json()["details"][0]["message"] == "Bitte geben Sie höchstens 120 Zeichen ein."
    )


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"kind": "need", ', "application/json", 400, "malformed_json"),
        (b"\xff\xfe\x00garbage", "application/json", 400, "malformed_json"),
        (b"[1, 2]", "application/json", 400, "malformed_json"),
        (b'"text"', "application/json", 400, "malformed_json"),
        (b"null", "application/json", 400, "malformed_json"),
        (b"kind=need&title=Hallo+Welt", "application/x-www-form-urlencoded", 415, None),
        (b'{"kind": "need"}', "text/plain", 415, None),
        (b"", "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_bodies_that_are_not_json_objects(
    api: Api,
    session: Session,
    world: World,
    body: bytes,
    content_type: str,
    status: int,
    code: str | None,
) -> None:
    before = stored(session)
    for path in ("postings", f"postings/{world.posting_a1.id}"):
        method = "POST" if path == "postings" else "PATCH"
        response = api.call(method, path, data=body, content_type=content_type)
        assert response.status_code == status, (path, response.get_json())
        assert response.is_json
        assert response.get_json()["error"] == (code or "unsupported_media_type")
    assert stored(session) == before


def test_html_and_script_are_stored_as_typed(api: Api, session: Session, world: World) -> None:
    title = "<script>alert(1)</script>"
    description = '<img src=x onerror="alert(2)"> & </textarea>'
    response = api.post("postings", json={**NEW, "title": title, "description": description})
    assert response.status_code == 201
    posting = session.get(Posting, response.get_json()["id"])
    assert posting is not None
    assert (posting.title, posting.description) == (title, description)
    again = api.get(f"postings/{posting.id}").get_json()
    assert (again["title"], again["description"]) == (title, description)


# --- PATCH --------------------------------------------------------------------------------

# persona: (posting_a1, draft_a1)
PATCH_STATUS = {
    "anonymous": (401, 401),
    "same_company": (200, 200),
    "other_company": (403, 404),
    "manager_same_network": (403, 403),
    "manager_other_network": (403, 404),
    "admin": (200, 200),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_patch_per_persona(api: Api, session: Session, world: World, persona: str) -> None:
    for index, posting in enumerate((world.posting_a1, world.draft_a1)):
        before = stored(session)
        response = api.patch(
            f"postings/{posting.id}", as_=persona, json={"title": "Neuer Titel der Anzeige"}
        )
        expected = PATCH_STATUS[persona][index]
        assert response.status_code == expected
        if expected == 200:
            body = response.get_json()
            assert body["title"] == "Neuer Titel der Anzeige"
            assert body["version"] == posting.version + 1
            assert response.headers["ETag"] == f'"{posting.version + 1}"'
        else:
            assert stored(session) == before


def test_patch_changes_only_what_is_sent(api: Api, session: Session, world: World) -> None:
    posting = world.posting_a1
    version = posting.version
    response = api.patch(
        f"postings/{posting.id}", json={"quantity": 500, "unit": "kg", "radius_km": 30}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["quantity"], body["unit"], body["radius_km"]) == (500.0, "kg", 30)
    assert body["title"] == posting.title and body["description"] == posting.description
    cleared = api.patch(
        f"postings/{posting.id}", json={"quantity": None, "unit": None, "radius_km": None}
    )
    assert cleared.status_code == 200
    body = cleared.get_json()
    assert (body["quantity"], body["unit"], body["radius_km"]) == (None, None, None)
    session.expire_all()
    row = session.get(Posting, posting.id)
    assert row is not None and row.quantity is None and row.version == version + 2


def test_patch_without_changes_keeps_the_version(api: Api, world: World) -> None:
    posting = world.posting_a1
    response = api.patch(f"postings/{posting.id}", json={"title": posting.title})
    assert response.status_code == 200
    assert response.get_json()["version"] == posting.version
    empty = api.patch(f"postings/{posting.id}", json={})
    assert empty.status_code == 200 and empty.get_json()["version"] == posting.version


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": None}, {"title": "string_type"}),
        ({"title": "kurz"}, {"title": "too_short"}),
        ({"kind": "swap"}, {"kind": "enum"}),
        ({"category": "nonsense"}, {"category": "unknown_category"}),
        ({"quantity": 5}, {"unit": "unit_without_quantity"}),
        (
            {"available_from": "2030-02-01", "available_until": "2030-01-01"},
            {"available_until": "date_order"},
        ),
        ({"postal_code": "0774"}, {"postal_code": "postal_code"}),
        ({"id": 5}, {"id": "extra_forbidden"}),
        ({"status": "withdrawn"}, {"status": "extra_forbidden"}),
        ({"version": "neu"}, {"version": "int_parsing"}),
    ],
)
def test_patch_bad_input(
    api: Api, session: Session, world: World, fields: dict[str, Any], errors: dict[str, str]
) -> None:
    before = stored(session)
    response = api.patch(f"postings/{world.posting_a1.id}", json=fields)
    assert response.status_code == 422
    assert error_fields(response) == errors
    assert stored(session) == before


def test_patch_checks_the_window_against_stored_dates(
    api: Api, session: Session, world: World
) -> None:
    posting = world.posting_a1
    assert (
        api.patch(f"postings/{posting.id}", json={"available_until": "2030-03-01"}).status_code
        == 200
    )
    before = stored(session)
    response = api.patch(f"postings/{posting.id}", json={"available_from": "2030-04-01"})
    assert response.status_code == 422
    assert error_fields(response) == {"available_until": "date_order"}
    assert stored(session) == before


def test_if_match_guards_against_lost_updates(api: Api, session: Session, world: World) -> None:
    path = f"postings/{world.posting_a1.id}"
    etag = api.get(path).headers["ETag"]
    first = api.patch(path, json={"title": "Erste Änderung"}, headers={"If-Match": etag})
    assert first.status_code == 200
    before = stored(session)
    second = api.patch(path, json={"title": "Zweite Änderung"}, headers={"If-Match": etag})
    assert second.status_code == 412
    assert second.get_json()["error"] == "precondition_failed"
    assert stored(session) == before
    for header in ('"abc"', 'W/"1", "2"', ""):
        response = api.patch(path, json={"title": "Dritte"}, headers={"If-Match": header})
        assert response.status_code == 412
    assert stored(session) == before
    current = first.headers["ETag"]
    third = api.patch(path, json={"title": "Dritte Änderung"}, headers={"If-Match": current})
    assert third.status_code == 200
    star = api.patch(path, json={"title": "Vierte Änderung"}, headers={"If-Match": "*"})
    assert star.status_code == 200


def test_version_in_the_body_answers_409(api: Api, session: Session, world: World) -> None:
    path = f"postings/{world.posting_a1.id}"
    version = world.posting_a1.version
    assert api.patch(path, json={"title": "Erste Änderung", "version": version}).status_code == 200
    before = stored(session)
    stale = api.patch(path, json={"title": "Zweite Änderung", "version": version})
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "stale_version"
    assert stored(session) == before


def test_if_match_does_not_reveal_hidden_postings(api: Api, world: World) -> None:
    response = api.patch(
        f"postings/{world.draft_a1.id}",
        as_="other_company",
        json={"title": "Fremde Änderung"},
        headers={"If-Match": '"99"'},
    )
    assert response.status_code == 404


def test_closed_postings_cannot_be_edited(api: Api, session: Session, world: World) -> None:
    path = f"postings/{world.posting_a1.id}"
    assert api.post(f"{path}/withdraw").status_code == 200
    before = stored(session)
    response = api.patch(path, json={"title": "Zu spät geändert"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert stored(session) == before


# --- lifecycle ----------------------------------------------------------------------------

# action -> persona -> (status for posting_a1 (active), status for draft_a1 (draft))
ACTION_STATUS: dict[str, dict[str, tuple[int, int]]] = {
    "publish": {
        "anonymous": (401, 401),
        "same_company": (409, 200),
        "other_company": (403, 404),
        "manager_same_network": (403, 403),
        "manager_other_network": (403, 404),
        "admin": (409, 200),
    },
    "pause": {
        "anonymous": (401, 401),
        "same_company": (200, 409),
        "other_company": (403, 404),
        "manager_same_network": (200, 409),
        "manager_other_network": (403, 404),
        "admin": (200, 409),
    },
    "resume": {
        "anonymous": (401, 401),
        "same_company": (409, 409),
        "other_company": (403, 404),
        "manager_same_network": (403, 403),
        "manager_other_network": (403, 404),
        "admin": (409, 409),
    },
    "fulfil": {
        "anonymous": (401, 401),
        "same_company": (200, 409),
        "other_company": (403, 404),
        "manager_same_network": (403, 403),
        "manager_other_network": (403, 404),
        "admin": (200, 409),
    },
    "withdraw": {
        "anonymous": (401, 401),
        "same_company": (200, 200),
        "other_company": (403, 404),
        "manager_same_network": (200, 200),
        "manager_other_network": (403, 404),
        "admin": (200, 200),
    },
    "renew": {
        "anonymous": (401, 401),
        "same_company": (200, 409),
        "other_company": (403, 404),
        "manager_same_network": (403, 403),
        "manager_other_network": (403, 404),
        "admin": (200, 409),
    },
}
TARGET = {
    "publish": "active",
    "pause": "paused",
    "resume": "active",
    "fulfil": "fulfilled",
    "withdraw": "withdrawn",
    "renew": "active",
}


@pytest.mark.parametrize("action", sorted(ACTION_STATUS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_lifecycle_per_persona(
    api: Api, session: Session, world: World, action: str, persona: str
) -> None:
    # A pause or withdrawal by a manager or admin is moderation and needs a reason (see below).
    payload = (
        {"reason": "Verstößt gegen die Regeln des Netzwerks"} if action in MODERATION else None
    )
    for index, posting in enumerate((world.posting_a1, world.draft_a1)):
        before = stored(session)
        response = api.post(f"postings/{posting.id}/{action}", as_=persona, json=payload)
        expected = ACTION_STATUS[action][persona][index]
        assert response.status_code == expected, (posting.title, response.get_json())
        assert response.is_json
        if expected == 200:
            body = response.get_json()
            assert body["status"] == TARGET[action]
            assert body["version"] == posting.version + 1
            session.expire_all()
            row = session.get(Posting, posting.id)
            assert row is not None and row.status == TARGET[action]
        else:
            assert stored(session) == before


MODERATION = ("pause", "withdraw")


@pytest.mark.parametrize("action", MODERATION)
@pytest.mark.parametrize("persona", ["manager_same_network", "admin"])
def test_moderation_through_the_api_needs_a_reason_and_tells_the_company(
    app: Flask,
    api: Api,
    session: Session,
    world: World,
    settings: Settings,
    action: str,
    persona: str,
) -> None:
    """Before, the API paused or withdrew with no reason and no notice; the page did both."""
    drain_after_requests(app)
    path = f"postings/{world.posting_a1.id}/{action}"
    before = stored(session)
    for body in (None, {}, {"reason": "   "}):
        refused = api.post(path, as_=persona, json=body)
        assert refused.status_code == 422, body
        assert error_fields(refused) == {"reason": "missing"}
    assert stored(session) == before and sent_mails(settings.instance_path) == []
    response = api.post(path, as_=persona, json={"reason": "Doppelt eingestellt"})
    assert response.status_code == 200
    mails = sent_mails(settings.instance_path)
    members = {m.email for m in world.company_a1.members if m.active}
    assert {mail["To"].addresses[0].addr_spec for mail in mails} == members
    assert all("Doppelt eingestellt" in mail.get_body(("plain",)).get_content() for mail in mails)


def test_a_member_pauses_its_own_posting_without_a_reason_or_notice(
    app: Flask, api: Api, world: World, settings: Settings
) -> None:
    drain_after_requests(app)
    response = api.post(f"postings/{world.posting_a1.id}/pause", as_="same_company")
    assert response.status_code == 200
    assert sent_mails(settings.instance_path) == []


def test_withdraw_reason_is_audited(api: Api, session: Session, world: World) -> None:
    response = api.post(
        f"postings/{world.posting_a1.id}/withdraw",
        as_="manager_same_network",
        json={"reason": "Doppelt eingestellt"},
    )
    assert response.status_code == 200
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "posting.withdraw")
    ).scalar_one()
    assert event.changes["reason"] == "Doppelt eingestellt"
    assert event.actor_id == world.manager_a.id


def test_lifecycle_bad_bodies(api: Api, session: Session, world: World) -> None:
    before = stored(session)
    path = f"postings/{world.posting_a1.id}"
    assert error_fields(api.post(f"{path}/pause", json={"reason": 5})) == {"reason": "string_type"}
    assert error_fields(api.post(f"{path}/pause", json={"reason": "x" * 2001})) == {
        "reason": "too_long"
    }
    assert error_fields(api.post(f"{path}/pause", json={"why": "x"})) == {"why": "extra_forbidden"}
    assert error_fields(api.post(f"{path}/renew", json={"valid_until": "2000-01-01"})) == {
        "valid_until": "date_past"
    }
    assert error_fields(api.post(f"{path}/renew", json={"valid_until": "morgen"})) == {
        "valid_until": "date_from_datetime_parsing"
    }
    assert stored(session) == before


def test_renew_extends_and_revives(api: Api, session: Session, world: World) -> None:
    posting = session.get(Posting, world.posting_a1.id)
    assert posting is not None
    posting.status = PostingStatus.EXPIRED.value
    posting.valid_until = clock.today() - timedelta(days=1)
    session.add(posting)
    session.commit()
    target = clock.today() + timedelta(days=10)
    response = api.post(f"postings/{posting.id}/renew", json={"valid_until": target.isoformat()})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["valid_until"]) == ("active", target.isoformat())


def test_publish_after_validity_ended_is_a_conflict(
    api: Api, session: Session, world: World
) -> None:
    draft = session.get(Posting, world.draft_a1.id)
    assert draft is not None
    draft.valid_until = date(2020, 1, 1)
    session.add(draft)
    session.commit()
    response = api.post(f"postings/{draft.id}/publish")
    assert response.status_code == 409
