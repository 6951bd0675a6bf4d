"""Keyboard use: the skip link comes first and leads to the content; logging in needs no mouse."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Browsing
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect

MAX_TABS = 25  # more stops than any header has; a loop that never arrives fails


def _focused(page: sync_api.Page) -> dict[str, str | bool]:
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                return {
                    tag: el.tagName.toLowerCase(),
                    id: el.id,
                    text: (el.textContent || "").trim(),
                    inMain: el.closest("main") !== null,
                    className: el.className,
                };
            }"""
        )
    )


def test_skip_link_is_first_and_moves_to_the_content(browsing: Browsing) -> None:
    page = browsing.new_page()
    for path in ("/", "/login", "/postings"):
        page.goto(path)
        skip = page.get_by_role("link", name="Zum Inhalt springen")
        expect(skip).not_to_be_in_viewport()  # hidden until focused
        page.keyboard.press("Tab")
        focused = _focused(page)
        assert (focused["tag"], focused["className"], focused["text"]) == (
            "a",
            "skip-link",
            "Zum Inhalt springen",
        ), path
        expect(skip).to_be_in_viewport()  # visible while focused
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#main$"))
        # the next Tab stop is inside the main content, past the whole header
        page.keyboard.press("Tab")
        focused = _focused(page)
        assert focused["inMain"], (path, focused)


def test_login_with_the_keyboard_alone(browsing: Browsing, world: World) -> None:
    page = browsing.new_page()
    page.goto("/login")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == "email":
            break
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(world.member_a1.email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/my/$"))
    expect(page.locator(".flash-success")).to_have_text(f"Willkommen, {world.member_a1.name}.")

    # and out again: Tab to the header's log-out button, Enter
    page.keyboard.press("Tab")  # the skip link
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if _focused(page)["text"] == "Abmelden":
            break
    expect(
        page.locator("header.site-header").get_by_role("button", name="Abmelden")
    ).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("header.site-header").get_by_role("link", name="Anmelden")).to_be_visible()
