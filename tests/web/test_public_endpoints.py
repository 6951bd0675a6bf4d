"""Endpoints that answer everybody alike: health check, API document and API reference."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.factories import World
from tests.helpers import login_as

PERSONAS = (
    "anonymous",
    "same_company",
    "other_company",
    "manager_same_network",
    "manager_other_network",
    "admin",
)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/healthz", "application/json"),
        ("/api/v1/openapi.json", "application/json"),
        ("/api/v1/docs", "text/html"),
    ],
)
def test_public_endpoint_for_persona(
    app: Flask, world: World, persona: str, url: str, content_type: str
) -> None:
    client = login_as(app.test_client(), world.personas()[persona])
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == content_type
    if url == "/healthz":
        body = response.get_json()
        assert body["status"] == "ok"
        assert body["matcher"]["backlog"] == 0  # the test app matches inline, after each commit
        assert {"active", "holder", "heartbeat_at", "heartbeat_age_seconds"} <= set(body["matcher"])
