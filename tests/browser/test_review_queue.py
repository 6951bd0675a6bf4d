"""The review queue in a real browser: working through it with the keyboard, no full reloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import Match
from tests.browser.conftest import Browsing
from tests.browser.steps import log_in
from tests.factories import World, make_posting
from tests.review.conftest import STEEL_OFFER

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect


def test_a_manager_works_through_the_queue_with_the_keyboard(
    browsing: Browsing, session: Session, world: World
) -> None:
    make_posting(session, world.member_b1, **STEEL_OFFER)
    make_posting(
        session,
        world.member_a2,
        kind="offer",
        title="Edelstahlblech 1.4301 2 mm, 300 kg Reststücke",
        description="Blech 1.4301, 2 mm, Zuschnitte.",
        category="material",
    )
    session.commit()
    ids = list(
        session.execute(
            select(Match.id)
            .where(Match.need_id == world.posting_a1.id)
            .order_by(Match.score.desc())
        ).scalars()
    )
    assert len(ids) == 2
    page = browsing.new_page()
    log_in(page, world.manager_a.email)
    expect(page.locator("#review-count strong")).to_have_text("2")
    page.locator("#review-count").click()
    page.wait_for_url("**/manager/matches")
    browsing.screenshot(page, "review-queue")
    page.evaluate("window.__notReloaded = true")
    first, second = (page.locator(f"#match-{i}") for i in ids)
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("a")  # approve the first
    expect(first.locator(".match-status")).to_have_attribute("data-status", "approved")
    expect(second).to_be_focused()  # on to the next entry
    page.keyboard.press("r")  # reject: the reason comes first
    reason = second.locator("select[name=reason]")
    expect(reason).to_be_focused()
    page.keyboard.press("ArrowDown")  # "wrong category"
    page.keyboard.press("Escape")
    expect(second).to_be_focused()
    page.keyboard.press("r")
    expect(second.locator(".match-status")).to_have_attribute("data-status", "rejected")
    assert page.evaluate("window.__notReloaded") is True  # no full reload
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_have_attribute("open", "")
    browsing.screenshot(page, "review-queue-decided")
    session.expire_all()
    stored = {i: session.get(Match, i) for i in ids}
    assert stored[ids[0]].status == "approved"  # type: ignore[union-attr]
    assert stored[ids[1]].status == "rejected"  # type: ignore[union-attr]
    assert stored[ids[1]].reject_reason == "wrong_category"  # type: ignore[union-attr]


def test_the_statistics_page_draws_its_charts_without_scripts_or_third_parties(
    browsing: Browsing, session: Session, world: World
) -> None:
    make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    page = browsing.new_page()
    log_in(page, world.admin.email)
    page.goto("/manager/statistics/")
    expect(page.locator("#figure-funnel svg")).to_be_visible()
    expect(page.locator("#figure-imbalance svg rect")).to_have_count(2)  # material, logistics
    browsing.screenshot(page, "statistics")
