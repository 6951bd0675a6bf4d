"""Pages anybody sees: landing page, browsing and search, a posting, a company; headers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import companies, postings
from matchmaker.access import Actor
from matchmaker.app import create_app
from matchmaker.config import Settings
from tests.factories import World, make_company, make_posting
from tests.helpers import chosen_filters, login_as, text_of
from tests.web.pages import PERSONAS, body


def _counts(page: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def test_landing_page_shows_live_counts(
    client: FlaskClient, session: Session, world: World
) -> None:
    before = _counts(body(client, "/"))
    # world: one public need (a1), one public offer (b1), a draft, a pending company.
    assert before == {"needs": 1, "offers": 1, "companies": 3, "networks": 2}
    make_posting(session, world.member_a2, kind="offer", title="Spritzguss-Kapazität frei")
    make_posting(session, world.member_pending, title="Unsichtbar bis zur Freigabe")
    make_posting(session, world.member_a2, publish=False, title="Nur ein Entwurf hier")
    session.commit()
    after = _counts(body(client, "/"))
    assert after == {"needs": 1, "offers": 2, "companies": 3, "networks": 2}
    page = body(client, "/")
    assert "Spritzguss-Kapazität frei" in page
    assert "Unsichtbar bis zur Freigabe" not in page and "Nur ein Entwurf hier" not in page


def test_landing_page_counts_only_what_the_public_sees_for_everybody(
    app: Flask, world: World
) -> None:
    for persona, user in world.personas().items():
        client = app.test_client()
        login_as(client, user)
        counts = _counts(body(client, "/"))
        assert counts["needs"] == 1 and counts["offers"] == 1, persona
        assert "Freie Fräskapazität" not in body(client, "/"), persona


def _titles(page: str) -> set[str]:
    return set(re.findall(r'<h3><a href="/postings/\d+" lang="\w+">([^<]*)</a></h3>', page))


@pytest.fixture
def market(session: Session, world: World) -> World:
    """More public postings to search in."""
    make_posting(
        session,
        world.member_a2,
        kind="need",
        title="Kühlschmierstoff für CNC gesucht",
        description="KSS, 200 l, wassermischbar",
        category="material",
    )
    make_posting(
        session,
        world.member_a2,
        kind="offer",
        title="Lagerfläche in Erfurt frei",
        description="Beheizte Halle, 300 m², Straßenanbindung",
        category="storage",
    )
    session.commit()
    return world


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            {
                "Edelstahlblech 2 mm gesucht",
                "LKW-Laderaum frei Plauen–Erfurt",
                "Kühlschmierstoff für CNC gesucht",
                "Lagerfläche in Erfurt frei",
            },
        ),
        ("q=Kuehlschmierstoff", {"Kühlschmierstoff für CNC gesucht"}),
        ("q=kühlschmierstoff", {"Kühlschmierstoff für CNC gesucht"}),
        ("q=KÜHL", {"Kühlschmierstoff für CNC gesucht"}),
        ("q=Strasse", {"Lagerfläche in Erfurt frei"}),
        ("q=lagerflaeche+erfurt", {"Lagerfläche in Erfurt frei"}),
        ("q=Wasserstrahlschneiden", set()),
        ("kind=offer", {"LKW-Laderaum frei Plauen–Erfurt", "Lagerfläche in Erfurt frei"}),
        (
            "kind=need&category=material",
            {"Edelstahlblech 2 mm gesucht", "Kühlschmierstoff für CNC gesucht"},
        ),
        ("category=logistics", {"LKW-Laderaum frei Plauen–Erfurt"}),
        ("network=netz-sued", {"LKW-Laderaum frei Plauen–Erfurt"}),
        ("network=netz-nord&kind=offer", {"Lagerfläche in Erfurt frei"}),
        ("plz=99", {"Kühlschmierstoff für CNC gesucht", "Lagerfläche in Erfurt frei"}),
        ("plz=08523", {"LKW-Laderaum frei Plauen–Erfurt"}),
        ("plz=0&q=blech", {"Edelstahlblech 2 mm gesucht"}),
    ],
)
def test_browse_filters(client: FlaskClient, market: World, query: str, expected: set[str]) -> None:
    page = body(client, f"/postings?{query}")
    assert _titles(page) == expected


def _filter_error(page: str, name: str) -> str:
    found = re.search(rf'<small id="{name}-error" class="field-error">([^<]*)</small>', page)
    return found.group(1) if found else ""


def test_browse_reports_invalid_filter_values(client: FlaskClient, market: World) -> None:
    client.get("/language/en")
    cases = {
        "kind=tender": ("kind", "Please choose one of the offered values."),
        "category=xyz": ("category", "Please choose one of the offered categories."),
        "network=nirgendwo": ("network", "Please choose one of the offered networks."),
        "plz=abc": ("plz", "Please enter one to five digits."),
        "plz=99x&q=blech": ("plz", "Please enter one to five digits."),
    }
    for query, (name, message) in cases.items():
        response = client.get(f"/postings?{query}")
        assert response.status_code == 400, query
        page = text_of(response)
        assert _filter_error(page, name) == message, query
        assert "Please correct the marked filters." in page
        assert _titles(page) == set() and "result-count" not in page, query  # no count
    several = text_of(client.get("/postings?plz=abc&category=xyz&kind=x"))
    assert all(_filter_error(several, name) for name in ("plz", "category", "kind"))


def test_browse_is_lenient_with_page_numbers_and_long_queries(
    client: FlaskClient, market: World
) -> None:
    everything = _titles(body(client, "/postings"))
    for query in ("page=abc", "page=-1", "page=1"):
        assert _titles(body(client, f"/postings?{query}")) == everything, query
    huge = body(client, "/postings?q=" + "x" * 5000)
    assert _titles(huge) == set()


def test_pages_past_the_end_are_not_found(client: FlaskClient, market: World) -> None:
    """Before, page 99 said "4 results" above "No needs or offers match these filters"."""
    assert client.get("/postings?page=2").status_code == 404
    assert client.get("/postings?page=99&kind=offer").status_code == 404
    assert client.get(f"/companies/{market.company_a1.id}?page=99").status_code == 404
    empty = client.get("/postings?q=Wasserstrahlschneiden&page=1")
    assert empty.status_code == 200  # an empty first page is an answer, not an error


def test_browse_never_lists_hidden_postings(app: Flask, session: Session, world: World) -> None:
    paused = make_posting(session, world.member_a1, title="Pausierte Anfrage bleibt verborgen")
    postings.change_status(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=paused.id,  # type: ignore[arg-type]
        action="pause",
    )
    make_posting(session, world.member_pending, title="Anfrage einer neuen Firma hier")
    session.commit()
    for persona in PERSONAS:
        client = app.test_client()
        login_as(client, world.personas()[persona])
        titles = _titles(body(client, "/postings"))
        assert titles == {"Edelstahlblech 2 mm gesucht", "LKW-Laderaum frei Plauen–Erfurt"}, persona


def test_pagination_keeps_the_filters(client: FlaskClient, session: Session, world: World) -> None:
    for n in range(25):
        make_posting(
            session,
            world.member_a2,
            kind="offer",
            title=f"Gitterbox Posten {n:02d}",
            category="equipment",
            postal_code="99084",
        )
    make_posting(session, world.member_a2, kind="need", title="Gitterbox gesucht Bedarf")
    session.commit()
    first = body(client, "/postings?q=gitterbox&kind=offer&plz=99&category=equipment&network=")
    assert len(_titles(first)) == 20
    links = re.findall(r'<a href="(/postings\?[^"]+)" rel="next">', first)
    assert len(links) == 1
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query == {
        "page": ["2"],
        "q": ["gitterbox"],
        "kind": ["offer"],
        "plz": ["99"],
        "category": ["equipment"],
    }
    second = body(client, links[0].replace("&amp;", "&"))
    assert len(_titles(second)) == 5
    assert _titles(first).isdisjoint(_titles(second))
    assert all(t.startswith("Gitterbox Posten") for t in _titles(first) | _titles(second))
    prev = re.findall(r'<a href="(/postings\?[^"]+)" rel="prev">', second)
    assert prev and "kind=offer" in prev[0]
    assert client.get("/postings?q=gitterbox&kind=offer&page=3").status_code == 404


def test_public_posting_page(client: FlaskClient, world: World) -> None:
    client.get("/language/en")
    page = body(client, f"/postings/{world.posting_a1.id}")
    assert "Edelstahlblech 2 mm gesucht" in page
    assert "Alpha Feinmechanik GmbH" in page
    assert f'href="/companies/{world.company_a1.id}"' in page
    assert world.company_a1.contact_email not in page
    assert "Contact details are shared when a network manager introduces" in page
    assert "Not publicly visible" not in page
    assert "Manage this posting" not in page


def test_own_posting_page_links_to_the_member_area(client: FlaskClient, world: World) -> None:
    client.get("/language/en")
    login_as(client, world.member_a1)
    draft = body(client, f"/postings/{world.draft_a1.id}")
    assert "Not publicly visible" in draft
    assert f'href="/my/postings/{world.draft_a1.id}"' in draft
    assert world.company_a1.contact_email in draft


def test_company_page(client: FlaskClient, session: Session, world: World) -> None:
    client.get("/language/en")
    page = body(client, f"/companies/{world.company_a1.id}")
    assert "Alpha Feinmechanik GmbH" in page and "07745 Jena" in page
    assert "Lohnfertigung und Baugruppen." in page
    assert 'href="/postings?network=netz-nord"' in page
    assert "Edelstahlblech 2 mm gesucht" in page
    assert "Freie Fräskapazität" not in page  # a draft
    for secret in (world.company_a1.contact_email, world.company_a1.contact_phone, "Erika Muster"):
        assert secret not in page
    assert "Industriestraße 1" not in page  # the street address is not public either


def test_company_page_escapes_the_profile(
    client: FlaskClient, session: Session, world: World
) -> None:
    company = make_company(
        session,
        [world.network_a],
        name="<i>Kursiv</i> GmbH",
        profile="Zeile 1\n<script>alert(1)</script>",
        website="https://kursiv.example",
    )
    session.commit()
    page = body(client, f"/companies/{company.id}")
    assert "<script>alert(1)</script>" not in page and "<i>Kursiv</i>" not in page
    assert "&lt;i&gt;Kursiv&lt;/i&gt; GmbH" in page
    assert "Zeile 1<br>\n&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The company's own website is a plain link the visitor may follow; nothing is loaded from it.
    assert '<a href="https://kursiv.example" rel="nofollow noopener noreferrer external">' in page


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_company_page_only_for_approved_companies(
    app: Flask, session: Session, world: World, status: str
) -> None:
    manager = Actor.for_user(session, world.manager_a)
    company_id = world.pending_a.id
    assert company_id is not None
    if status == "rejected":
        companies.reject_company(session=session, actor=manager, company_id=company_id, reason="x")
    elif status == "suspended":
        companies.approve_company(session=session, actor=manager, company_id=company_id)
        companies.suspend_company(session=session, actor=manager, company_id=company_id, reason="x")
    session.commit()
    for persona in PERSONAS:
        client = app.test_client()
        login_as(client, world.personas()[persona])
        assert client.get(f"/companies/{company_id}").status_code == 404, persona
    member = app.test_client()
    login_as(member, world.member_pending)
    assert member.get(f"/companies/{company_id}").status_code == 404


# --- headers and third parties -----------------------------------------------------------------


def _pages_of(world: World) -> list[str]:
    return [
        "/",
        "/postings",
        "/postings?q=blech&kind=need",
        f"/postings/{world.posting_a1.id}",
        f"/companies/{world.company_a1.id}",
        "/login",
        "/register",
        "/password/forgot",
        "/account",
        "/my/",
        "/my/postings/new?kind=need",
        f"/my/postings/{world.posting_a1.id}",
        f"/my/postings/{world.posting_a1.id}/edit",
        f"/my/postings/{world.posting_a1.id}/withdraw",
        "/my/company",
        "/my/company/edit",
        "/postings/999999",
    ]


URL_ATTRIBUTE = re.compile(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']([^"']*)["']""")


