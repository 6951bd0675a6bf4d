"""The managers' review queue: decide on suggested matches without leaving the list.

Every decision is a plain form POST that redirects back (works without JavaScript); the small
script ``static/js/review.js`` sends the same form with ``fetch`` and gets JSON instead, so the
queue updates in place. Keyboard shortcuts are handled by the same script and listed on the page.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from matchmaker import catalog, clock, match_jobs
from matchmaker.errors import DomainError, FieldError, InvalidInput
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.i18n import ngettext
from matchmaker.models import MatchStatus, Role
from matchmaker.review import decisions, introductions, learning, mails, queue, states
from matchmaker.web.common import actor, db, page_arg, role_required, safe_next, settings

bp = Blueprint("review", __name__, url_prefix="/manager")
staff_only = role_required(Role.MANAGER, Role.ADMIN)

COMPONENT_LABELS = {
    "text": _l("Text overall"),
    "text_word": _l("Shared words"),
    "text_char": _l("Similar spelling"),
    "concept": _l("Thesaurus concepts"),
    "fuzzy": _l("Fuzzy match"),
    "category": _l("Category"),
    "distance": _l("Distance"),
    "quantity": _l("Quantity"),
    "availability": _l("Time frame"),
    "penalty": _l("Penalty"),
}
SORT_LABELS = {"score": _l("Score"), "date": _l("Newest"), "category": _l("Category")}
STATUS_FILTER_LABELS: dict[str, Any] = {
    queue.WAITING: _l("Waiting for a decision"),
    **{str(status): label for status, label in states.STATUS_LABELS.items()},
    "all": _l("All"),
}
DECISIONS = ("approve", "reject", "snooze")
SHORTCUTS = (
    ("j", _l("next entry")),
    ("k", _l("previous entry")),
    ("a", _l("approve")),
    ("r", _l("reject (choose the reason first)")),
    ("s", _l("snooze (choose the date first)")),
    ("x", _l("select for a bulk action")),
    ("o", _l("open the match")),
    ("?", _l("show or hide these shortcuts")),
)


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with the matched words marked (longest first, case-insensitive)."""
    words = sorted({t for t in terms if t and len(t) > 1}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        parts.append(str(escape(text[last : found.start()])))
        parts.append(f"<mark>{escape(found.group(0))}</mark>")
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def matched_words(explanation: dict[str, Any], side: str) -> list[str]:
    """The words of one side (``need`` or ``offer``) that the explanation names as matched."""
    words = [term.get(side, "") for term in explanation.get("matched_terms", [])]
    words += [concept.get(f"{side}_term", "") for concept in explanation.get("concepts", [])]
    return [word for word in words if word]


bp.add_app_template_filter(highlight, "highlight")
bp.add_app_template_global(matched_words, "matched_words")


def _filters() -> tuple[queue.QueueFilters, dict[str, str], list[str]]:
    """The queue's filters from the query string; invalid values are reported and ignored."""
    args = request.args
    problems: list[str] = []
    shown = {
        name: (args.get(name) or "").strip()
        for name in ("status", "category", "network", "min_score", "sort", "source")
    }
    session = db()
    if shown["status"] and shown["status"] not in queue.STATUS_FILTERS:
        problems.append(_("Unknown status “%(value)s”.", value=shown["status"]))
        shown["status"] = ""
    categories = {c.slug for c in catalog.list_categories(session=session, include_inactive=True)}
    if shown["category"] and shown["category"] not in categories:
        problems.append(_("Unknown category “%(value)s”.", value=shown["category"]))
        shown["category"] = ""
    networks = {n.slug for n in my_networks()}
    if shown["network"] and shown["network"] not in networks:
        problems.append(_("Unknown network “%(value)s”.", value=shown["network"]))
        shown["network"] = ""
    min_score = None
    if shown["min_score"]:
        if shown["min_score"].isdigit() and 0 <= int(shown["min_score"]) <= 100:
            min_score = int(shown["min_score"]) / 100
        else:
            problems.append(_("The minimum score is a whole number from 0 to 100."))
            shown["min_score"] = ""
    if shown["sort"] and shown["sort"] not in queue.SORTS:
        problems.append(_("Unknown order “%(value)s”.", value=shown["sort"]))
        shown["sort"] = ""
    if shown["source"] and shown["source"] not in ("engine", "company"):
        shown["source"] = ""
    filters = queue.QueueFilters(
        status=shown["status"] or queue.WAITING,
        category=shown["category"] or None,
        network=shown["network"] or None,
        min_score=min_score,
        source=shown["source"] or None,
        sort=shown["sort"] or "score",
    )
    return filters, shown, problems


def my_networks() -> list[Any]:
    acting = actor()
    networks = catalog.list_networks(session=db(), include_inactive=True)
    return [n for n in networks if acting.is_admin or n.id in acting.network_ids]


@bp.get("/matches", endpoint="queue")
@staff_only
def queue_page() -> str:
    filters, shown, problems = _filters()
    networks = my_networks()
    calibrated = learning.thresholds(db(), {n.id for n in networks if n.id is not None})
    filters = replace(filters, thresholds=tuple(sorted(calibrated.items())))
    page = queue.review_queue(
        session=db(),
        actor=actor(),
        filters=filters,
        page=page_arg(),
        per_page=settings().page_size,
    )
    return render_template(
        "review/queue.html",
        page=page,
        filters=shown,
        page_args={k: v for k, v in shown.items() if v},
        problems=problems,
        categories=catalog.list_categories(session=db(), include_inactive=True),
        networks=networks,
        calibrated=[(n, calibrated[n.id]) for n in networks if n.id in calibrated],
        **_labels(),
    )


@bp.get("/calibration")
@role_required(Role.ADMIN)
def calibration() -> str:
    """Each network's calibrated threshold with the decisions it was learnt from."""
    networks = catalog.list_networks(session=db(), include_inactive=True)
    return render_template(
        "review/calibration.html",
        calibrations=learning.calibrations(db(), networks),
        min_decisions=learning.MIN_DECISIONS,
    )


def _labels() -> dict[str, Any]:
    return {
        "component_labels": COMPONENT_LABELS,
        "status_labels": states.STATUS_LABELS,
        "status_filter_labels": STATUS_FILTER_LABELS,
        "sort_labels": SORT_LABELS,
        "reason_labels": decisions.REJECT_REASON_LABELS,
        "outcome_labels": decisions.OUTCOME_LABELS,
        "shortcuts": SHORTCUTS,
        "allowed_actions": states.allowed_actions,
        "today": clock.today(),
    }


@bp.get("/matches/<int:match_id>")
@staff_only
def detail(match_id: int) -> str:
    match = decisions.get_match(session=db(), actor=actor(), match_id=match_id)
    history = decisions.history(session=db(), match_id=match_id)
    defaults = {}
    if "introduce" in states.allowed_actions(match):
        defaults = {side: mails.default_text(db(), match, side)[1] for side in mails.SIDES}
    pending = match_jobs.matching_pending(db(), [match.need_id, match.offer_id])
    return render_template(
        "review/detail.html",
        match=match,
        history=history,
        defaults=defaults,
        matching_pending=pending,
        **_labels(),
    )


def _decide(match_id: int, action: str) -> Any:
    """Run one decision from the submitted form; returns the match."""
    form = request.form
    session = db()
    acting = actor()
    if action == "approve":
        return decisions.approve(session=session, actor=acting, match_id=match_id)
    if action == "reject":
        return decisions.reject(
            session=session,
            actor=acting,
            match_id=match_id,
            reason=form.get("reason", ""),
            note=form.get("note", ""),
        )
    if action == "snooze":
        until = _parse_date(form.get("until", ""))
        return decisions.snooze(session=session, actor=acting, match_id=match_id, until=until)
    if action == "introduce":
        texts = introductions.Texts(
            need=form.get("need_message", ""), offer=form.get("offer_message", "")
        )
        return introductions.introduce(
            session=session, actor=acting, match_id=match_id, texts=texts
        )
    if action == "outcome":
        return decisions.record_outcome(
            session=session, actor=acting, match_id=match_id, outcome=form.get("outcome", "")
        )
    raise InvalidInput([FieldError("action", "invalid", _l("Unknown action."))])


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            [FieldError("until", "invalid", _l("Please enter a valid date (YYYY-MM-DD)."))]
        ) from None


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


