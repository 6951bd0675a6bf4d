"""The manager's lists: filters, search, pagination, and bad query strings that must not fail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlmodel import Session

from matchmaker.db import utcnow
from matchmaker.models import Company, CompanyStatus
from tests.factories import World, make_company, make_posting
from tests.helpers import chosen_filters, text_of
from tests.web.staff_access import client_for


def company_links(page: str) -> list[str]:
    return re.findall(r'href="/manage/companies/\d+">([^<]+)</a>', page)


def posting_links(page: str) -> list[str]:
    return re.findall(r'href="/manage/postings/\d+" lang="\w+">([^<]+)</a>', page)


def test_company_list_filters_by_status_and_name(app: Flask, world: World) -> None:
    client = client_for(app, world, "manager_same_network")
    assert company_links(text_of(client.get("/manage/companies?status=pending"))) == [
        "Neu &amp; Co. GmbH"
    ]
    assert company_links(text_of(client.get("/manage/companies?status=approved"))) == [
        "Alpha Feinmechanik GmbH",
        "Anton Kunststoff KG",
    ]
    assert company_links(text_of(client.get("/manage/companies?q=kunst"))) == [
        "Anton Kunststoff KG"
    ]
    assert company_links(text_of(client.get("/manage/companies?q=ALPHA"))) == [
        "Alpha Feinmechanik GmbH"
    ]
    # the search is not a pattern language
    assert company_links(text_of(client.get("/manage/companies?q=%25"))) == []
    assert company_links(text_of(client.get("/manage/companies?q=_"))) == []
    page = text_of(client.get("/manage/companies?status=pending&q=Neu"))
    assert chosen_filters(page) == {"status": "pending", "q": "Neu"}


def test_company_list_network_filter_stays_within_the_managers_networks(
    app: Flask, world: World
) -> None:
    admin = client_for(app, world, "admin")
    assert company_links(text_of(admin.get("/manage/companies?network=netz-sued"))) == [
        "Berta Logistik GmbH"
    ]
    manager = client_for(app, world, "manager_same_network")
    # another network's slug is ignored, not used to peek into it
    names = company_links(text_of(manager.get("/manage/companies?network=netz-sued")))
    assert "Berta Logistik GmbH" not in names and "Alpha Feinmechanik GmbH" in names


def test_company_list_pages(app: Flask, world: World, session: Session) -> None:
    for n in range(25):
        make_company(session, [world.network_a], name=f"Zulieferer {n:02d} GmbH")
    session.commit()
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    first = text_of(client.get("/manage/companies"))
    second = text_of(client.get("/manage/companies?page=2"))
    assert len(company_links(first)) == 20
    assert len(company_links(second)) == 8  # 25 + 3 of the world
    assert set(company_links(first)).isdisjoint(company_links(second))
    assert "28 companies" in first
    assert 'href="/manage/companies?page=2"' in first
    # the filters travel with the page links
    filtered = text_of(client.get("/manage/companies?q=zulieferer"))
    assert 'href="/manage/companies?page=2&amp;q=zulieferer"' in filtered


@pytest.mark.parametrize(
    "query",
    [
        "status=unknown",
        "status=pending&page=-1",
        "page=abc",
        "page=99999999999",
        "q=" + "x" * 5000,
        "network=%01",
        "q=%01",
        "q=a%1Fb",
        "q=%F0%9F%98%80",
    ],
)
def test_company_list_survives_bad_query_strings(app: Flask, world: World, query: str) -> None:
    response = client_for(app, world, "manager_same_network").get(f"/manage/companies?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "kind=%01",
        "status=%01",
        "category=%01",
        "category=" + "c" * 500,
        "network=%01",
        "q=%01",
        "q=" + "x" * 5000,
        "page=-5",
    ],
)
def test_posting_list_survives_bad_query_strings(app: Flask, world: World, query: str) -> None:
    response = client_for(app, world, "admin").get(f"/manage/postings?{query}")
    assert response.status_code == 200


def test_posting_list_filters(app: Flask, world: World, session: Session) -> None:
    make_posting(
        session,
        world.member_a2,
        kind="offer",
        title="Kühlschmierstoff abzugeben",
        category="material",
    )
    session.commit()
    client = client_for(app, world, "manager_same_network")

    def titles(query: str) -> set[str]:
        return set(posting_links(text_of(client.get(f"/manage/postings?{query}"))))

    everything = {world.posting_a1.title, world.draft_a1.title, "Kühlschmierstoff abzugeben"}
    assert titles("") == everything
    assert titles("kind=need") == {world.posting_a1.title}
    assert titles("kind=offer") == {world.draft_a1.title, "Kühlschmierstoff abzugeben"}
    assert titles("status=draft") == {world.draft_a1.title}
    assert titles("category=production_capacity") == {world.draft_a1.title}
    assert titles("q=kuehlschmierstoff") == {"Kühlschmierstoff abzugeben"}
    assert titles("kind=offer&category=material") == {"Kühlschmierstoff abzugeben"}
    assert titles("kind=bogus&status=bogus") == everything
    assert titles("category=unknown") == everything  # ignored, not an error

    # the form shows what was chosen
    page = text_of(client.get("/manage/postings?kind=offer&status=draft&category=material&q=KSS"))
    assert chosen_filters(page) == {
        "kind": "offer",
        "status": "draft",
        "category": "material",
        "q": "KSS",
    }


def test_dashboard_counts_and_waiting_time(app: Flask, world: World, session: Session) -> None:
    make_company(
        session, [world.network_a], name="Zweite Anmeldung AG", status=CompanyStatus.PENDING
    )
    old = session.get(Company, world.pending_a.id)
    assert old is not None
    old.created_at = utcnow() - timedelta(days=5, hours=1)
    session.add(old)
    session.commit()
    client = client_for(app, world, "manager_same_network")
    client.get("/language/en")
    page = text_of(client.get("/manage/"))
    assert re.search(r"<strong>2</strong> waiting for approval", page)
    assert re.search(r"<strong>2</strong> approved companies", page)
    assert re.search(r"<strong>1</strong> active needs", page)
    assert re.search(r"<strong>0</strong> active offers", page)  # the offer is a draft
    # oldest registration first, with its waiting time
    assert page.index("Neu &amp; Co. GmbH") < page.index("Zweite Anmeldung AG")
    assert "waiting for 5 days" in page
    assert '<tr class="overdue">' in page
