"""The manager's digest: preferences, this week's preview, "send now", and the one-click
unsubscribe link of the digest mail (RFC 8058), which works without a login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import digests
from matchmaker.context import csrf
from matchmaker.db import utcnow
from matchmaker.i18n import force_locale
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import EmptyWeek, Role, User
from matchmaker.web.common import Form, current_db_user, db, redirect_to, role_required, settings

bp = Blueprint("digest_prefs", __name__)
manager_only = role_required(Role.MANAGER)

WEEKDAYS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]
# The HTML of the digest has inline styles (mail clients need them); its preview page allows
# them and nothing else.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _manager() -> User:
    user = current_db_user()
    assert user is not None  # manager_only
    return user


def _form_values(manager: User) -> dict[str, Any]:
    preference = digests.preference_for(db(), manager)
    return {
        "enabled": preference.enabled,
        "weekday": str(preference.weekday),
        "hour": str(preference.hour),
        "min_score": str(round(preference.min_score * 100)),
        "networks": [str(n) for n in preference.network_ids],
        "empty_week": preference.empty_week,
    }


def _render(manager: User, form: Form, status: int = 200) -> tuple[str, int]:
    week = digests.iso_week(utcnow())
    delivery = digests.delivery_of(db(), manager, week)
    return render_template(
        "manager/digest.html",
        form=form,
        weekday_options=[(str(i), str(name)) for i, name in enumerate(WEEKDAYS)],
        networks=sorted(manager.managed_networks, key=lambda n: n.name),
        week=week,
        delivery=delivery,
        deliveries=digests.deliveries_of(db(), manager),
    ), status


@bp.get("/manage/digest")
@manager_only
def preferences() -> tuple[str, int]:
    manager = _manager()
    return _render(manager, Form(values=_form_values(manager)))


def _number(
    values: dict[str, Any], name: str, low: int, high: int, errors: dict[str, list[str]]
) -> int:
    raw = str(values.get(name, "")).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = [_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)]
        return low
    return int(raw)


@bp.post("/manage/digest")
@manager_only
def save_preferences() -> Response | tuple[str, int]:
    manager = _manager()
    values: dict[str, Any] = {
        "enabled": request.form.get("enabled") == "on",
        "weekday": request.form.get("weekday", ""),
        "hour": request.form.get("hour", ""),
        "min_score": request.form.get("min_score", ""),
        "networks": request.form.getlist("networks"),
        "empty_week": request.form.get("empty_week", ""),
    }
    errors: dict[str, list[str]] = {}
    weekday = _number(values, "weekday", 0, 6, errors)
    hour = _number(values, "hour", 0, 23, errors)
    min_score = _number(values, "min_score", 0, 100, errors)
    own = {n.id for n in manager.managed_networks}
    chosen = [int(v) for v in values["networks"] if v.isdigit() and int(v) in own]
    if len(chosen) != len(values["networks"]):
        errors["networks"] = [_("Choose among your own networks.")]
    if values["empty_week"] not in EmptyWeek.values():
        errors["empty_week"] = [_("Choose what a week without news brings.")]
    if errors:
        message = _("Please correct the marked fields.")
        return _render(manager, Form(values=values, errors=errors, message=message), 422)
    preference = digests.preference_for(db(), manager)
    preference.enabled = values["enabled"]
    preference.weekday, preference.hour = weekday, hour
    preference.min_score = min_score / 100
    preference.network_ids = sorted(chosen)
    preference.empty_week = values["empty_week"]
    preference.updated_at = utcnow()
    db().add(preference)
    db().commit()
    flash(_("Your digest settings are saved."), "success")
    return redirect_to("digest_prefs.preferences")


def render_digest_html(digest: digests.Digest) -> str:
    """The digest's HTML part exactly as the mail carries it, in the manager's language."""
    with force_locale(digest.manager.language):
        context = digests.digest_context(digest, secret_key=settings().secret_key)
        return current_app.jinja_env.get_template("emails/digest.html").render(**context)


@bp.get("/manage/digest/preview")
@manager_only
def preview() -> Response:
    manager = _manager()
    week = digests.iso_week(utcnow())
    digest = digests.build_digest(session=db(), manager=manager, week=week)
    response = Response(render_digest_html(digest), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@bp.post("/manage/digest/send")
@manager_only
def send_now() -> Response:
    manager = _manager()
    force = request.form.get("force") == "on"
    result = digests.send_digest(
        session=db(),
        manager=manager,
        week=digests.iso_week(utcnow()),
        secret_key=settings().secret_key,
        trigger="manual",
        force=force,
    )
    db().commit()
    if result.outcome == "already":
        flash(
            _("This week's digest was sent already. Tick “send again” to get another copy."),
            "info",
        )
    elif result.outcome == "skipped":
        flash(_("Nothing new this week; as you chose, no digest is sent."), "info")
    else:
        flash(_("This week's digest is on its way to %(email)s.", email=manager.email), "success")
    return redirect_to("digest_prefs.preferences")


@bp.route("/digest/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> tuple[str, int]:
    """GET asks (link scanners must not unsubscribe anybody); POST is the one-click."""
    manager = digests.manager_for_unsubscribe(db(), settings().secret_key, token)
    if manager is None:
        abort(404)
    done = request.method == "POST"
    if done:
        digests.unsubscribe(session=db(), manager=manager)
        db().commit()
    return render_template("digest/unsubscribe.html", token=token, done=done, manager=manager), 200
