"""Steps the browser tests share: logging in and out, reading the database afresh.

Pages are addressed the way a person finds them (German labels, roles) where it matters to the
flow, and by the form's field ids where only the value matters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.models import Posting
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

HOME_PATHS = re.compile(r"/(my|manage|admin)/$")
LOG_IN = re.compile(r"^(Anmelden|Log in)$")


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form and wait for the home page of the account."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name=LOG_IN).click()
    page.wait_for_url(HOME_PATHS)


def log_out(page: Page) -> None:
    page.locator("header.site-header").get_by_role(
        "button", name=re.compile("Abmelden|Log out")
    ).click()
    page.wait_for_url(re.compile(r"/$"))


def posting_count(engine: Engine) -> int:
    """Postings stored, read in a new session (the live server writes from its own thread)."""
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Posting)).scalar_one())


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scrolling).

    A phone browser widens its layout viewport (``window.innerWidth``) to fit content that
    sticks out, so the document is compared with the device's width as well.
    """
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    screen = page.viewport_size["width"] if page.viewport_size else inner_width
    return max(int(scroll_width) - int(inner_width), int(inner_width) - screen, 0)
