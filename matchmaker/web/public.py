"""Pages anybody can see: the landing page, browsing and searching postings, a posting, a company.

Lists show what the public sees (approved companies' active, valid postings) to everybody, so a
member's drafts or a manager's paused postings never mix into the market place; a single posting
or company page shows more to those allowed to see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from matchmaker import catalog, clock, companies, postings
from matchmaker.access import Actor, is_live, live_posting_clause, may_see_contact
from matchmaker.accounts import set_language as store_language
from matchmaker.i18n import LANGUAGES, SESSION_KEY
from matchmaker.i18n import gettext as _
from matchmaker.models import Company, CompanyStatus, Posting, PostingKind
from matchmaker.review import interest
from matchmaker.web.common import (
    actor,
    current_db_user,
    db,
    page_arg,
    safe_next,
    settings,
    within_pages,
)

bp = Blueprint("public", __name__)

POSTAL_PREFIX_RE = re.compile(r"^[0-9]{1,5}$")


def live_counts() -> dict[str, int]:
    session = db()
    today = clock.today()
    rows = session.execute(
        select(Posting.kind, func.count()).where(live_posting_clause(today)).group_by(Posting.kind)
    ).all()
    by_kind = {str(kind): int(count) for kind, count in rows}
    companies = session.execute(
        select(func.count())
        .select_from(Company)
        .where(Company.status == CompanyStatus.APPROVED.value)
    ).scalar_one()
    return {
        "needs": by_kind.get(PostingKind.NEED.value, 0),
        "offers": by_kind.get(PostingKind.OFFER.value, 0),
        "companies": int(companies),
        "networks": len(catalog.list_networks(session=session)),
    }


@bp.get("/")
def index() -> str:
    recent = postings.search_postings(
        session=db(),
        actor=Actor.anonymous(),
        filters=postings.PostingFilters(),
        per_page=6,
    )
    return render_template(
        "public/index.html",
        counts=live_counts(),
        recent=recent.items,
        categories=catalog.list_categories(session=db()),
    )


FILTER_NAMES = ("q", "kind", "category", "network", "plz")


@dataclass
class BrowseFilters:
    """The filters of the query string, the values to show again, and what is wrong with them."""

    filters: postings.PostingFilters
    shown: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse_filters(args: Any) -> BrowseFilters:
    """Search filters from the query string; a value that is not offered is reported."""
    raw = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    offered = {
        "kind": (set(PostingKind.values()), _("Please choose one of the offered values.")),
        "category": (
            {c.slug for c in catalog.list_categories(session=db())},
            _("Please choose one of the offered categories."),
        ),
        "network": (
            {n.slug for n in catalog.list_networks(session=db())},
            _("Please choose one of the offered networks."),
        ),
    }
    errors: dict[str, list[str]] = {}
    chosen: dict[str, str | None] = {}
    for name, (values, message) in offered.items():
        chosen[name] = raw[name] if raw[name] in values else None
        if raw[name] and chosen[name] is None:
            errors[name] = [message]
    prefix = raw["plz"] if POSTAL_PREFIX_RE.match(raw["plz"]) else None
    if raw["plz"] and prefix is None:
        errors["plz"] = [_("Please enter one to five digits.")]
    query = raw["q"][:200] or None
    shown = {
        "q": query or "",
        "kind": chosen["kind"] or "",
        "category": chosen["category"] or "",
        "network": chosen["network"] or "",
        "plz": raw["plz"][:5],
    }
    filters = postings.PostingFilters(
        kind=chosen["kind"],
        category=chosen["category"],
        network=chosen["network"],
        postal_prefix=prefix,
        query=query,
    )
    return BrowseFilters(filters=filters, shown=shown, errors=errors)


@bp.get("/postings")
def browse() -> str | tuple[str, int]:
    parsed = parse_filters(request.args)
    context: dict[str, Any] = {
        "filters": parsed.shown,
        "errors": parsed.errors,
        "categories": catalog.list_categories(session=db()),
        "networks": catalog.list_networks(session=db()),
    }
    if parsed.errors:
        # No list under filters that are not in effect: it would count the wrong postings.
        return render_template("public/browse.html", page=None, **context), 400
    page = within_pages(
        postings.search_postings(
            session=db(),
            actor=Actor.anonymous(),
            filters=parsed.filters,
            page=page_arg(),
            per_page=settings().page_size,
        )
    )
    # Pagination links keep the filters that are in effect, and only those.
    kept = {name: value for name, value in parsed.shown.items() if value}
    return render_template("public/browse.html", page=page, kept_filters=kept, **context)


@bp.get("/postings/<int:posting_id>")
def posting_detail(posting_id: int) -> str:
    posting = postings.get_posting(session=db(), actor=actor(), posting_id=posting_id)
    company = posting.company
    company_public = company.status == CompanyStatus.APPROVED.value
    return render_template(
        "public/posting.html",
        posting=posting,
        show_contact=may_see_contact(actor(), company),
        company_public=company_public,
        is_public=is_live(posting, clock.today()),
        may_manage=actor().company_id == company.id and actor().is_member,
        interest_postings=interest.own_candidates(session=db(), actor=actor(), posting=posting),
    )


@bp.get("/companies/<int:company_id>")
def company(company_id: int) -> str:
    """The public page of an approved company: who they are and what they currently post."""
    found = companies.get_company(session=db(), actor=Actor.anonymous(), company_id=company_id)
    page = postings.search_postings(
        session=db(),
        actor=Actor.anonymous(),
        filters=postings.PostingFilters(company_id=company_id),
        page=page_arg(),
        per_page=settings().page_size,
    )
    within_pages(page)
    return render_template(
        "public/company.html",
        company=found,
        page=page,
        show_contact=may_see_contact(actor(), found),
    )


@bp.route("/language/<language>", methods=["GET", "POST"])
def set_language(language: str) -> Response:
    """Switch the language of this browser; a POST (with its CSRF token) of a signed-in user
    also stores it on the account. A GET only ever changes the session: it changes no data."""
    if language not in LANGUAGES:
        abort(404)
    session[SESSION_KEY] = language
    user = current_db_user()
    if user is not None and request.method == "POST":
        store_language(session=db(), user=user, language=language)
        db().commit()
    return redirect(safe_next(url_for("public.index")))
