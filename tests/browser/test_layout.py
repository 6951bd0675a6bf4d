"""The main pages on a phone (375×667, touch) and on a desktop (1280×800).

On a phone nothing may scroll sideways, the header's links must be on screen and big enough to tap
(WCAG 2.2 target size: 24×24 CSS pixels), and the forms must fit and work by touch. Every page is
photographed (full page) into the test's folder and into ``$MATCHMAKER_SCREENSHOT_DIR`` if set, so
a person can look at them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Browsing
from tests.browser.steps import horizontal_overflow, log_in, log_out
from tests.factories import World

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect

MIN_TARGET = 24  # CSS pixels

_TARGETS_JS = """(selector) => Array.from(document.querySelectorAll(selector))
    .filter((el) => el.getClientRects().length > 0 && !el.closest('.skip-link'))
    .map((el) => {
        const box = el.getBoundingClientRect();
        return {
            text: (el.textContent || el.getAttribute('aria-label') || el.id || '').trim(),
            tag: el.tagName.toLowerCase(), type: el.type || '',
            left: box.left, right: box.right, width: box.width, height: box.height,
            // what a tap on its middle would hit: the element itself, or something covering it
            onTop: el.contains(document.elementFromPoint(
                box.left + box.width / 2, box.top + box.height / 2)),
        };
    })"""


def _targets(page: sync_api.Page, selector: str) -> list[dict[str, Any]]:
    return list(page.evaluate(_TARGETS_JS, selector))


def _check_page(page: sync_api.Page, browsing: Browsing, device: str, name: str) -> None:
    """No sideways scrolling; header links and form fields inside the screen, big enough."""
    page.wait_for_load_state("load")
    browsing.screenshot(page, f"{device}-{name}")
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert horizontal_overflow(page) == 0, f"{name}: wider than the {device} screen"
    links = _targets(page, "header.site-header a, header.site-header button")
    assert links, name
    for link in links:
        assert link["left"] >= 0 and link["right"] <= width, (name, link)
        assert link["height"] >= MIN_TARGET and link["width"] >= MIN_TARGET, (name, link)
        assert link["onTop"], (name, link)
    for field in _targets(page, "main :is(input, select, textarea, button, [role=button])"):
        if field["type"] == "hidden":
            continue
        assert field["left"] >= 0 and field["right"] <= width, (name, field)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_main_pages_fit_the_screen(browsing: Browsing, world: World, device: str) -> None:
    phone = device == "phone"
    page = browsing.new_page(**(PHONE if phone else DESKTOP))

    def go(name: str, link: str) -> None:
        """Follow a header link as a person would: a tap on a phone, a click on a desktop."""
        target = page.locator("header.site-header").get_by_role("link", name=link)
        if phone:
            target.tap()
        else:
            target.click()
        expect(page.locator("h1")).to_be_visible()
        _check_page(page, browsing, device, name)

    page.goto("/")
    _check_page(page, browsing, device, "landing")
    go("browse", "Gesuche & Angebote")
    card_link = page.locator(".posting-card h3 a").filter(has_text=world.posting_a1.title)
    if phone:
        card_link.tap()
    else:
        card_link.click()
    page.wait_for_url(re.compile(rf"/postings/{world.posting_a1.id}$"))
    _check_page(page, browsing, device, "posting")
    go("registration", "Unternehmen registrieren")
    go("login", "Anmelden")

    # Logging in by touch: tap a field, type, tap the button.
    email, password = page.locator("#email"), page.locator("#password")
    if phone:
        email.tap()
        expect(email).to_be_focused()
        page.keyboard.type(world.member_a1.email)
        password.tap()
        expect(password).to_be_focused()
        page.keyboard.type("correct horse battery")
        page.locator("main").get_by_role("button", name="Anmelden").tap()
        page.wait_for_url(re.compile(r"/my/$"))
    else:
        log_in(page, world.member_a1.email)
    _check_page(page, browsing, device, "member-dashboard")

    new_need = page.get_by_role("button", name="Neues Gesuch")
    if phone:
        new_need.tap()
    else:
        new_need.click()
    expect(page.locator("h1")).to_have_text("Neues Gesuch")
    _check_page(page, browsing, device, "posting-form")
    page.locator("#title").fill("Palettenregal 20 Stellplätze gesucht")
    page.locator("#category").select_option("storage")
    draft = page.locator("main").get_by_role("button", name="Als Entwurf speichern")
    if phone:
        draft.tap()
    else:
        draft.click()
    page.wait_for_url(re.compile(r"/my/postings/\d+$"))
    expect(page.locator("h1")).to_have_text("Palettenregal 20 Stellplätze gesucht")
    log_out(page)

    log_in(page, world.manager_a.email)
    _check_page(page, browsing, device, "manager-dashboard")
    expect(page.locator("#registrations")).to_contain_text(world.pending_a.name)
    expected = {
        f"{device}-{name}.png"
        for name in (
            "landing",
            "browse",
            "posting",
            "registration",
            "login",
            "member-dashboard",
            "posting-form",
            "manager-dashboard",
        )
    }
    assert {path.name for path in browsing.shots.iterdir()} == expected


_TABLES_JS = """() => Array.from(document.querySelectorAll('main .table-wrap')).map((wrap) => {
    const cell = wrap.querySelector('td[data-label]');
    return {
        overflow: wrap.scrollWidth - wrap.clientWidth,
        label: cell ? cell.dataset.label : null,
        shown: cell ? getComputedStyle(cell, '::before').content : null,
    };
})"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_tables_become_labelled_blocks_on_a_phone(
    browsing: Browsing, world: World, device: str
) -> None:
    """On a phone a table row is a block whose cells name their column: nothing scrolls sideways.

    On a desktop the tables keep their head row and the cells show no labels of their own.
    """
    phone = device == "phone"
    page = browsing.new_page(**(PHONE if phone else DESKTOP))
    pages = {
        world.member_a1.email: {"my-company": "/my/company"},
        world.manager_a.email: {
            "manager-postings": "/manage/postings",
            "manager-companies": "/manage/companies",
            "manager-company": f"/manage/companies/{world.company_a1.id}",
        },
        world.admin.email: {
            "admin-accounts": "/admin/accounts",
            "admin-networks": "/admin/networks",
            "admin-categories": "/admin/categories",
        },
    }
    for email, paths in pages.items():
        log_in(page, email)
        for name, path in paths.items():
            page.goto(path)
            _check_page(page, browsing, device, name)
            tables = page.evaluate(_TABLES_JS)
            assert tables, f"{name}: no table"
            for table in tables:
                if phone:
                    assert table["overflow"] <= 1, f"{name}: a table scrolls sideways"
                assert table["label"], f"{name}: no labelled cell"
                if phone:
                    assert table["shown"] == f'"{table["label"]}: "', (name, table)
                else:
                    assert table["shown"] in ("none", "normal"), (name, table)
        log_out(page)
