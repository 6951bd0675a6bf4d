"""The watch on every page bites: third-party requests and CSP violations are caught.

Without this, a broken guard would let every other browser test pass silently.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browsing

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def test_third_party_requests_are_refused_and_reported(browsing: Browsing) -> None:
    # The CSP would refuse the stylesheet first; without it the route guard must still hold.
    page = browsing.new_page(bypass_csp=True)
    page.goto("/")
    with page.expect_event("requestfailed") as failed:
        page.evaluate(
            """() => {
                const link = document.createElement("link");
                link.rel = "stylesheet";
                link.href = "https://fonts.googleapis.com/css2?family=Roboto";
                document.head.append(link);
            }"""
        )
    assert failed.value.url.startswith("https://fonts.googleapis.com/")
    assert (failed.value.failure or "").startswith("net::ERR_BLOCKED_BY_CLIENT")
    browsing.settle()
    assert browsing.problems.entries == [
        "third-party request refused: GET https://fonts.googleapis.com/css2?family=Roboto"
    ]
    browsing.problems.entries.clear()  # caught as it should be: the test itself passes


def test_csp_violations_and_script_errors_are_reported(browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto("/")
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "document.title = 'injected'";
                document.body.append(script);
            }"""
        )
    assert page.title() != "injected"  # the page's CSP refused the inline script
    assert len(browsing.problems.entries) == 1
    assert "Content Security Policy" in browsing.problems.entries[0]
    browsing.problems.entries.clear()

    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('boom') }, 0) }")
    assert browsing.problems.entries == [f"script error on {page.url}: boom"]
    browsing.problems.entries.clear()


def test_a_missing_stylesheet_is_reported(browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto("/")
    with page.expect_event("requestfailed"):
        page.evaluate(
            """() => {
                const link = document.createElement("link");
                link.rel = "stylesheet";
                link.href = "/static/css/missing.css";
                document.head.append(link);
            }"""
        )
    browsing.settle()
    assert len(browsing.problems.entries) == 1, browsing.problems.entries
    assert browsing.problems.entries[0].startswith(f"console error on {page.url}: Refused")
    assert "/static/css/missing.css" in browsing.problems.entries[0]
    browsing.problems.entries.clear()
