"""``/api/v1/networks`` and ``/api/v1/categories``: the values the posting filters accept."""

from __future__ import annotations

from typing import Any

from matchmaker import catalog
from matchmaker.api import bp
from matchmaker.api.common import db
from matchmaker.api.schemas import CategoryList, CategoryOut, LocalizedText, NetworkList, NetworkOut
from matchmaker.api.spec import CATALOG, SECURITY, responses, spec


@bp.get("/networks")
@spec.validate(
    resp=responses(HTTP_200=NetworkList),
    tags=[CATALOG],
    security=SECURITY,
    operation_id="listNetworks",
)
def list_networks() -> Any:
    """List the active networks

    Their slugs are the values of the `network` filter of the posting list.
    """
    return NetworkList(
        items=[
            NetworkOut(
                id=network.id,
                slug=network.slug,
                name=network.name,
                region=network.region,
                description=network.description,
            )
            for network in catalog.list_networks(session=db())
        ]
    )


@bp.get("/categories")
@spec.validate(
    resp=responses(HTTP_200=CategoryList),
    tags=[CATALOG],
    security=SECURITY,
    operation_id="listCategories",
)
def list_categories() -> Any:
    """List the active categories

    With their German and English names. Their slugs are the values of a posting's `category`.
    """
    return CategoryList(
        items=[
            CategoryOut(
                id=category.id,
                slug=category.slug,
                name=LocalizedText(de=category.name_de, en=category.name_en),
                description=LocalizedText(de=category.description_de, en=category.description_en),
                sort_order=category.sort_order,
            )
            for category in catalog.list_categories(session=db())
        ]
    )
