"""The company's needs and offers: writing, editing and the lifecycle steps."""

from __future__ import annotations

from contextlib import suppress
from datetime import date, timedelta
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from matchmaker import catalog, clock, postings
from matchmaker.access import is_live
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import current_language
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, CompanyStatus, PostingKind, PostingStatus, Role, Unit
from matchmaker.review import company_view
from matchmaker.schemas import RenewalInput
from matchmaker.validation import parse
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    role_required,
    safe_next,
)
from matchmaker.web.labels import UNIT_LABELS
from matchmaker.web.member.base import (
    ACTION_HELP,
    ACTION_LABELS,
    FIELD_LABELS,
    HISTORY_LABELS,
    POSTING_FIELDS,
    _format_date,
    _number_text,
    _user,
    bp,
    limits,
    own_company,
)


def _posting_payload(values: dict[str, str]) -> dict[str, Any]:
    """The typed form values as :class:`PostingCreate` reads them.

    Browsers send numbers with a dot; "2,5" typed into a plain text field is read as 2.5, as a
    German user means it.
    """
    payload: dict[str, Any] = dict(values)
    quantity = values.get("quantity", "").strip()
    if "," in quantity:
        with suppress(NumberFormatError):  # otherwise the validation says what is wrong
            payload["quantity"] = str(parse_decimal(quantity, locale="de_DE", strict=True))
    return payload


def _form_values(posting: Any) -> dict[str, Any]:
    values = postings.posting_values(posting)
    values["quantity"] = _number_text(values["quantity"])
    values["radius_km"] = _number_text(values["radius_km"])
    values["version"] = posting.version
    return values


def _display_values(posting: Any) -> dict[str, str]:
    """The stored fields as a person reads them (labels, local dates), for the conflict box."""
    language = current_language()
    values = {
        name: _number_text(value) if name in ("quantity", "radius_km") else value
        for name, value in postings.posting_values(posting).items()
    }
    shown: dict[str, str] = {}
    for name, value in values.items():
        if value in (None, ""):
            shown[name] = "—"
        elif name == "kind":
            shown[name] = str(postings.kind_label(value))
        elif name == "category":
            shown[name] = posting.category.name(language)
        elif name == "unit":
            shown[name] = str(UNIT_LABELS.get(value, value))
        elif name == "language":
            shown[name] = _("German") if value == "de" else _("English")
        elif isinstance(value, date):
            shown[name] = _format_date(value)
        else:
            shown[name] = str(value)
    return shown


def _form_context(form: Form, company: Company, **extra: Any) -> dict[str, Any]:
    today = clock.today()
    config = limits()
    return {
        "form": form,
        "company": company,
        "category_options": [
            (category.slug, category.name(current_language()))
            for category in catalog.list_categories(session=db())
        ],
        "unit_options": [(unit, UNIT_LABELS[unit]) for unit in Unit.values()],
        "field_labels": FIELD_LABELS,
        "today": today,
        "max_valid_until": today + timedelta(days=config.max_validity_days),
        "default_valid_until": today + timedelta(days=config.default_validity_days),
        **extra,
    }


