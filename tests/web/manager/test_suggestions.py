"""The suggested matches on the manager's posting page."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from tests.factories import World, make_posting
from tests.helpers import login_as, text_of

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
}


def test_managers_see_suggestions_with_their_reasons(
    app: Flask, session: Session, world: World
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    client = login_as(app.test_client(), world.manager_a)
    client.get("/language/en")
    page = text_of(client.get(f"/manage/postings/{world.posting_a1.id}"))
    assert "Suggested matches" in page
    assert STEEL_OFFER["title"] in page
    # the partner is in network B: manager A is sent to its public page
    assert f'href="/postings/{offer.id}"' in page
    assert "shared words" in page or "Concepts" in page
    other = login_as(app.test_client(), world.manager_b)
    page_b = text_of(other.get(f"/manage/postings/{offer.id}"))
    assert world.posting_a1.title in page_b
    assert f'href="/postings/{world.posting_a1.id}"' in page_b


def test_no_suggestions_are_explained(app: Flask, world: World) -> None:
    client = login_as(app.test_client(), world.admin)
    client.get("/language/en")
    page = text_of(client.get(f"/manage/postings/{world.draft_a1.id}"))
    assert "No suggestions for this posting at the moment." in page


def test_german_page_shows_the_german_reasons(app: Flask, session: Session, world: World) -> None:
    make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    client = login_as(app.test_client(), world.manager_a)
    page = text_of(client.get(f"/manage/postings/{world.posting_a1.id}"))
    assert "Vorgeschlagene Treffer" in page
    assert "gemeinsame Wörter" in page or "Begriffe passen" in page
