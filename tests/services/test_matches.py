"""Stored matches: kept current as postings change, retired when they close, visible to the
managers of both companies' networks."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import clock, companies, matches, postings
from matchmaker.access import Actor
from matchmaker.db import make_engine
from matchmaker.errors import NotFound, PermissionDenied
from matchmaker.matching import ENGINE_VERSION
from matchmaker.models import CompanyStatus, Match, Posting, Role, User
from tests.factories import World, make_network, make_posting, make_user

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
}


@pytest.fixture
def index(app: Flask) -> matches.MatchIndex:
    """Matching as the app configures it for the test database."""
    return app.extensions["matchmaker.match_index"]  # type: ignore[no-any-return]


def stored(session: Session) -> list[Match]:
    session.expire_all()
    return list(session.execute(select(Match).order_by(Match.id)).scalars())


def open_pairs(session: Session) -> set[tuple[int, int]]:
    return {(m.need_id, m.offer_id) for m in stored(session) if m.status == "suggested"}


def test_publishing_stores_the_match_with_its_reasons(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    rows = [
        m for m in stored(session) if (m.need_id, m.offer_id) == (world.posting_a1.id, offer.id)
    ]
    assert len(rows) == 1
    match = rows[0]
    assert match.status == "suggested"
    assert index.settings.threshold <= match.score <= 1
    assert match.engine_version == ENGINE_VERSION
    assert {"text_word", "text_char", "concept", "category", "distance"} <= set(match.components)
    explanation = match.explanation
    assert explanation["summary_de"] and explanation["summary_en"]
    shared = {term["term"] for term in explanation["matched_terms"]}
    assert "14301" in shared or any("edelstahl" in t for t in shared)
    # the unrelated logistics offer was not suggested for the steel need
    assert (world.posting_a1.id, world.posting_b1.id) not in open_pairs(session)


def test_only_live_postings_of_approved_companies_are_matched(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    draft = make_posting(session, world.member_b1, publish=False, **STEEL_OFFER)
    session.commit()
    assert open_pairs(session) == set()
    pending_offer = make_posting(session, world.member_pending, **STEEL_OFFER)
    session.commit()
    assert open_pairs(session) == set()
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=draft.id,  # type: ignore[arg-type]
        action="publish",
    )
    session.commit()
    assert open_pairs(session) == {(world.posting_a1.id, draft.id)}
    companies.approve_company(
        session=session,
        actor=Actor.for_user(session, world.manager_a),
        company_id=world.pending_a.id,  # type: ignore[arg-type]
    )
    session.commit()
    assert (world.posting_a1.id, pending_offer.id) in open_pairs(session)


@pytest.mark.parametrize("action", ["withdraw", "fulfil", "pause"])
def test_closing_a_posting_retires_its_matches(
    session: Session, world: World, index: matches.MatchIndex, action: str
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert (world.posting_a1.id, offer.id) in open_pairs(session)
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=offer.id,  # type: ignore[arg-type]
        action=action,
    )
    session.commit()
    assert open_pairs(session) == set()
    retired = [m for m in stored(session) if m.offer_id == offer.id]
    assert retired and all(m.status == "retired" and m.retired_at for m in retired)


def test_expiry_and_suspension_retire_matches(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    postings.expire_postings(session=session, today=clock.today() + timedelta(days=400))
    session.commit()
    assert open_pairs(session) == set()
    postings.renew_posting(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=offer.id,  # type: ignore[arg-type]
    )
    postings.renew_posting(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=world.posting_a1.id,  # type: ignore[arg-type]
    )
    session.commit()
    assert open_pairs(session) == {(world.posting_a1.id, offer.id)}
    companies.suspend_company(
        session=session,
        actor=Actor.for_user(session, world.manager_b),
        company_id=world.company_b1.id,  # type: ignore[arg-type]
        reason="Beiträge offen",
    )
    session.commit()
    assert open_pairs(session) == set()


def test_an_edit_that_no_longer_fits_retires_the_match(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    assert (world.posting_a1.id, offer.id) in open_pairs(session)
    postings.update_posting(
        session=session,
        actor=Actor.for_user(session, world.member_b1),
        posting_id=offer.id,  # type: ignore[arg-type]
        changes={
            "title": "Buchhaltung und Lohnabrechnung für kleine Betriebe",
            "description": "Steuerbüro übernimmt Finanzbuchhaltung, Lohn und Jahresabschluss.",
            "category": "services",
        },
    )
    session.commit()
    assert (world.posting_a1.id, offer.id) not in open_pairs(session)


def test_matches_cross_networks_and_are_visible_to_both_networks_managers(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)  # network B; the need is in A
    session.commit()
    need_id = world.posting_a1.id
    assert need_id is not None and offer.id is not None
    for manager in (world.manager_a, world.manager_b, world.admin):
        rows = matches.matches_for_posting(
            session=session, actor=Actor.for_user(session, manager), posting_id=need_id
        )
        assert [partner.id for _match, partner in rows] == [offer.id]
        rows = matches.matches_for_posting(
            session=session, actor=Actor.for_user(session, manager), posting_id=offer.id
        )
        assert [partner.id for _match, partner in rows] == [need_id]
    for member in (world.member_a1, world.member_b1, world.member_a2):
        with pytest.raises(PermissionDenied):
            matches.matches_for_posting(
                session=session, actor=Actor.for_user(session, member), posting_id=need_id
            )
    elsewhere = make_user(session, Role.MANAGER, networks=[make_network(session, "netz-ost")])
    with pytest.raises(PermissionDenied):
        matches.matches_for_posting(
            session=session, actor=Actor.for_user(session, elsewhere), posting_id=need_id
        )
    with pytest.raises(NotFound):
        matches.matches_for_posting(
            session=session,
            actor=Actor.for_user(session, elsewhere),
            posting_id=world.draft_a1.id,  # type: ignore[arg-type]
        )


def test_rematch_recomputes_and_retires_stale_suggestions(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    before = open_pairs(session)
    stale = Match(
        need_id=world.posting_a1.id,  # type: ignore[arg-type]
        offer_id=world.posting_b1.id,  # type: ignore[arg-type]
        score=0.9,
        components={},
        explanation={},
        engine_version="0",
    )
    session.add(stale)
    session.commit()
    report = matches.rematch_all(session, index)
    session.commit()
    assert report.postings == 3  # the two needs/offers of the world plus the new offer
    assert open_pairs(session) == before
    assert {m.status for m in stored(session) if m.offer_id == world.posting_b1.id} == {"retired"}
    assert all(
        m.engine_version == ENGINE_VERSION for m in stored(session) if m.status == "suggested"
    )
    assert (world.posting_a1.id, offer.id) in before


def test_changes_from_another_process_reach_the_index(
    session: Session, world: World, index: matches.MatchIndex, app: Flask
) -> None:
    index.ensure(session)
    session.commit()
    # another process writes directly (no listener of this process runs)
    other = Session(app.extensions["matchmaker.engine"])
    offer = Posting(
        company_id=world.company_b1.id,  # type: ignore[arg-type]
        kind="offer",
        title=STEEL_OFFER["title"],
        description=STEEL_OFFER["description"],
        category_id=world.posting_a1.category_id,
        postal_code="08523",
        valid_until=clock.today() + timedelta(days=30),
        status="active",
        language="de",
    )
    other.add(offer)
    other.commit()
    offer_id = offer.id
    other.close()
    # the next change in this process ranks against an index that has seen the new offer
    postings.update_posting(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=world.posting_a1.id,  # type: ignore[arg-type]
        changes={"description": "Edelstahlblech 1.4301, 2 mm, 500 kg, Tafeln 1000×2000."},
    )
    session.commit()
    assert (world.posting_a1.id, offer_id) in open_pairs(session)


def test_a_rolled_back_posting_never_becomes_a_candidate(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    phantom = make_posting(session, world.member_b1, **STEEL_OFFER)
    phantom_title = phantom.title
    session.rollback()
    phantom_free = make_posting(
        session,
        world.member_b1,
        kind="offer",
        title="Edelstahlblech 2 mm 1.4301 Reststücke",
        description="Zuschnitte aus 1.4301, 2 mm.",
        category="material",
    )
    session.commit()
    rows = stored(session)
    assert (world.posting_a1.id, phantom_free.id) in {(m.need_id, m.offer_id) for m in rows}
    titles = {session.get(Posting, m.offer_id).title for m in rows}  # type: ignore[union-attr]
    assert phantom_title not in titles


def test_bulk_changes_are_matched_once_at_the_end(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    with matches.deferred(session):
        offer = make_posting(session, world.member_b1, **STEEL_OFFER)
        assert open_pairs(session) == set()  # nothing matched inside the block
    session.commit()
    assert (world.posting_a1.id, offer.id) in open_pairs(session)


def test_without_configured_matching_nothing_is_stored(session: Session, world: World) -> None:
    """Services used on a database no app configured matching for store no matches."""
    bind = session.get_bind()
    unconfigured = make_engine(bind.url.render_as_string(hide_password=False))  # type: ignore[union-attr]
    with Session(unconfigured) as other:
        assert matches.index_for(other) is None
        member = other.get(User, world.member_b1.id)
        assert member is not None
        make_posting(other, member, **STEEL_OFFER)
        other.commit()
    unconfigured.dispose()
    assert stored(session) == []


def test_company_state_changes_reach_matches(
    session: Session, world: World, index: matches.MatchIndex
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    companies.suspend_company(
        session=session,
        actor=Actor.system(),
        company_id=world.company_b1.id,  # type: ignore[arg-type]
        reason="Test",
    )
    session.commit()
    assert open_pairs(session) == set()
    companies.approve_company(
        session=session,
        actor=Actor.system(),
        company_id=world.company_b1.id,  # type: ignore[arg-type]
    )
    session.commit()
    assert open_pairs(session) == {(world.posting_a1.id, offer.id)}
    assert world.company_b1.status == CompanyStatus.APPROVED.value


def test_an_edited_thesaurus_takes_effect_at_the_next_refit(
    session: Session, world: World, tmp_path: Path
) -> None:
    thesaurus = tmp_path / "thesaurus"
    thesaurus.mkdir()
    entry = (
        "concepts:\n"
        "  - id: {id}\n"
        "    label: {{de: Blech, en: sheet}}\n"
        "    de: [Blech]\n"
        "    en: [sheet]\n"
    )
    (thesaurus / "a.yaml").write_text(entry.format(id="sheet_metal"), encoding="utf-8")
    index = matches.MatchIndex(settings=matches.MatchSettings(thesaurus_path=thesaurus))
    first = index.refit(session)
    assert index.refit(session) is first  # unchanged files: the same engine, only refitted
    (thesaurus / "b.yaml").write_text(entry.format(id="plate").replace("Blech", "Platte"), "utf-8")
    os.utime(thesaurus / "b.yaml", (time.time() + 5, time.time() + 5))
    assert index.refit(session) is not first


def test_the_index_refits_after_a_while(session: Session, world: World) -> None:
    index = matches.MatchIndex(settings=matches.MatchSettings())
    index.ensure(session)
    first_fit = index.fitted_at
    assert first_fit is not None
    index.ensure(session)
    assert index.fitted_at == first_fit  # a sync, not a refit
    index.fitted_at = first_fit - matches.REFIT_AFTER - timedelta(minutes=1)
    index.ensure(session)
    assert index.fitted_at is not None and index.fitted_at > first_fit
