"""Side effects through signals: the app factory connects matching, so a posting saved through the
app gets its matches; without a receiver the change is reported, not silently dropped."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import matches, signals
from matchmaker.models import Match
from tests.api.conftest import Api
from tests.factories import World

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
    "publish": True,
}


RECEIVERS = (
    (signals.posting_changed, matches._on_posting_changed),
    (signals.company_reviewed, matches._on_company_changed),
)


def _connected() -> list[bool]:
    return [
        any(receiver is handler for receiver in signal.receivers_for(object()))
        for signal, handler in RECEIVERS
    ]


@pytest.fixture
def unconnected() -> Iterator[None]:
    """Start from a process in which nothing connected the matching service yet."""
    for signal, handler in RECEIVERS:
        signal.disconnect(handler)
    assert _connected() == [False, False]
    yield
    matches.connect_signals()


def test_the_app_factory_connects_matching(unconnected: None, app: Flask) -> None:
    assert _connected() == [True, True]


def test_a_posting_saved_through_the_app_gets_matches(
    unconnected: None, api: Api, world: World, session: Session
) -> None:
    response = api.post("postings", json=STEEL_OFFER, as_="other_company")
    assert response.status_code == 201, response.get_json()
    offer_id = response.get_json()["id"]
    stored = session.execute(select(Match).where(Match.offer_id == offer_id)).scalars().all()
    assert [match.need_id for match in stored] == [world.posting_a1.id]


def test_sending_without_a_receiver_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    lonely = signals._signals.signal("nobody-listens")
    with caplog.at_level(logging.WARNING, logger="matchmaker.signals"):
        signals.send(lonely, object())
    assert "nobody-listens" in caplog.text
    assert "connect_signals" in caplog.text