@bp.route("/postings/new", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def new_posting() -> str | Response | tuple[str, int]:
    company = own_company()
    if request.method == "GET":
        kind = request.args.get("kind", "")
        form = Form(
            values={
                "kind": kind if kind in PostingKind.values() else PostingKind.NEED.value,
                "postal_code": company.postal_code,
                "valid_until": clock.today() + timedelta(days=limits().default_validity_days),
                "language": "",
            }
        )
        return render_template("member/posting_form.html", **_form_context(form, company))
    values = form_data(*POSTING_FIELDS)
    submit = request.form.get("action", "")
    try:
        if submit not in ("draft", "publish"):
            raise InvalidInput.single(
                "action", "enum", _l("Please choose one of the offered values.")
            )
        data = postings.parse_posting(db(), _posting_payload(values), limits=limits())
        posting = postings.create_posting(
            session=db(),
            actor=actor(),
            data=data,
            publish=submit == "publish",
            limits=limits(),
            fallback_language=_user().language,
        )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        form = Form.failed(values, error)
        return render_template("member/posting_form.html", **_form_context(form, company)), 422
    if posting.status == PostingStatus.ACTIVE.value:
        flash(_published_message(company), "success")
    else:
        flash(_("The draft is saved. Publish it when it is ready."), "success")
    return redirect(url_for("member.posting_detail", posting_id=posting.id))


def _published_message(company: Company) -> str:
    if company.status == CompanyStatus.APPROVED.value:
        return _("The posting is published. The network managers will look for partners.")
    return _(
        "The posting is published. Others will see it as soon as a network manager has "
        "approved your company."
    )


@bp.get("/postings/<int:posting_id>")
@role_required(Role.MEMBER)
def posting_detail(posting_id: int) -> str:
    return _render_detail(posting_id, renew_form=Form())


def _date_text(value: Any) -> str:
    """An ISO date from the audit trail in the page's language."""
    try:
        return _format_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def history_rows(history: list[postings.HistoryEntry]) -> list[dict[str, Any]]:
    """The audit trail of a posting as lines a person reads: who, when, what."""
    rows = []
    for entry in history:
        changes = entry.changes
        details: list[str] = []
        status = changes.get("status")
        if entry.action == "posting.create":
            published = status == PostingStatus.ACTIVE.value
            what = _("Created and published") if published else _("Created as draft")
        elif entry.action == "posting.update":
            what = str(HISTORY_LABELS[entry.action])
            names = [str(FIELD_LABELS.get(name, name)) for name in changes]
            details.append(_("Changed: %(fields)s", fields=", ".join(names)))
        elif entry.action == "posting.renew":
            until = (changes.get("valid_until") or [None, None])[1]
            what = _("Renewed until %(date)s", date=_date_text(until))
        else:
            what = str(HISTORY_LABELS.get(entry.action, entry.action))
        if isinstance(status, list) and len(status) == 2 and status[0] != status[1]:
            details.append(
                _(
                    "Status: %(before)s → %(after)s",
                    before=postings.status_label(status[0]),
                    after=postings.status_label(status[1]),
                )
            )
        if changes.get("reason"):
            details.append(_("Reason: %(reason)s", reason=changes["reason"]))
        if entry.actor_name is None:
            who = _("Matchmaker (automatically)")
        elif entry.actor_role == Role.MANAGER.value:
            who = _("%(name)s (network manager)", name=entry.actor_name)
        elif entry.actor_role == Role.ADMIN.value:
            who = _("%(name)s (administrator)", name=entry.actor_name)
        else:
            who = entry.actor_name
        rows.append({"at": entry.at, "who": who, "what": what, "details": details})
    return rows


def _render_detail(posting_id: int, *, renew_form: Form) -> str:
    posting = postings.get_editable_posting(session=db(), actor=actor(), posting_id=posting_id)
    history = postings.posting_history(session=db(), actor=actor(), posting_id=posting_id)
    company = posting.company
    today = clock.today()
    return render_template(
        "member/posting.html",
        review=company_view.posting_review(session=db(), actor=actor(), posting=posting),
        posting=posting,
        company=company,
        history=history_rows(history),
        actions=postings.available_actions(posting.status),
        action_labels=ACTION_LABELS,
        action_help=ACTION_HELP,
        renew_form=renew_form,
        is_public=is_live(posting, today),
        today=today,
        max_valid_until=today + timedelta(days=limits().max_validity_days),
        default_valid_until=today + timedelta(days=limits().default_validity_days),
    )


@bp.route("/postings/<int:posting_id>/edit", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def edit_posting(posting_id: int) -> str | Response | tuple[str, int]:
    posting = postings.get_editable_posting(session=db(), actor=actor(), posting_id=posting_id)
    company = posting.company
    if PostingStatus(posting.status) not in postings.EDITABLE:
        raise Conflict(_l("A fulfilled or withdrawn posting can no longer be edited."))
    if request.method == "GET":
        form = Form(values=_form_values(posting))
        return render_template(
            "member/posting_form.html", **_form_context(form, company, posting=posting)
        )
    values = form_data(*POSTING_FIELDS)
    version = request.form.get("version", "")
    if not version.isdigit():
        abort(400)
    submit = request.form.get("action", "save")
    changes = _posting_payload(values)
    if values["valid_until"] == posting.valid_until.isoformat():
        # Unchanged: the service keeps an expired posting editable without a new date.
        changes.pop("valid_until")
    try:
        postings.update_posting(
            session=db(),
            actor=actor(),
            posting_id=posting_id,
            changes=changes,
            expected_version=int(version),
            limits=limits(),
        )
        if submit == "publish" and posting.status == PostingStatus.DRAFT.value:
            postings.change_status(
                session=db(), actor=actor(), posting_id=posting_id, action="publish"
            )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        form = Form.failed({**values, "version": version}, error)
        return render_template(
            "member/posting_form.html", **_form_context(form, company, posting=posting)
        ), 422
    except Conflict as error:
        db().rollback()
        current = postings.get_editable_posting(session=db(), actor=actor(), posting_id=posting_id)
        if PostingStatus(current.status) not in postings.EDITABLE:
            raise
        # Keep what the user typed and show what is stored now; saving again overwrites it.
        stored = _form_values(current)
        differences = [
            name
            for name in POSTING_FIELDS
            if str(stored.get(name) or "") != str(values.get(name) or "")
        ]
        form = Form(values={**values, "version": current.version}, message=str(error.message))
        shown = _display_values(current)
        return render_template(
            "member/posting_form.html",
            **_form_context(
                form,
                company,
                posting=current,
                conflict=shown,
                conflict_fields=differences,
            ),
        ), 409
    if submit == "publish" and posting.status == PostingStatus.ACTIVE.value:
        flash(_published_message(company), "success")
    else:
        flash(_("Your changes are saved."), "success")
    return redirect(url_for("member.posting_detail", posting_id=posting_id))


STATUS_MESSAGES: dict[str, Any] = {
    "pause": _l("The posting is paused and hidden. Resume it whenever you like."),
    "resume": _l("The posting is visible again."),
    "fulfil": _l("The posting is marked as fulfilled. Thank you for letting us know!"),
}


@bp.post("/postings/<int:posting_id>/<any(publish, pause, resume, fulfil):action>")
@role_required(Role.MEMBER)
def change_status(posting_id: int, action: str) -> Response:
    posting = postings.change_status(
        session=db(), actor=actor(), posting_id=posting_id, action=action
    )
    db().commit()
    if action == "publish":
        flash(_published_message(posting.company), "success")
    else:
        flash(str(STATUS_MESSAGES[action]), "success")
    return redirect(safe_next(url_for("member.posting_detail", posting_id=posting_id)))


@bp.route("/postings/<int:posting_id>/withdraw", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def withdraw_posting(posting_id: int) -> str | Response | tuple[str, int]:
    posting = postings.get_editable_posting(session=db(), actor=actor(), posting_id=posting_id)
    if PostingStatus(posting.status) not in postings.TRANSITIONS["withdraw"][0]:
        raise Conflict(
            _l(
                "This is not possible while the posting is %(status)s.",
                status=postings.status_label(posting.status),
            )
        )
    if request.method == "GET":
        return render_template("member/withdraw.html", posting=posting, form=Form())
    if request.form.get("confirm") != "yes":
        error = InvalidInput.single(
            "confirm", "missing", _l("Please confirm that the posting is to be withdrawn.")
        )
        form = Form.failed({}, error)
        return render_template("member/withdraw.html", posting=posting, form=form), 422
    postings.change_status(session=db(), actor=actor(), posting_id=posting_id, action="withdraw")
    db().commit()
    flash(_("The posting is withdrawn."), "success")
    return redirect(url_for("member.dashboard"))


@bp.post("/postings/<int:posting_id>/renew")
@role_required(Role.MEMBER)
def renew_posting(posting_id: int) -> str | Response | tuple[str, int]:
    raw = request.form.get("valid_until", "")
    try:
        data = parse(RenewalInput, {"valid_until": raw})
        posting = postings.renew_posting(
            session=db(),
            actor=actor(),
            posting_id=posting_id,
            valid_until=data.valid_until,
            limits=limits(),
        )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        form = Form.failed({"valid_until": raw}, error)
        return _render_detail(posting_id, renew_form=form), 422
    flash(
        _(
            "The posting is renewed and valid until %(date)s.",
            date=_format_date(posting.valid_until),
        ),
        "success",
    )
    return redirect(safe_next(url_for("member.posting_detail", posting_id=posting_id)))
