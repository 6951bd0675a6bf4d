"""Rules written once: "publicly live" as SQL and for a loaded posting agree; search folds words
with the matching library's umlaut rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock, search
from matchmaker.access import is_live, live_posting_clause
from matchmaker.matching.text import fold as matching_fold
from matchmaker.models import Posting
from tests.factories import World, make_posting


def test_live_clause_and_is_live_agree_on_every_posting(session: Session, world: World) -> None:
    today = clock.today()
    paused = make_posting(session, world.member_a1, title="Pausiertes Angebot Blech")
    paused.status = "paused"
    pending = make_posting(session, world.member_pending, title="Angebot einer neuen Firma")
    session.flush()
    postings = list(session.execute(select(Posting)).scalars())
    live_ids = set(session.execute(select(Posting.id).where(live_posting_clause(today))).scalars())
    assert {p.id for p in postings if is_live(p, today)} == live_ids
    assert world.posting_a1.id in live_ids
    assert {world.draft_a1.id, paused.id, pending.id}.isdisjoint(live_ids)
    # a day after the end of validity the posting is no longer live, in SQL and in Python
    later = world.posting_a1.valid_until + timedelta(days=1)
    assert not is_live(world.posting_a1, later)
    assert world.posting_a1.id not in set(
        session.execute(select(Posting.id).where(live_posting_clause(later))).scalars()
    )


def test_search_folds_umlauts_as_matching_does() -> None:
    for word in ("Kühlung", "Kuehlung", "Straße", "GRÖSSE", "Steuerung"):
        assert search.fold(word) == matching_fold(word)
    assert search.fold("Kühlung") == search.fold("Kuehlung") == "kuhlung"
    assert search.fold("  Café   Crème ") == "cafe creme"


def test_a_posting_is_found_by_either_umlaut_spelling(session: Session, world: World) -> None:
    posting = make_posting(session, world.member_a1, title="Kühlschmierstoff für Drehmaschinen")
    assert posting.search_text.startswith("kuhlschmierstoff")
    for query in ("kuehlschmierstoff", "KÜHLSCHMIERSTOFF", "Kuhlschmierstoff"):
        found = session.execute(
            select(Posting.id).where(
                *[Posting.search_text.like(search.like_pattern(t)) for t in search.terms(query)]
            )
        ).scalars()
        assert posting.id in set(found)
