"""Every response carries the security headers: pages, error pages, the API, static files."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from matchmaker.security_headers import HEADERS


@pytest.mark.parametrize(
    "url", ["/", "/healthz", "/no-such-page", "/api/v1/no-such-thing", "/static/favicon.svg"]
)
def test_every_response_has_the_security_headers(client: FlaskClient, url: str) -> None:
    response = client.get(url, buffered=True)  # a static file is streamed: read it whole
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (url, name)
    assert "script-src 'self'" in HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in HEADERS["Content-Security-Policy"]
