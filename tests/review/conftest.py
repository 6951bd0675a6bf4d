"""A stored match between the world's steel need (network A) and a steel offer (network B)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import Match
from tests.factories import World, make_posting

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
}


@pytest.fixture
def steel_match(app: Flask, session: Session, world: World) -> Match:
    """The suggested cross-network match (the app fixture turns matching on)."""
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    match = session.execute(
        select(Match).where(Match.need_id == world.posting_a1.id, Match.offer_id == offer.id)
    ).scalar_one()
    assert match.status == "suggested"
    world.extra["steel_offer"] = offer
    return match


from tests.api.conftest import api, tokens  # noqa: E402, F401  (the API client fixtures)
