"""Pages anybody can see: the landing page, browsing and searching postings, a posting, a company.

Lists show what the public sees (approved companies' active, valid postings) to everybody, so a
member's drafts or a manager's paused postings never mix into the market place; a single posting
or company page shows more to those allowed to see it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from matchmaker import catalog, clock, companies, postings
from matchmaker.access import Actor, may_see_contact, public_posting_clause
from matchmaker.accounts import set_language as store_language
from matchmaker.i18n import LANGUAGES, SESSION_KEY
from matchmaker.models import Company, CompanyStatus, Posting, PostingKind, PostingStatus
from matchmaker.review import interest
from matchmaker.web.common import actor, current_db_user, db, page_arg, safe_next, settings

bp = Blueprint("public", __name__)

POSTAL_PREFIX_RE = re.compile(r"^[0-9]{1,5}$")


def live_counts() -> dict[str, int]:
    session = db()
    today = clock.today()
    rows = session.execute(
        select(Posting.kind, func.count())
        .where(public_posting_clause(today))
        .group_by(Posting.kind)
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


def parse_filters(args: Any) -> tuple[postings.PostingFilters, dict[str, str]]:
    """Search filters from the query string; unknown values are ignored, not errors.

    Returns the filters and the values to show in the form again.
    """
    raw = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    categories = {c.slug for c in catalog.list_categories(session=db())}
    networks = {n.slug for n in catalog.list_networks(session=db())}
    kind = raw["kind"] if raw["kind"] in PostingKind.values() else None
    category = raw["category"] if raw["category"] in categories else None
    network = raw["network"] if raw["network"] in networks else None
    prefix = raw["plz"] if POSTAL_PREFIX_RE.match(raw["plz"]) else None
    query = raw["q"][:200] or None
    shown = {
        "q": query or "",
        "kind": kind or "",
        "category": category or "",
        "network": network or "",
        "plz": raw["plz"][:5],
    }
    return (
        postings.PostingFilters(
            kind=kind,
            category=category,
            network=network,
            postal_prefix=prefix,
            query=query,
        ),
        shown,
    )


@bp.get("/postings")
def browse() -> str:
    filters, shown = parse_filters(request.args)
    page = postings.search_postings(
        session=db(),
        actor=Actor.anonymous(),
        filters=filters,
        page=page_arg(),
        per_page=settings().page_size,
    )
    # Pagination links keep the filters that are in effect, and only those.
    kept = {name: value for name, value in shown.items() if value}
    if filters.postal_prefix is None:
        kept.pop("plz", None)
    return render_template(
        "public/browse.html",
        page=page,
        filters=shown,
        kept_filters=kept,
        plz_invalid=bool(shown["plz"]) and filters.postal_prefix is None,
        categories=catalog.list_categories(session=db()),
        networks=catalog.list_networks(session=db()),
    )


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
        is_public=posting.status == PostingStatus.ACTIVE.value
        and posting.valid_until >= clock.today()
        and company_public,
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
    return render_template(
        "public/company.html",
        company=found,
        page=page,
        show_contact=may_see_contact(actor(), found),
    )


@bp.route("/language/<language>", methods=["GET", "POST"])
def set_language(language: str) -> Response:
    if language not in LANGUAGES:
        abort(404)
    session[SESSION_KEY] = language
    user = current_db_user()
    if user is not None:
        store_language(session=db(), user=user, language=language)
        db().commit()
    return redirect(safe_next(url_for("public.index")))
