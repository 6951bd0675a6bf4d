"""Accounts of managers and admins: list, creation, invitation, networks, deactivation."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import accounts, audit, catalog
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import current_language
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Network, Role, User
from matchmaker.schemas import UserInput
from matchmaker.validation import parse
from matchmaker.web.admin.base import STAFF_ROLES, admin_only, bp
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    redirect_to,
    settings,
)
from matchmaker.web.mails import absolute_url, queue_user_mail

# --- accounts of managers and admins ---------------------------------------------------------

ACCOUNT_FIELDS = ("name", "email", "language", "role")
# Where the schema's and the service's field names differ from the form's.
ACCOUNT_ERROR_FIELDS = {"network_slugs": "networks"}


@bp.get("/accounts")
@admin_only
def account_list() -> str:
    role = request.args.get("role", "")
    return render_template(
        "admin/accounts.html",
        users=accounts.list_staff(
            session=db(), actor=actor(), role=role if role in STAFF_ROLES else None
        ),
        role=role if role in STAFF_ROLES else "",
    )


def _account_form(values: dict[str, Any], error: InvalidInput) -> Form:
    form = Form.failed(values, error)
    for source, target in ACCOUNT_ERROR_FIELDS.items():
        if source in form.errors:
            form.errors.setdefault(target, []).extend(form.errors.pop(source))
    return form


def _all_networks() -> list[Network]:
    return catalog.list_networks(session=db(), include_inactive=True)


def _invite(user: User) -> None:
    """Issue a set-password link and queue its mail; both commit together."""
    hours = settings().password_token_hours
    token = accounts.issue_invitation(session=db(), actor=actor(), user=user, hours=hours)
    queue_user_mail(
        to=user,
        kind="account_invitation",
        template="emails/account_invitation",
        subject=_l("Your access to Matchmaker"),
        link=absolute_url("auth.set_password", token=token),
        hours=hours,
        role=user.role,
        networks=sorted(user.managed_networks, key=lambda n: n.name),
        login_url=absolute_url("auth.login"),
    )
    db().commit()


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_only
def account_new() -> str | Response | tuple[str, int]:
    networks = _all_networks()
    if request.method == "GET":
        role = request.args.get("role", Role.MANAGER.value)
        initial = {
            "role": role if role in STAFF_ROLES else Role.MANAGER.value,
            "language": current_language(),
            "networks": [],
        }
        return render_template(
            "admin/account_form.html", form=Form(values=initial), networks=networks
        )
    values: dict[str, Any] = form_data(*ACCOUNT_FIELDS)
    values["networks"] = request.form.getlist("networks")
    try:
        if values["role"] not in STAFF_ROLES:
            raise InvalidInput.single(
                "role", "enum", _l("Please choose one of the offered values.")
            )
        data = parse(
            UserInput,
            {
                "name": values["name"],
                "email": values["email"],
                "language": values["language"],
                "role": values["role"],
                "network_slugs": values["networks"] if values["role"] == Role.MANAGER else [],
            },
        )
        user = accounts.create_user(session=db(), actor=actor(), data=data)
        db().commit()
    except InvalidInput as error:
        db().rollback()
        return render_template(
            "admin/account_form.html", form=_account_form(values, error), networks=networks
        ), 422
    db().refresh(user)
    _invite(user)
    flash(
        _(
            "The account of %(name)s is created. We have sent an e-mail with a link to set "
            "the password to %(email)s.",
            name=user.name,
            email=user.email,
        ),
        "success",
    )
    return redirect_to("admin.account_detail", user_id=user.id)


def _render_account(
    user: User,
    *,
    form: Form | None = None,
    message: str = "",
    status: int = 200,
) -> tuple[str, int]:
    events = audit.list_events(
        session=db(), actor=actor(), entity="user", entity_id=user.id, per_page=20
    ).items
    acted = audit.list_events(session=db(), actor=actor(), actor_id=user.id, per_page=20).items
    return render_template(
        "admin/account.html",
        user=user,
        form=form or Form(values={"networks": [n.slug for n in user.managed_networks]}),
        networks=_all_networks(),
        events=events,
        acted=acted,
        actors=audit.actors_of(db(), events + acted),
        message=message,
        is_self=user.id == actor().user_id,
    ), status


@bp.get("/accounts/<int:user_id>")
@admin_only
def account_detail(user_id: int) -> tuple[str, int]:
    return _render_account(accounts.get_account(session=db(), actor=actor(), user_id=user_id))


@bp.post("/accounts/<int:user_id>/networks")
@admin_only
def account_networks(user_id: int) -> Response | tuple[str, int]:
    user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
    chosen = request.form.getlist("networks")
    try:
        if not chosen:
            raise InvalidInput.single(
                "networks", "too_short", _l("A manager needs at least one network.")
            )
        accounts.set_managed_networks(session=db(), actor=actor(), user=user, slugs=chosen)
        db().commit()
    except InvalidInput as error:
        db().rollback()
        user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
        return _render_account(user, form=Form.failed({"networks": chosen}, error), status=422)
    except Conflict as error:
        db().rollback()
        user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
        return _render_account(user, message=str(error.message), status=409)
    flash(_("The networks of %(name)s are saved.", name=user.name), "success")
    return redirect_to("admin.account_detail", user_id=user_id)


def _set_account_active(user_id: int, active: bool) -> Response | tuple[str, int]:
    user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
    try:
        accounts.set_active(session=db(), actor=actor(), user=user, active=active)
        db().commit()
    except Conflict as error:
        db().rollback()
        user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
        return _render_account(user, message=str(error.message), status=409)
    if active:
        flash(_("The account of %(name)s is active again.", name=user.name), "success")
    else:
        flash(
            _(
                "The account of %(name)s is deactivated and logged out everywhere.",
                name=user.name,
            ),
            "success",
        )
    return redirect_to("admin.account_detail", user_id=user_id)


@bp.post("/accounts/<int:user_id>/deactivate")
@admin_only
def account_deactivate(user_id: int) -> Response | tuple[str, int]:
    return _set_account_active(user_id, False)


@bp.post("/accounts/<int:user_id>/reactivate")
@admin_only
def account_reactivate(user_id: int) -> Response | tuple[str, int]:
    return _set_account_active(user_id, True)


@bp.post("/accounts/<int:user_id>/invite")
@admin_only
def account_invite(user_id: int) -> Response | tuple[str, int]:
    user = accounts.get_account(session=db(), actor=actor(), user_id=user_id)
    try:
        _invite(user)
    except Conflict as error:
        db().rollback()
        return _render_account(user, message=str(error.message), status=409)
    flash(_("A new link to set the password is sent to %(email)s.", email=user.email), "success")
    return redirect_to("admin.account_detail", user_id=user_id)
