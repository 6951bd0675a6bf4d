"""An administrator adds a network and a category; both are offered at once on the public side."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Browsing
from tests.browser.steps import log_in, log_out
from tests.factories import World

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect


def test_admin_creates_a_network_and_a_category(browsing: Browsing, world: World) -> None:
    page = browsing.new_page()
    log_in(page, world.admin.email)
    page.locator("header.site-header").get_by_role("link", name="Verwaltung").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    subnav = page.locator("nav.subnav")

    subnav.get_by_role("link", name="Netzwerke").click()
    page.get_by_role("button", name="Neues Netzwerk").click()
    page.wait_for_url(re.compile(r"/admin/networks/new$"))
    page.locator("#name").fill("Netzwerk Ostthüringen")
    page.locator("#slug").fill("netz-ost")
    page.locator("#region").fill("Gera und Altenburg")
    page.locator("#description").fill("Metall, Kunststoff und Logistik in Ostthüringen.")
    page.get_by_role("button", name="Netzwerk anlegen").click()
    page.wait_for_url(re.compile(r"/admin/networks$"))
    row = page.get_by_role("row").filter(has_text="Netzwerk Ostthüringen")
    expect(row).to_contain_text("netz-ost")
    expect(row).to_contain_text("Gera und Altenburg")

    subnav.get_by_role("link", name="Kategorien").click()
    page.get_by_role("button", name="Neue Kategorie").click()
    page.wait_for_url(re.compile(r"/admin/categories/new$"))
    page.locator("#slug").fill("kuehltechnik")
    page.get_by_label("Name (Deutsch)").fill("Kühltechnik")
    page.get_by_label("Name (Englisch)").fill("Refrigeration")
    page.locator("#sort_order").fill("5")
    page.get_by_role("button", name="Kategorie anlegen").click()
    page.wait_for_url(re.compile(r"/admin/categories$"))
    expect(page.locator(".flash-success")).to_have_text("Die Kategorie Kühltechnik ist angelegt.")
    expect(page.get_by_role("row").filter(has_text="Kühltechnik")).to_contain_text("Refrigeration")
    log_out(page)

    # A visitor: the registration form offers the network, the browse filters offer both.
    page.locator("header.site-header").get_by_role("link", name="Unternehmen registrieren").click()
    network_box = page.get_by_label("Netzwerk Ostthüringen")
    expect(network_box).to_be_visible()
    expect(network_box).to_have_attribute("value", "netz-ost")
    page.locator("header.site-header").get_by_role("link", name="Gesuche & Angebote").click()
    page.locator("#category").select_option(label="Kühltechnik")
    page.locator("#network").select_option(label="Netzwerk Ostthüringen")
    page.get_by_role("button", name="Filtern").click()
    page.wait_for_url(re.compile(r"category=kuehltechnik"))
    assert "network=netz-ost" in page.url
    expect(page.locator("#category")).to_have_value("kuehltechnik")
    expect(page.locator("#network")).to_have_value("netz-ost")
    expect(page.locator(".result-count")).to_have_text("0 Treffer")
    # the landing page lists the new category as well, in its position
    page.locator("header.site-header").get_by_role("link", name="Matchmaker").click()
    expect(page.locator(".category-list li").first).to_have_text("Kühltechnik")
