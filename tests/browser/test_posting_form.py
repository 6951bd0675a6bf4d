"""The posting form in a real browser: field messages, kept input, escaping, edit conflicts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import clock
from matchmaker.models import Posting
from tests.browser.conftest import Browsing
from tests.browser.steps import log_in, posting_count
from tests.factories import World

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect

LONG_TITLE = "Edelstahlblech " * 9  # 135 characters; the form allows 120


def test_bad_input_is_marked_next_to_the_fields_and_kept(
    browsing: Browsing, world: World, engine: Engine
) -> None:
    page = browsing.new_page()
    log_in(page, world.member_a1.email)
    page.goto("/my/postings/new")
    before = posting_count(engine)
    today = clock.today()
    start, before_start, after_start = (
        (today + timedelta(days=days)).isoformat() for days in (30, 20, 40)
    )

    # The browser would stop at 120 characters; a tampered page or an old browser would not.
    page.locator("#title").evaluate("field => field.removeAttribute('maxlength')")
    page.locator("#title").fill(LONG_TITLE)
    page.locator("#description").fill("Zuschnitt 1000×2000, Werkszeugnis 3.1.")
    page.locator("#category").select_option("material")
    page.locator("#quantity").fill("2,5")
    page.locator("#unit").select_option("t")
    page.locator("#postal_code").fill("0774")
    page.locator("#available_from").fill(start)
    page.locator("#available_until").fill(before_start)
    with page.expect_response(re.compile(r"/my/postings/new$")) as answer:
        page.locator("main").get_by_role("button", name="Veröffentlichen", exact=True).click()
    assert answer.value.status == 422
    expect(page.locator(".form-message")).to_have_text(
        "Bitte korrigieren Sie die markierten Felder."
    )

    for field in ("title", "postal_code", "available_until"):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", f"{field}-error")
        expect(page.locator(f"#{field}-error")).to_be_visible()
    expect(page.locator("#title-error")).to_have_text("Bitte geben Sie höchstens 120 Zeichen ein.")
    expect(page.locator("#postal_code-error")).to_have_text(
        "Bitte geben Sie eine fünfstellige deutsche Postleitzahl ein."
    )
    expect(page.locator("#available_until-error")).to_have_text(
        "Das Enddatum darf nicht vor dem Anfangsdatum liegen."
    )
    # the message sits right below its field, inside the field's label
    title_box = page.locator("#title").bounding_box()
    error_box = page.locator("#title-error").bounding_box()
    assert title_box and error_box and 0 <= error_box["y"] - title_box["y"] < 120
    for field in ("description", "category", "quantity", "unit", "available_from"):
        expect(page.locator(f"#{field}")).not_to_have_attribute("aria-invalid", "true")

    expect(page.locator("#title")).to_have_value(LONG_TITLE)
    expect(page.locator("#description")).to_have_value("Zuschnitt 1000×2000, Werkszeugnis 3.1.")
    expect(page.locator("#category")).to_have_value("material")
    expect(page.locator("#quantity")).to_have_value("2,5")
    expect(page.locator("#unit")).to_have_value("t")
    expect(page.locator("#postal_code")).to_have_value("0774")
    expect(page.locator("#available_from")).to_have_value(start)
    expect(page.locator("#available_until")).to_have_value(before_start)
    assert posting_count(engine) == before

    # Corrected, the same form is accepted; "2,5" is read as 2.5 as a German user means it, and
    # a description filling the field's 5000 characters with line breaks (which the browser
    # sends as CRLF) fits.
    description = "\n".join(["Blech " * 16 + "1.4301."] * 50)[:5000]
    page.locator("#title").fill("Edelstahlblech 2,5 t gesucht")
    page.locator("#description").fill(description)
    expect(page.locator("#description")).to_have_value(description)
    page.locator("#postal_code").fill("07745")
    page.locator("#available_until").fill(after_start)
    page.locator("main").get_by_role("button", name="Veröffentlichen", exact=True).click()
    page.wait_for_url(re.compile(r"/my/postings/(\d+)$"))
    assert posting_count(engine) == before + 1
    expect(page.locator(".facts")).to_contain_text("2,5 t")
    with Session(engine) as session:
        stored = session.get(Posting, int(page.url.rsplit("/", 1)[1]))
        assert stored is not None
        assert (stored.quantity, stored.unit, stored.postal_code) == (2.5, "t", "07745")
        assert stored.description == description


def test_html_typed_into_a_title_is_shown_as_text(browsing: Browsing, world: World) -> None:
    title = "<script>alert('x')</script><img src=x onerror=alert(1)> <b>Blech</b>"
    page = browsing.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, world.member_a1.email)
    page.goto("/my/postings/new")
    page.locator("#title").fill(title)
    page.locator("#category").select_option("material")
    page.locator("main").get_by_role("button", name="Veröffentlichen", exact=True).click()
    page.wait_for_url(re.compile(r"/my/postings/(\d+)$"))
    posting_id = page.url.rsplit("/", 1)[1]

    expect(page.locator("h1")).to_have_text(title)  # the member's own page
    visitor = browsing.new_page()
    visitor.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    visitor.goto(f"/postings/{posting_id}")
    expect(visitor.locator("h1")).to_be_visible()
    expect(visitor.locator("h1")).to_have_text(title)
    assert visitor.locator("h1 script, h1 img, h1 b").count() == 0
    visitor.goto("/postings?q=Blech")
    expect(visitor.locator(".posting-card h3").filter(has_text="<script>")).to_have_text(title)
    page.goto("/my/")
    expect(page.locator(f"#posting-{posting_id} h3")).to_have_text(title)
    # An <img src=x> rendered as HTML would also have requested /my/x: the watch reports that.
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0


def test_edit_conflict_keeps_the_second_users_input(
    browsing: Browsing, world: World, engine: Engine
) -> None:
    posting_id = world.posting_a1.id
    first = browsing.new_page()
    second = browsing.new_page()
    log_in(first, world.member_a1.email)
    log_in(second, world.member_a1.email)
    first.goto(f"/my/postings/{posting_id}/edit")
    second.goto(f"/my/postings/{posting_id}/edit")

    first.locator("#title").fill("Edelstahlblech 2 mm, 600 kg gesucht")
    first.locator("main").get_by_role("button", name="Speichern", exact=True).click()
    first.wait_for_url(re.compile(rf"/my/postings/{posting_id}$"))
    expect(first.locator(".flash-success")).to_have_text("Ihre Änderungen sind gespeichert.")

    typed = "Bitte mit Werkszeugnis 3.1 und Schutzfolie.\nLieferung bis Ende März."
    second.locator("#description").fill(typed)
    second.locator("#quantity").fill("750")
    second.locator("#unit").select_option("kg")
    with second.expect_response(re.compile(rf"/my/postings/{posting_id}/edit$")) as answer:
        second.locator("main").get_by_role("button", name="Speichern", exact=True).click()
    assert answer.value.status == 409
    conflict = second.locator("section.conflict")
    expect(conflict.locator("h2")).to_have_text("Dieser Eintrag wurde zwischenzeitlich geändert")
    # what the other browser stored, to compare with
    expect(conflict.locator(".facts")).to_contain_text("Edelstahlblech 2 mm, 600 kg gesucht")
    expect(second.locator("#description")).to_have_value(typed)
    expect(second.locator("#quantity")).to_have_value("750")
    expect(second.locator("#unit")).to_have_value("kg")
    expect(second.locator("#title")).to_have_value("Edelstahlblech 2 mm gesucht")
    with Session(engine) as session:
        stored = session.get(Posting, posting_id)
        assert stored is not None
        assert stored.title == "Edelstahlblech 2 mm, 600 kg gesucht"
        assert stored.description == world.posting_a1.description

    # Saving again, knowingly, replaces the stored version.
    second.locator("main").get_by_role("button", name="Speichern", exact=True).click()
    second.wait_for_url(re.compile(rf"/my/postings/{posting_id}$"))
    expect(second.locator(".description")).to_contain_text("Lieferung bis Ende März.")
    with Session(engine) as session:
        stored = session.get(Posting, posting_id)
        assert stored is not None
        assert (stored.description, stored.quantity, stored.unit) == (typed, 750, "kg")
