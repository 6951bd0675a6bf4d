"""Password reset through the e-mailed link, and the language switch in the header."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker.config import Settings
from matchmaker.models import User
from tests.browser.conftest import Browsing
from tests.browser.steps import log_in, log_out
from tests.factories import PASSWORD, World
from tests.helpers import sent_mails

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect

NEW_PASSWORD = "Neues Passwort für Jena 7"
LINK_RE = re.compile(r"https?://\S+/password/\S+")


def test_password_reset_through_the_mailed_link(
    browsing: Browsing, world: World, settings: Settings
) -> None:
    email = world.member_a1.email
    page = browsing.new_page()
    page.goto("/login")
    page.get_by_role("link", name="Passwort vergessen?").click()
    page.wait_for_url(re.compile(r"/password/forgot$"))
    page.locator("#email").fill(email)
    page.get_by_role("button", name="Link senden").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator(".flash-info")).to_have_text(
        "Falls es zu dieser Adresse ein Konto gibt, haben wir eine E-Mail mit einem Link zum "
        "Festlegen eines neuen Passworts geschickt."
    )

    mails = [mail for mail in sent_mails(settings.instance_path) if email in str(mail["To"])]
    assert len(mails) == 1
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    links = LINK_RE.findall(body.get_content())
    assert len(links) == 1
    link = links[0]
    assert link.startswith(f"{browsing.url}/password/")  # the public URL, here the live server

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Passwort festlegen")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_repeat").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    page.wait_for_url(re.compile(r"/my/$"))
    expect(page.locator(".flash-success")).to_have_text(
        "Ihr Passwort ist gespeichert. Sie sind angemeldet."
    )
    log_out(page)

    # The link works once; the old password is gone, the new one logs in.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Dieser Link ist ungültig oder abgelaufen.")
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()
    expect(page.locator(".form-message")).to_have_text("E-Mail-Adresse oder Passwort ist falsch.")
    log_in(page, email, NEW_PASSWORD)
    expect(page.locator("h1")).to_have_text(world.company_a1.name)


def _switch_to_english(page: sync_api.Page) -> None:
    # a link for visitors, a form button (a POST) once logged in
    page.locator("header.site-header .lang-switch").locator("a, button", has_text="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_language_switch_persists_across_pages_and_on_the_account(
    browsing: Browsing, world: World, engine: Engine
) -> None:
    page = browsing.new_page()
    page.goto("/postings")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("header.site-header .lang-switch strong")).to_have_text("DE")
    _switch_to_english(page)
    # back on the page it was switched on
    assert page.url.endswith("/postings")
    expect(page.locator("h1")).to_have_text("Needs & offers")
    expect(page.locator("header.site-header .lang-switch strong")).to_have_text("EN")
    page.locator("header.site-header").get_by_role("link", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Log in")
    page.locator("header.site-header").get_by_role("link", name="Matchmaker").click()
    expect(page.locator("h1")).to_have_text("Who needs what, who can offer what")

    # Logged in, the account's language (German) applies; switching stores English on it.
    member = world.member_a1
    log_in(page, member.email)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    _switch_to_english(page)
    expect(page.locator("header.site-header")).to_contain_text("My company")
    page.locator("header.site-header").get_by_role("link", name="My account").click()
    expect(page.locator("h1")).to_have_text("My account")
    expect(page.locator("#language")).to_have_value("en")
    with Session(engine) as session:
        stored = session.get(User, member.id)
        assert stored is not None and stored.language == "en"

    # Another browser: the login brings the account's language along.
    other = browsing.new_page()
    log_in(other, member.email)
    expect(other.locator("html")).to_have_attribute("lang", "en")
    expect(other.locator("header.site-header .lang-switch strong")).to_have_text("EN")
    other.locator("header.site-header").get_by_role("link", name="Needs & offers").click()
    expect(other.locator("h1")).to_have_text("Needs & offers")
