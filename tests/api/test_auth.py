"""Bearer tokens: who may call the API, and what a failed authentication answers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker.db import utcnow
from matchmaker.models import ApiToken, User
from tests.api.conftest import Api
from tests.factories import World
from tests.helpers import login_as


def api_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, URL) of the API proper, with ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            url = re.sub(r"<int\([^)]*\):\w+>", "1", str(rule))
            assert "<" not in url, url
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    return routes


def test_every_endpoint_needs_a_token(app: Flask, api: Api, world: World) -> None:
    routes = api_routes(app)
    assert len(routes) >= 12
    for method, url in routes:
        response = api.call(method, url, as_=None, json={} if method != "GET" else None)
        assert response.status_code == 401, (method, url)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "bearer mm_unknown-token",
        "Bearer mm_" + "x" * 5000,
        "Token abc",
    ],
)
def test_bad_authorization_headers(api: Api, header: str) -> None:
    response = api.get("postings", as_=None, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="matchmaker"')
    assert response.is_json


def test_unknown_token_is_named_invalid(api: Api) -> None:
    response = api.get("postings", as_=None, headers={"Authorization": "Bearer mm_nope"})
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["message"] == "This API token is invalid or has been revoked."


def test_revoked_token_and_deactivated_account(
    api: Api, session: Session, world: World, tokens: dict[str, str | None]
) -> None:
    assert api.get("postings", as_="same_company").status_code == 200
    row = session.exec(select(ApiToken).where(ApiToken.user_id == world.member_a1.id)).one()
    row.revoked_at = utcnow()
    session.add(row)
    session.commit()
    assert api.get("postings", as_="same_company").status_code == 401
    admin = session.get(User, world.admin.id)
    assert admin is not None
    admin.active = False
    session.add(admin)
    session.commit()
    assert api.get("networks", as_="admin").status_code == 401


def test_token_use_is_recorded(api: Api, session: Session, world: World) -> None:
    assert api.get("networks", as_="manager_same_network").status_code == 200
    session.expire_all()
    row = session.exec(select(ApiToken).where(ApiToken.user_id == world.manager_a.id)).one()
    assert row.last_used_at is not None


def test_reads_through_the_api_do_not_write(
    api: Api, engine: Engine, session: Session, world: World
) -> None:
    """The token's last use is written at most once a minute: before, every GET committed an
    UPDATE, so reads on SQLite queued behind each other."""
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    assert api.get("networks", as_="manager_same_network").status_code == 200  # first use
    event.listen(engine, "before_cursor_execute", record)
    try:
        for path in ("networks", "postings", f"postings/{world.posting_a1.id}", "categories"):
            assert api.get(path, as_="manager_same_network").status_code == 200
        assert writes == []
        row = session.exec(select(ApiToken).where(ApiToken.user_id == world.manager_a.id)).one()
        row.last_used_at = utcnow() - timedelta(minutes=2)
        session.add(row)
        session.commit()
        writes.clear()
        assert api.get("networks", as_="manager_same_network").status_code == 200
        assert len(writes) == 1 and "api_token" in writes[0]  # a minute later: recorded again
    finally:
        event.remove(engine, "before_cursor_execute", record)
    session.expire_all()
    row = session.exec(select(ApiToken).where(ApiToken.user_id == world.manager_a.id)).one()
    assert row.last_used_at is not None and utcnow() - row.last_used_at < timedelta(minutes=1)


def test_a_browser_session_does_not_authenticate(client: FlaskClient, world: World) -> None:
    login_as(client, world.admin)
    response = client.get("/api/v1/postings")
    assert response.status_code == 401


def test_document_and_reference_need_no_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_messages_follow_accept_language(api: Api) -> None:
    german = api.get("postings", as_=None, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.get_json()["message"].startswith("Bitte")
    default = api.client.get("/api/v1/postings")
    assert default.get_json()["message"].startswith("Please send an API token")
