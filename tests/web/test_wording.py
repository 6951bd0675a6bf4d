"""What a new user reads: plural forms, numbers in the reader's format, lines without empty
parts, limits said before the browser enforces them, filters that fold on phones."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlmodel import Session

from matchmaker import postings
from matchmaker.access import Actor
from matchmaker.web import formatting
from tests.factories import World, make_posting
from tests.helpers import login_as, post_form, text_of
from tests.web.pages import body, posting_form, snapshot

STATIC = Path(formatting.__file__).resolve().parents[1] / "static"


def test_quantities_take_the_plural_form_that_fits(
    app: Flask, session: Session, world: World
) -> None:
    """Before: "1 Personen" in German, "1 pieces" in English."""
    make_posting(
        session, world.member_a1, title="Schweißer für eine Schicht", quantity=1, unit="person"
    )
    make_posting(
        session, world.member_a1, title="Zwei Gitterboxen gesucht", quantity=2, unit="piece"
    )
    make_posting(
        session, world.member_a1, title="Ein Bauteil aus Alu gesucht", quantity=1, unit="piece"
    )
    session.commit()
    german = " ".join(body(app.test_client(), "/postings").split())
    assert "· 1 Person ·" in german and "1 Personen" not in german
    assert "2 Stück" in german and "1 Stück" in german
    english_client = app.test_client()
    english_client.get("/language/en")
    english = " ".join(body(english_client, "/postings").split())
    assert "1 person" in english and "1 piece" in english and "2 pieces" in english
    assert "1 persons" not in english and "1 pieces" not in english
    member = login_as(app.test_client(), world.member_a1)
    assert "1 Person" in body(member, "/my/") and "1 Personen" not in body(member, "/my/")


def test_numbers_percentages_and_distances_have_one_format(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("de"):
            assert formatting.quantity(1234.5, "kg") == "1.234,5 kg"
            assert formatting.quantity(1.5, "hour") == "1,5 Stunden"
            assert formatting.percent(0.61) == "61\xa0%"
            assert formatting.distance(50.5) == formatting.distance(50.4) == "50 km"
        with force_locale("en"):
            assert formatting.quantity(1234.5, "kg") == "1,234.5 kg"
            assert formatting.percent(0.61) == "61%"
            assert formatting.distance(51.5) == "52 km"  # half to even, as the explanations


def test_a_fulfilled_posting_line_has_no_empty_parts(
    app: Flask, session: Session, world: World
) -> None:
    """Before: "3 Wochen · 07745 · · geändert am" for a posting without a validity line."""
    done = make_posting(
        session, world.member_a1, title="Erledigte Anfrage Stahlrohr", quantity=3, unit="week"
    )
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=done.id,  # type: ignore[arg-type]
        action="fulfil",
    )
    session.commit()
    page = body(login_as(app.test_client(), world.member_a1), "/my/?status=fulfilled")
    lines = [
        " ".join(line.split())
        for line in re.findall(r'<p class="meta"><small>(.*?)</small></p>', page, re.S)
    ]
    assert lines and all("· ·" not in line and not line.startswith("·") for line in lines)
    assert any(line.startswith("3 Wochen · ") for line in lines), lines


def test_the_description_limit_is_said_and_counted(client: FlaskClient, world: World) -> None:
    """Before, the browser cut a long description at 5,000 characters without a word."""
    page = body(login_as(client, world.member_a1), "/my/postings/new")
    assert "Höchstens 5.000 Zeichen." in page
    counter = re.search(r'<small class="char-counter" data-counter-for="description"[^>]*>', page)
    assert counter and 'data-max="5000"' in counter.group(0)
    assert "{count} von {max} Zeichen" in counter.group(0)
    assert '<script src="/static/js/counter.js" defer></script>' in page
    assert (STATIC / "js" / "counter.js").is_file()
    with client.get("/static/js/counter.js") as script:
        assert script.status_code == 200


def test_browse_filters_fold_behind_one_control(client: FlaskClient, world: World) -> None:
    plain = body(client, "/postings")
    assert re.search(r'<details class="more-filters" data-open-wide>', plain)  # closed
    assert '<script src="/static/js/filters.js" defer></script>' in plain
    chosen = body(client, "/postings?kind=offer&plz=07")
    assert '<details class="more-filters" open data-open-wide>' in chosen
    assert "<summary>Filter (2)</summary>" in chosen
    assert (STATIC / "js" / "filters.js").is_file()


def _field_message(page: str, name: str) -> str:
    found = re.search(rf'<small class="field-error" id="{name}-error">([^<]*)</small>', page)
    return found.group(1) if found else ""


def test_messages_speak_the_users_words_and_number_format(
    client: FlaskClient, session: Session, world: World
) -> None:
    """Before: "Muss größer als 0.0 sein." for a negative quantity."""
    member = login_as(client, world.member_a1)
    response = post_form(member, "/my/postings/new", posting_form(quantity="-5", radius_km="1500"))
    assert response.status_code == 422
    page = text_of(response)
    assert _field_message(page, "quantity") == "Bitte geben Sie eine Zahl größer als 0 ein."
    assert _field_message(page, "radius_km") == "Bitte geben Sie eine Zahl von höchstens 1.000 ein."


def test_postal_codes_are_checked_against_the_german_ones(
    client: FlaskClient, session: Session, world: World
) -> None:
    """Before, 00000 was accepted: five digits were enough."""
    member = login_as(client, world.member_a1)
    before = snapshot(session)
    response = post_form(member, "/my/postings/new", posting_form(postal_code="00000"))
    assert response.status_code == 422
    message = _field_message(text_of(response), "postal_code")
    assert message == "00000 ist keine deutsche Postleitzahl. Bitte prüfen Sie sie."
    assert snapshot(session) == before
    accepted = post_form(member, "/my/postings/new", posting_form(postal_code="99084"))
    assert accepted.status_code == 302


def test_every_error_of_the_posting_form_is_shown_at_once(
    client: FlaskClient, session: Session, world: World
) -> None:
    """Before, the validity past the limit appeared only on the submit after the other two."""
    from datetime import date, timedelta

    member = login_as(client, world.member_a1)
    too_long = (date.today() + timedelta(days=400)).isoformat()
    before = snapshot(session)
    response = post_form(
        member,
        "/my/postings/new",
        posting_form(quantity="-5", radius_km="abc", valid_until=too_long),
    )
    assert response.status_code == 422
    page = text_of(response)
    for name in ("quantity", "radius_km", "valid_until"):
        assert _field_message(page, name), name
    assert snapshot(session) == before


def test_a_waiting_companys_posting_is_not_listed_as_published(
    app: Flask, session: Session, world: World
) -> None:
    """Before, a pending company's active offer stood under "Recently published in your
    networks" although nobody but its members and managers could see it."""
    make_posting(session, world.member_pending, title="Angebot einer wartenden Firma")
    make_posting(session, world.member_a1, title="Angebot einer freigegebenen Firma")
    session.commit()
    dashboard = body(login_as(app.test_client(), world.manager_a), "/manage/")
    assert "Angebot einer freigegebenen Firma" in dashboard
    assert "Angebot einer wartenden Firma" not in dashboard
    assert "Angebot einer wartenden Firma" not in body(app.test_client(), "/postings")


def test_the_approval_mail_and_the_approval_card_say_the_same(app: Flask, world: World) -> None:
    """Visitors see approved companies' active postings: the card said "everybody", the mail
    "the companies of your networks"."""
    templates = Path(formatting.__file__).resolve().parents[2] / "templates"
    card = (templates / "manager" / "company.html").read_text()
    for name in ("company_approved.txt", "company_approved.html"):
        mail = (templates / "emails" / name).read_text()
        assert "visible to everybody, visitors of the site included" in mail
        assert "visible to the companies of your networks" not in mail
    assert "visible to everybody, visitors of the site included" in card
