"""Companies, networks and categories through the API."""

from __future__ import annotations

import pytest

from tests.api.conftest import PERSONAS, Api
from tests.factories import World

# persona: (status for company_a1, contact shown, status for the pending company)
COMPANY_STATUS = {
    "anonymous": (401, False, 401),
    "same_company": (200, True, 404),
    "other_company": (200, False, 404),
    "manager_same_network": (200, True, 200),
    "manager_other_network": (200, False, 404),
    "admin": (200, True, 200),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_company_per_persona(api: Api, world: World, persona: str) -> None:
    status, contact, pending_status = COMPANY_STATUS[persona]
    response = api.get(f"companies/{world.company_a1.id}", as_=persona)
    assert response.status_code == status
    pending = api.get(f"companies/{world.pending_a.id}", as_=persona)
    assert pending.status_code == pending_status
    assert pending.is_json
    if status != 200:
        return
    body = response.get_json()
    assert body["name"] == "Alpha Feinmechanik GmbH"
    assert body["status"] == "approved"
    assert body["networks"] == [
        {"id": world.network_a.id, "slug": "netz-nord", "name": "Netzwerk Nord"}
    ]
    assert body["links"] == {
        "self": f"http://localhost/api/v1/companies/{world.company_a1.id}",
        "postings": f"http://localhost/api/v1/postings?company={world.company_a1.id}",
    }
    if contact:
        assert body["contact"] == {
            "name": "Erika Muster",
            "email": world.company_a1.contact_email,
            "phone": "+49 3641 0000",
            "address": "Industriestraße 1",
        }
    else:
        assert body["contact"] is None
        assert world.company_a1.contact_email not in response.get_data(as_text=True)
    if pending_status == 200:
        assert pending.get_json()["status"] == "pending"


def test_unknown_company(api: Api, world: World) -> None:
    response = api.get("companies/999999", as_="admin")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("persona", PERSONAS)
def test_networks_per_persona(api: Api, world: World, persona: str) -> None:
    response = api.get("networks", as_=persona)
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {
                "id": world.network_a.id,
                "slug": "netz-nord",
                "name": "Netzwerk Nord",
                "region": "Thüringen",
                "description": "",
            },
            {
                "id": world.network_b.id,
                "slug": "netz-sued",
                "name": "Netzwerk Süd",
                "region": "Thüringen",
                "description": "",
            },
        ]
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_categories_per_persona(api: Api, world: World, persona: str) -> None:
    response = api.get("categories", as_=persona)
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    items = response.get_json()["items"]
    slugs = [item["slug"] for item in items]
    assert {"material", "logistics", "production_capacity"} <= set(slugs)
    material = next(item for item in items if item["slug"] == "material")
    assert set(material["name"]) == {"de", "en"}
    assert material["name"]["de"] and material["name"]["en"]
    assert material["name"]["de"] != material["name"]["en"]
    assert [item["sort_order"] for item in items] == sorted(item["sort_order"] for item in items)
