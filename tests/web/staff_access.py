"""Helpers for the manager and admin page tests: one browser per persona, stored state."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from matchmaker.models import AuditEvent
from tests.factories import World
from tests.helpers import login_as, post_form

PERSONAS = (
    "anonymous",
    "same_company",
    "other_company",
    "manager_same_network",
    "manager_other_network",
    "admin",
)
LOGIN_REDIRECT = 302
ADMIN_ONLY = {
    "anonymous": LOGIN_REDIRECT,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 403,
    "manager_other_network": 403,
    "admin": 200,
}


def client_for(app: Flask, world: World, persona: str) -> FlaskClient:
    """A fresh browser logged in as ``persona`` (anonymous stays logged out)."""
    client = app.test_client()
    login_as(client, world.personas()[persona])
    return client


def status_by_persona(
    app: Flask,
    world: World,
    url: str,
    *,
    method: str = "GET",
    data: dict[str, Any] | None = None,
    personas: tuple[str, ...] = PERSONAS,
) -> dict[str, int]:
    """The status each persona gets for ``url``; compare with the expected dict as a whole."""
    result = {}
    for persona in personas:
        client = client_for(app, world, persona)
        response = client.get(url) if method == "GET" else post_form(client, url, data or {})
        result[persona] = response.status_code
        if response.status_code == LOGIN_REDIRECT:
            assert "/login" in response.headers["Location"], (persona, url)
    return result


def row(session: Session, model: type[SQLModel], key: Any) -> dict[str, Any]:
    """The stored columns of one row, read fresh from the database."""
    session.expire_all()
    found = session.get(model, key)
    assert found is not None
    return found.model_dump()


def audit_count(session: Session) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
