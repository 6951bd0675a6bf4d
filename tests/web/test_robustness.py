"""Input that would reach the database in a form it cannot handle is refused before it does."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import World
from tests.helpers import post_form, text_of


@pytest.mark.parametrize(
    "url",
    [
        "/postings?category=%00",
        "/postings?network=%00",
        "/postings?q=abc%00def",
        "/login?next=%00",
    ],
)
def test_nul_characters_are_a_bad_request(client: FlaskClient, world: World, url: str) -> None:
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", ["/postings/99999999999", "/postings/2147483648"])
def test_ids_beyond_the_database_range_are_not_found(
    client: FlaskClient, world: World, url: str
) -> None:
    assert client.get(url).status_code == 404


def test_largest_valid_id_is_an_ordinary_not_found(client: FlaskClient, world: World) -> None:
    assert client.get("/postings/2147483647").status_code == 404


def test_nul_characters_in_the_login_form_are_a_failed_login(
    client: FlaskClient, world: World
) -> None:
    """No stored address contains NUL: the answer is the one of every failed login."""
    client.get("/language/en")
    response = post_form(
        client, "/login", {"email": "member.a1@example.org\x00", "password": "x\x00"}
    )
    assert response.status_code == 401
    assert "E-mail address or password is wrong." in text_of(response)
    assert client.get("/account").status_code == 302


def test_nul_characters_in_the_reset_form_get_the_usual_answer(
    client: FlaskClient, world: World
) -> None:
    response = post_form(client, "/password/forgot", {"email": "a\x00@example.org"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
