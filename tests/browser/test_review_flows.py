"""From registration to a public posting, and a rejected registration, through the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker.models import Company, CompanyStatus, Posting
from tests.browser.conftest import Browsing
from tests.browser.steps import log_in, log_out
from tests.factories import World

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect

COMPANY = "Kühltechnik Saale GmbH"
CONTACT_EMAIL = "einkauf@kuehltechnik-saale.example"
CONTACT_PHONE = "+49 3641 555123"
CONTACT_NAME = "Jörg Übermuth"
MEMBER_EMAIL = "petra.kuehn@kuehltechnik-saale.example"
MEMBER_PASSWORD = "Eisblumen im Sommer 2024"
TITLE = "Kühlschmierstoff 200 l für CNC-Fräsen gesucht"


def test_registration_approval_posting_and_public_search(
    browsing: Browsing, world: World, engine: Engine
) -> None:
    # A company registers through the German form and is told that it waits for approval.
    registrant = browsing.new_page()
    registrant.goto("/")
    registrant.locator("header.site-header").get_by_role(
        "link", name="Unternehmen registrieren"
    ).click()
    expect(registrant.locator("h1")).to_have_text("Unternehmen registrieren")
    registrant.locator("#company_name").fill(COMPANY)
    registrant.locator("#address").fill("Am Kühlhaus 3")
    registrant.locator("#postal_code").fill("07743")
    registrant.locator("#city").fill("Jena")
    registrant.get_by_label("Netzwerk Nord").check()
    registrant.locator("#contact_email").fill(CONTACT_EMAIL)
    registrant.locator("#contact_name").fill(CONTACT_NAME)
    registrant.locator("#contact_phone").fill(CONTACT_PHONE)
    registrant.locator("#name").fill("Petra Kühn")
    registrant.locator("#email").fill(MEMBER_EMAIL)
    registrant.locator("#password").fill(MEMBER_PASSWORD)
    registrant.locator("#password_repeat").fill(MEMBER_PASSWORD)
    registrant.locator("main").get_by_role("button", name="Registrieren").click()
    registrant.wait_for_url(re.compile(r"/my/$"))
    expect(registrant.locator("#company-status-title")).to_have_text(
        "Ihr Unternehmen wartet auf Freigabe"
    )
    expect(registrant.locator("h1")).to_have_text(COMPANY)
    log_out(registrant)

    # The manager of Netzwerk Nord finds it in the queue and approves it.
    manager = browsing.new_page()
    log_in(manager, world.manager_a.email)
    queue = manager.locator("#registrations")
    row = queue.get_by_role("row").filter(has_text=COMPANY)
    expect(row).to_contain_text("07743 Jena")
    expect(row).to_contain_text("Netzwerk Nord")
    row.get_by_role("button", name="Prüfen").click()
    manager.wait_for_url(re.compile(r"/manage/companies/\d+$"))
    expect(manager.locator("h1")).to_have_text(COMPANY)
    approve = manager.locator("form.decision-approve")
    approve.get_by_label("Hinweis an das Unternehmen (optional)").fill("Willkommen im Netzwerk!")
    approve.get_by_role("button", name="Freigeben").click()
    expect(manager.locator(".flash-success")).to_have_text(
        f"{COMPANY} ist freigegeben. Die Mitglieder wurden per E-Mail informiert."
    )
    manager.locator("nav.subnav").get_by_role("link").first.click()
    manager.wait_for_url(re.compile(r"/manage/$"))
    expect(manager.locator("#registrations")).not_to_contain_text(COMPANY)

    # The member logs in, creates a need with quantity and unit, and publishes it.
    log_in(registrant, MEMBER_EMAIL, MEMBER_PASSWORD)
    expect(registrant.locator("#company-status-title")).to_have_count(0)
    expect(registrant.locator(".subtitle .badge")).to_have_text("freigegeben")
    registrant.get_by_role("button", name="Neues Gesuch").click()
    expect(registrant.locator("h1")).to_have_text("Neues Gesuch")
    expect(registrant.get_by_label("Gesuch: Wir suchen etwas")).to_be_checked()
    registrant.locator("#title").fill(TITLE)
    registrant.locator("#description").fill(
        "Wassermischbarer Kühlschmierstoff, mineralölfrei, Lieferung nach Jena."
    )
    registrant.locator("#category").select_option(label="Material und Teile")
    registrant.locator("#quantity").fill("200")
    registrant.locator("#unit").select_option(label="Liter")
    registrant.locator("main").get_by_role("button", name="Veröffentlichen", exact=True).click()
    registrant.wait_for_url(re.compile(r"/my/postings/\d+$"))
    expect(registrant.locator(".flash-success")).to_have_text(
        "Der Eintrag ist veröffentlicht. Das Netzwerkmanagement sucht nach passenden Partnern."
    )
    with Session(engine) as session:
        company = session.exec(select(Company).where(Company.name == COMPANY)).one()
        assert company.status == CompanyStatus.APPROVED.value
        stored = session.exec(select(Posting).where(Posting.title == TITLE)).one()
        assert (stored.kind, stored.status, stored.quantity, stored.unit) == (
            "need",
            "active",
            200,
            "l",
        )

    # A visitor searches "Kuehlschmierstoff" on "Gesuche & Angebote" and finds "Kühlschmierstoff".
    visitor = browsing.new_page()
    visitor.goto("/")
    visitor.locator("header.site-header").get_by_role("link", name="Gesuche & Angebote").click()
    expect(visitor.locator("h1")).to_have_text("Gesuche & Angebote")
    visitor.get_by_label("Suchen").fill("Kuehlschmierstoff cnc")
    visitor.get_by_role("button", name="Filtern").click()
    visitor.wait_for_url(re.compile(r"q=Kuehlschmierstoff"))
    expect(visitor.locator(".result-count")).to_have_text("1 Treffer")
    card = visitor.locator(".posting-card")
    expect(card).to_contain_text("200 Liter")
    expect(card).to_contain_text(COMPANY)
    card.get_by_role("link", name=TITLE).click()
    visitor.wait_for_url(re.compile(r"/postings/\d+$"))
    expect(visitor.locator("h1")).to_have_text(TITLE)
    expect(visitor.locator(".facts")).to_contain_text("200 Liter")
    expect(visitor.locator(".company .note")).to_have_text(
        "Kontaktdaten werden weitergegeben, sobald ein Netzwerkmanager die beiden Unternehmen "
        "miteinander bekannt macht."
    )
    page_text = visitor.locator("body").inner_text()
    for secret in (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME, MEMBER_EMAIL, "mailto:"):
        assert secret not in page_text
    assert visitor.locator("a[href^='mailto:']").count() == 0
    assert CONTACT_EMAIL not in visitor.content()


def test_rejection_reason_reaches_the_member(browsing: Browsing, world: World) -> None:
    reason = "Bitte ergänzen Sie die vollständige Anschrift <Straße & Hausnummer>."
    manager = browsing.new_page()
    log_in(manager, world.manager_a.email)
    row = manager.locator("#registrations").get_by_role("row").filter(has_text="Neu & Co. GmbH")
    row.get_by_role("button", name="Prüfen").click()
    manager.wait_for_url(re.compile(rf"/manage/companies/{world.pending_a.id}$"))
    reject = manager.locator("form.decision-reject")
    reject.get_by_label("Begründung").fill(reason)
    reject.get_by_role("button", name="Ablehnen").click()
    expect(manager.locator(".flash-success")).to_have_text(
        "Die Registrierung von Neu & Co. GmbH ist abgelehnt. Die Mitglieder wurden informiert."
    )

    member = browsing.new_page()
    log_in(member, world.member_pending.email)
    status = member.locator(".status-box")
    expect(status.locator("h2")).to_have_text("Ihre Registrierung wurde nicht freigegeben")
    expect(status.locator("blockquote")).to_have_text(reason)