@pytest.mark.parametrize("persona", ["anonymous", "same_company", "manager_same_network"])
def test_pages_load_nothing_from_third_parties_and_send_security_headers(
    app: Flask, world: World, persona: str
) -> None:
    client = app.test_client()
    login_as(client, world.personas()[persona])
    checked = 0
    for url in _pages_of(world):
        response = client.get(url)
        if response.status_code in (302, 403):
            continue
        checked += 1
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert response.headers.get("Referrer-Policy") == "same-origin", url
        page = text_of(response)
        for target in URL_ATTRIBUTE.findall(page):
            parts = urlsplit(target.replace("&amp;", "&"))
            assert parts.scheme in ("", "mailto"), (url, target)
            assert not target.startswith("//"), (url, target)
        assert "<script>" not in page and " style=" not in page, url
        assert "@import" not in page and "url(http" not in page, url
    assert checked >= 8


def test_stylesheets_load_nothing_from_third_parties(client: FlaskClient) -> None:
    for path in ("/static/css/app.css", "/static/vendor/pico/pico.min.css"):
        with client.get(path) as response:
            assert response.status_code == 200
            css = response.get_data(as_text=True)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), path
        assert "@import" not in css, path


def test_no_account_data_leaks_into_public_pages(client: FlaskClient, world: World) -> None:
    pages = (
        "/",
        "/postings",
        f"/postings/{world.posting_a1.id}",
        f"/companies/{world.company_a1.id}",
    )
    for url in pages:
        page = body(client, url)
        for user in (world.member_a1, world.member_a2, world.manager_a, world.admin):
            assert user.email not in page and user.name not in page, url


