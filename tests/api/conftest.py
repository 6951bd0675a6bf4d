"""Fixtures of the API tests: a bearer token per persona and a client that sends it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from matchmaker import accounts
from tests.factories import World

PERSONAS = (
    "anonymous",
    "same_company",
    "other_company",
    "manager_same_network",
    "manager_other_network",
    "admin",
)


@dataclass
class Api:
    """The test client, speaking JSON with the bearer token of one persona (None: no token)."""

    client: FlaskClient
    tokens: dict[str, str | None]

    def call(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = "same_company",
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        sent = {"Accept-Language": "en", **(headers or {})}
        token = self.tokens.get(as_) if as_ else None
        if token:
            sent.setdefault("Authorization", f"Bearer {token}")
        if json is not None:
            kwargs["json"] = json
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, **kwargs)


@pytest.fixture
def tokens(session: Session, world: World) -> dict[str, str | None]:
    """One API token for each persona's account; the anonymous persona sends none."""
    result: dict[str, str | None] = {}
    for name, user in world.personas().items():
        result[name] = (
            None if user is None else accounts.create_api_token(session=session, user=user)
        )
    session.commit()
    return result


@pytest.fixture
def api(client: FlaskClient, tokens: dict[str, str | None]) -> Api:
    return Api(client, tokens)


def error_fields(response: TestResponse) -> dict[str, str]:
    """``{field: code}`` of an ``invalid_input`` answer."""
    body = response.get_json()
    assert body["error"] == "invalid_input", body
    return {detail["field"]: detail["code"] for detail in body["details"]}
