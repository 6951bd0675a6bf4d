"""Pages anybody can see: the landing page, browsing and searching postings, a posting."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from matchmaker import catalog, clock, postings
from matchmaker.access import may_see_contact, public_posting_clause
from matchmaker.accounts import set_language as store_language
from matchmaker.i18n import LANGUAGES, SESSION_KEY
from matchmaker.models import Company, CompanyStatus, Posting, PostingKind, PostingStatus
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
        actor=actor().anonymous(),
        filters=postings.PostingFilters(),
        per_page=6,
    )
    return render_template(
        "public/index.html",
        counts=live_counts(),
        recent=recent.items,
        categories=catalog.list_categories(session=db()),
    )


def parse_filters(args: Any) -> tuple[postings.PostingFilters, dict[str, str]]:
    """Search filters from the query string; unknown values are ignored, not errors."""
    raw = {
        name: (args.get(name) or "").strip() for name in ("kind", "category", "network", "plz", "q")
    }
    kind = raw["kind"] if raw["kind"] in PostingKind.values() else None
    prefix = raw["plz"] if POSTAL_PREFIX_RE.match(raw["plz"]) else None
    return (
        postings.PostingFilters(
            kind=kind,
            category=raw["category"][:40] or None,
            network=raw["network"][:60] or None,
            postal_prefix=prefix,
            query=raw["q"][:200] or None,
        ),
        raw,
    )


@bp.get("/postings")
def browse() -> str:
    filters, raw = parse_filters(request.args)
    page = postings.search_postings(
        session=db(),
        actor=actor(),
        filters=filters,
        page=page_arg(),
        per_page=settings().page_size,
    )
    return render_template(
        "public/browse.html",
        page=page,
        filters=raw,
        plz_invalid=bool(raw["plz"]) and filters.postal_prefix is None,
        categories=catalog.list_categories(session=db()),
        networks=catalog.list_networks(session=db()),
    )


@bp.get("/postings/<int:posting_id>")
def posting_detail(posting_id: int) -> str:
    posting = postings.get_posting(session=db(), actor=actor(), posting_id=posting_id)
    return render_template(
        "public/posting.html",
        posting=posting,
        show_contact=may_see_contact(actor(), posting.company),
        is_public=posting.status == PostingStatus.ACTIVE.value
        and posting.company.status == CompanyStatus.APPROVED.value,
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
