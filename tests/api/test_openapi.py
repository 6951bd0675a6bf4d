"""The OpenAPI document and the reference page: valid, complete, served without a token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from matchmaker.api.docs import document
from tests.api.conftest import PERSONAS, Api
from tests.helpers import text_of

DOC_ENDPOINTS = {"api_docs.openapi", "api_docs.docs"}


def documented(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    body: dict[str, Any] = response.get_json()
    return body


def openapi_path(rule: str) -> str:
    """``/api/v1/postings/<int(...):posting_id>`` as OpenAPI writes it."""
    return re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_3(client: FlaskClient) -> None:
    doc = documented(client)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Matchmaker API"
    validate(doc)


def test_every_api_route_is_documented(app: Flask, client: FlaskClient) -> None:
    doc = documented(client)
    routes = set()
    for rule in app.url_map.iter_rules():
        if not str(rule).startswith("/api/v1") or rule.endpoint in DOC_ENDPOINTS:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.add((openapi_path(str(rule)), method.lower()))
    operations = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == operations
    assert len(routes) >= 13
    assert all(path.startswith("/api/v1/") for path, _ in operations)


def test_every_operation_is_described(client: FlaskClient) -> None:
    doc = documented(client)
    seen_ids = set()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"bearer": []}], (path, method)
            assert operation["summary"] and operation["tags"], (path, method)
            assert operation["operationId"] not in seen_ids
            seen_ids.add(operation["operationId"])
            responses = operation["responses"]
            assert "401" in responses and "422" in responses
            assert any(code.startswith("2") for code in responses)
            error = responses["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}
            if "{" in path:
                assert "404" in responses, (path, method)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_optional_bodies_are_marked_optional(client: FlaskClient) -> None:
    paths = documented(client)["paths"]
    assert paths["/api/v1/postings"]["post"]["requestBody"]["required"] is True
    assert (
        paths["/api/v1/postings/{posting_id}/withdraw"]["post"]["requestBody"]["required"] is False
    )
    assert paths["/api/v1/postings/{posting_id}"]["patch"]["requestBody"]["required"] is False


def test_models_in_the_document(client: FlaskClient) -> None:
    schemas = documented(client)["components"]["schemas"]
    posting = schemas["PostingPublic"]
    assert set(posting["required"]) >= {"id", "kind", "title", "status", "company", "links"}
    assert posting["properties"]["valid_until"]["format"] == "date"
    assert posting["properties"]["created_at"]["format"] == "date-time"
    assert schemas["PostingKind"]["enum"] == ["need", "offer"]
    assert schemas["PostingCreate"]["additionalProperties"] is False
    assert schemas["PostingUpdate"].get("required") is None
    assert "default" not in schemas["PostingUpdate"]["properties"]["title"]


def test_reference_page_lists_every_operation(app: Flask, client: FlaskClient) -> None:
    client.get("/language/en")
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = text_of(response)
    with app.app_context():
        doc = document()
    for item in doc["paths"].values():
        for operation in item.values():
            assert f'id="op-{operation["operationId"]}"' in page
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "Authorization: Bearer &lt;token&gt;" in page
    assert "<script" not in page
    assert ' style="' not in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", "#", "http://localhost/")), url


def test_reference_page_follows_the_web_language(client: FlaskClient) -> None:
    page = text_of(client.get("/api/v1/docs"))
    assert "Fehler" in page  # German by default, like every page
    client.get("/language/en")
    assert "Errors" in text_of(client.get("/api/v1/docs"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_document_and_page_for_every_persona(api: Api, persona: str) -> None:
    """Tokens are neither needed nor checked here: a bad one does not hide the document."""
    for path in ("/api/v1/openapi.json", "/api/v1/docs"):
        assert api.get(path, as_=persona).status_code == 200
        assert api.get(path, as_=None, headers={"Authorization": "Bearer nope"}).status_code == 200
