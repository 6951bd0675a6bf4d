"""Postings of the manager's networks: list, detail, moderation."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import audit, catalog, match_jobs, matches, postings
from matchmaker.errors import Conflict, InvalidInput, PermissionDenied
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Category,
    Network,
    Posting,
    PostingKind,
    PostingStatus,
)
from matchmaker.schemas import ReviewInput
from matchmaker.validation import parse
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    page_arg,
    redirect_to,
    settings,
)
from matchmaker.web.manager.base import _set, bp, my_networks, staff_only

# --- postings --------------------------------------------------------------------------------


def _posting_filters(
    args: Any, networks: list[Network], categories: list[Category]
) -> tuple[postings.PostingFilters, dict[str, str]]:
    """Filters from the query string; unknown values are ignored, not errors."""
    raw = {
        name: (args.get(name) or "").strip()
        for name in ("kind", "category", "status", "q", "network")
    }
    shown = {
        "kind": raw["kind"] if raw["kind"] in PostingKind.values() else "",
        "status": raw["status"] if raw["status"] in PostingStatus.values() else "",
        "category": raw["category"] if raw["category"] in {c.slug for c in categories} else "",
        "network": raw["network"] if raw["network"] in {n.slug for n in networks} else "",
        "q": raw["q"][:200],
    }
    filters = postings.PostingFilters(
        kind=shown["kind"] or None,
        status=shown["status"] or None,
        category=shown["category"] or None,
        network=shown["network"] or None,
        query=shown["q"] or None,
    )
    return filters, shown


@bp.get("/postings")
@staff_only
def posting_list() -> str:
    acting = actor()
    networks = my_networks(acting)
    categories = catalog.list_categories(session=db(), include_inactive=True)
    filters, shown = _posting_filters(request.args, networks, categories)
    page = postings.search_postings(
        session=db(),
        actor=acting,
        filters=filters,
        managed_only=True,
        page=page_arg(),
        per_page=settings().page_size,
    )
    return render_template(
        "manager/postings.html",
        page=page,
        filters=shown,
        page_args=_set(shown),
        networks=networks,
        categories=categories,
        statuses=PostingStatus.values(),
    )


def moderation_actions(posting: Posting) -> list[str]:
    """The moderation actions possible in the posting's current status."""
    return [
        action
        for action in ("pause", "withdraw")
        if PostingStatus(posting.status) in postings.TRANSITIONS[action][0]
    ]


def _render_posting(
    posting: Posting, *, form: Form | None = None, message: str = "", status: int = 200
) -> tuple[str, int]:
    history = audit.history(db(), entity="posting", entity_id=posting.id or 0)
    try:
        suggestions = matches.matches_for_posting(
            session=db(), actor=actor(), posting_id=posting.id or 0
        )
    except PermissionDenied:
        suggestions = []
    acting = actor()
    managed_partner_ids = {
        partner.id
        for _match, partner in suggestions
        if acting.is_admin or any(n.id in acting.network_ids for n in partner.company.networks)
    }
    return render_template(
        "manager/posting.html",
        posting=posting,
        suggestions=suggestions,
        matching_pending=bool(match_jobs.matching_pending(db(), [posting.id or 0])),
        managed_partner_ids=managed_partner_ids,
        history=history,
        actors=audit.actors_of(db(), history),
        actions=moderation_actions(posting),
        form=form or Form(),
        message=message,
    ), status


@bp.get("/postings/<int:posting_id>")
@staff_only
def posting_detail(posting_id: int) -> tuple[str, int]:
    posting = postings.get_moderated_posting(session=db(), actor=actor(), posting_id=posting_id)
    return _render_posting(posting)


MODERATION_DONE: dict[str, Any] = {
    "pause": _l("The posting is paused. The company has been informed."),
    "withdraw": _l("The posting is withdrawn. The company has been informed."),
}


@bp.post("/postings/<int:posting_id>/moderate")
@staff_only
def moderate_posting(posting_id: int) -> Response | tuple[str, int]:
    session = db()
    acting = actor()
    postings.get_moderated_posting(session=session, actor=acting, posting_id=posting_id)
    values = form_data("action", "reason", "expected_status")
    try:
        data = parse(ReviewInput, {"reason": values["reason"]})
        posting = postings.moderate_posting(
            session=session,
            actor=acting,
            posting_id=posting_id,
            action=values["action"],
            reason=data.reason,
            expected_status=values["expected_status"] or None,
        )
        session.commit()  # the service queued the company's notice
    except InvalidInput as error:
        session.rollback()
        posting = postings.get_moderated_posting(
            session=session, actor=acting, posting_id=posting_id
        )
        return _render_posting(posting, form=Form.failed(values, error), status=422)
    except Conflict as error:
        session.rollback()
        posting = postings.get_moderated_posting(
            session=session, actor=acting, posting_id=posting_id
        )
        return _render_posting(posting, message=str(error.message), status=409)
    flash(str(MODERATION_DONE[values["action"]]), "success")
    return redirect_to("manager.posting_detail", posting_id=posting_id)
