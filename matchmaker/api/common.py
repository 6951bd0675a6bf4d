"""What every API endpoint uses: the caller, the request's session, links and headers."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for

from matchmaker.access import Actor
from matchmaker.context import db
from matchmaker.pagination import Page

# A path segment naming an object by id: ids beyond 32 bits cannot exist and never reach SQL.
ID = "int(min=1, max=2147483647)"

__all__ = ["ID", "api_actor", "db", "etag", "if_match_version", "page_link_header", "url"]


def api_actor() -> Actor:
    """The account of the request's bearer token (set by :func:`matchmaker.api.auth`)."""
    actor: Actor = g.api_actor
    return actor


def url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def page_link_header(page: Page[Any], endpoint: str, **values: Any) -> str:
    """An RFC 8288 ``Link`` header with first, prev, next and last of a paged list."""
    args = {key: value for key, value in request.args.items() if key != "page"}
    targets = {"first": 1, "last": page.pages}
    if page.has_prev:
        targets["prev"] = min(page.page - 1, page.pages)
    if page.has_next:
        targets["next"] = page.page + 1
    return ", ".join(
        f'<{url(endpoint, **values, **args, page=number)}>; rel="{rel}"'
        for rel, number in targets.items()
    )


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version an ``If-Match`` header names; None without the header or with ``*``.

    A header naming no version of ours (or several) gives -1, which never matches, so the
    service answers as for a stale version once it has checked access.
    """
    if "If-Match" not in request.headers:
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = [tag for tag in tags.as_set(include_weak=True) if tag.isdigit() and len(tag) < 10]
    return int(versions[0]) if len(versions) == 1 else -1
