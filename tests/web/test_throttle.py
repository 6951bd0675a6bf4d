"""Login and password-reset throttles, with counters in memory and in a real Redis server.

Every test uses addresses and e-mails of its own, so that counters left in Redis by an earlier
run (or another checkout) cannot change its outcome.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.app import create_app
from matchmaker.config import Settings
from matchmaker.models import Role
from tests.factories import PASSWORD, World, make_user
from tests.helpers import post_form, text_of

REDIS_ENV = "MATCHMAKER_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def _redis_url() -> str:
    url = os.environ.get(REDIS_ENV, REDIS_DEFAULT)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis server at {url} (set {REDIS_ENV})")
    return url


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "memory" else _redis_url()


Throttled = Callable[..., Flask]


@pytest.fixture
def throttled_app(settings: Settings, engine: Engine, storage: str) -> Throttled:
    """An app with the given limits, counting in the storage of the test's parameter."""

    def build(**limits: str) -> Flask:
        return create_app(
            settings.model_copy(update={"redis_url": storage, **limits}), engine=engine
        )

    return build


def _address() -> str:
    """A client address no other run used."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def _unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex}@example.org"


def _login(client: FlaskClient, email: str, password: str, address: str) -> Any:
    return post_form(
        client,
        "/login",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_from_one_address_throttle_that_address_only(
    throttled_app: Throttled, session: Session, world: World
) -> None:
    app = throttled_app(login_rate_limit="3 per minute")
    owner = make_user(session, Role.MEMBER, company=world.company_a1, email=_unknown_email())
    session.commit()
    attacker, home = _address(), _address()
    client = app.test_client()
    client.get("/language/en")
    for email in (owner.email, _unknown_email()):  # known and unknown addresses alike
        for _ in range(3):
            assert _login(client, email, "wrong password!", attacker).status_code == 401
        throttled = _login(client, email, PASSWORD, attacker)
        assert throttled.status_code == 429
        assert "Too many failed attempts" in text_of(throttled)
        assert 0 < int(throttled.headers["Retry-After"]) <= 60
    response = _login(app.test_client(), owner.email, PASSWORD, home)
    assert response.status_code == 302 and response.headers["Location"] == "/my/"


def test_failures_on_one_account_from_many_addresses_are_throttled(
    throttled_app: Throttled, world: World
) -> None:
    app = throttled_app(login_rate_limit="10 per minute", login_account_rate_limit="4 per hour")
    email = _unknown_email()
    for _ in range(4):
        client = app.test_client()
        assert _login(client, email, "wrong password!", _address()).status_code == 401
    assert _login(app.test_client(), email, "wrong password!", _address()).status_code == 429


def test_failures_on_many_accounts_from_one_address_are_throttled(
    throttled_app: Throttled, world: World
) -> None:
    app = throttled_app(login_address_rate_limit="4 per minute")
    client, address = app.test_client(), _address()
    for _ in range(4):
        assert _login(client, _unknown_email(), "wrong password!", address).status_code == 401
    assert _login(client, _unknown_email(), "wrong password!", address).status_code == 429
    assert _login(client, _unknown_email(), "wrong password!", _address()).status_code == 401


def test_successful_logins_do_not_count(
    throttled_app: Throttled, session: Session, world: World
) -> None:
    app = throttled_app(login_rate_limit="2 per minute", login_address_rate_limit="2 per minute")
    address = _address()
    for _ in range(4):
        response = _login(app.test_client(), world.member_a1.email, PASSWORD, address)
        assert response.status_code == 302


def test_password_reset_requests_are_throttled(
    throttled_app: Throttled, world: World, settings: Settings
) -> None:
    app = throttled_app(login_rate_limit="2 per minute")
    client, address = app.test_client(), _address()
    client.get("/language/en")
    email = _unknown_email()
    for _ in range(2):
        response = post_form(
            client, "/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": address}
        )
        assert response.status_code == 302
    throttled = post_form(
        client, "/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": address}
    )
    assert throttled.status_code == 429
    assert "Too many requests for a new password" in text_of(throttled)
    assert "Retry-After" in throttled.headers