def test_browse_form_shows_the_chosen_filters(client: FlaskClient, market: World) -> None:
    page = body(client, "/postings?kind=offer&category=logistics&network=netz-sued&plz=08&q=LKW")
    assert chosen_filters(page) == {
        "kind": "offer",
        "category": "logistics",
        "network": "netz-sued",
        "plz": "08",
        "q": "LKW",
    }
    unknown = client.get("/postings?kind=tender&category=space")
    assert unknown.status_code == 400  # reported, see test_browse_reports_invalid_filter_values
    assert chosen_filters(text_of(unknown)) == {
        "kind": "",
        "category": "",
        "network": "",
        "plz": "",
        "q": "",
    }


def test_footer_links_the_operators_imprint_and_privacy_notice(
    settings: Settings, engine: Engine, world: World
) -> None:
    unset = create_app(settings, engine=engine).test_client()
    assert 'class="legal"' not in body(unset, "/")
    assert "privacy notice" not in body(unset, "/register").lower()

    legal = settings.model_copy(
        update={
            "imprint_url": "https://kammer.example/impressum",
            "privacy_url": "https://kammer.example/datenschutz?a=1&b=2",
        }
    )
    client = create_app(legal, engine=engine).test_client()
    for path in ("/", "/postings", f"/postings/{world.posting_a1.id}", "/login"):
        footer = body(client, path).split('<footer class="container site-footer">')[1]
        assert '<a href="https://kammer.example/impressum">Impressum</a>' in footer, path
        assert '<a href="https://kammer.example/datenschutz?a=1&amp;b=2">Datenschutz</a>' in footer
    register = body(client, "/register")
    assert (
        'Wie wir Ihre Angaben verwenden, erklärt unsere <a href="https://kammer.example/'
        'datenschutz?a=1&amp;b=2">Datenschutzerklärung</a>.'
    ) in register
    client.get("/language/en")
    english = body(client, "/register")
    assert ">Imprint</a>" in english and ">Privacy</a>" in english
    assert "explained in our <a href=" in english and ">privacy notice</a>." in english