DONE_MESSAGES = {
    MatchStatus.INTRODUCED.value: _l("Introduced: both companies get an e-mail."),
    MatchStatus.APPROVED.value: _l("Approved."),
    MatchStatus.REJECTED.value: _l("Rejected."),
    MatchStatus.SNOOZED.value: _l("Snoozed."),
}


@bp.post("/matches/<int:match_id>/decide")
@staff_only
def decide(match_id: int) -> Response | tuple[Response, int]:
    action = request.form.get("action", "")
    back = safe_next(url_for("review.queue"))
    try:
        match = _decide(match_id, action)
        db().commit()
    except DomainError as error:
        db().rollback()
        message = str(error.message)
        if isinstance(error, InvalidInput):
            message = " ".join([message, *(str(e.message) for e in error.errors)])
        if _wants_json():
            return jsonify(error=error.code, message=message, details=error.details()), error.status
        flash(message, "error")
        return _redirect(back)
    message = str(DONE_MESSAGES.get(match.status, _("Saved.")))
    if _wants_json():
        return jsonify(
            id=match.id,
            status=match.status,
            status_label=str(states.STATUS_LABELS[MatchStatus(match.status)]),
            message=message,
            actions=states.allowed_actions(match),
        ), 200
    flash(message, "success")
    return _redirect(back)


def _redirect(target: str) -> Response:
    return redirect(target, code=303)


@bp.post("/matches/bulk")
@staff_only
def bulk() -> Response:
    """One decision for every selected entry; each entry succeeds or fails on its own."""
    action = request.form.get("action", "")
    back = safe_next(url_for("review.queue"))
    ids = [int(raw) for raw in request.form.getlist("match_id") if raw.isdigit()]
    if not ids:
        flash(_("Please select at least one entry."), "error")
        return _redirect(back)
    done, failed = 0, []
    for match_id in ids:
        savepoint = db().begin_nested()
        try:
            _decide(match_id, action)
            savepoint.commit()
            done += 1
        except DomainError as error:
            savepoint.rollback()
            failed.append(f"#{match_id}: {error.message}")
    db().commit()
    if done:
        flash(ngettext("%(num)d entry done.", "%(num)d entries done.", done), "success")
    if failed:
        flash(_("Not possible: %(entries)s", entries="; ".join(failed)), "error")
    return _redirect(back)
