"""Pages of the admin area: networks, manager and admin accounts, categories, the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from matchmaker import accounts, audit, catalog
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import current_language
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Category, Company, CompanyStatus, Network, Role, User
from matchmaker.schemas import CategoryInput, NetworkInput, UserInput
from matchmaker.validation import parse
from matchmaker.web import auditlog
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    page_arg,
    redirect_to,
    role_required,
    settings,
)
from matchmaker.web.mails import absolute_url, queue_user_mail

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = role_required(Role.ADMIN)

AUDIT_PAGE_SIZE = 50
STAFF_ROLES = (Role.MANAGER.value, Role.ADMIN.value)


@bp.get("/")
@admin_only
def dashboard() -> str:
    session = db()
    networks = catalog.list_networks(session=session, include_inactive=True)
    staff = accounts.list_staff(session=session, actor=actor())
    pending = session.execute(
        select(func.count())
        .select_from(Company)
        .where(Company.status == CompanyStatus.PENDING.value)
    ).scalar_one()
    recent = audit.list_events(session=session, actor=actor(), per_page=10).items
    return render_template(
        "admin/dashboard.html",
        networks_active=sum(1 for n in networks if n.active),
        networks_total=len(networks),
        managers=sum(1 for u in staff if u.role == Role.MANAGER.value and u.active),
        admins=sum(1 for u in staff if u.role == Role.ADMIN.value and u.active),
        categories=len(catalog.list_categories(session=session)),
        pending=int(pending),
        recent=recent,
        actors=audit.actors_of(session, recent),
    )


# --- networks --------------------------------------------------------------------------------

NETWORK_FIELDS = ("slug", "name", "region", "description")


@bp.get("/networks")
@admin_only
def network_list() -> str:
    session = db()
    return render_template(
        "admin/networks.html",
        networks=catalog.list_networks(session=session, include_inactive=True),
        company_counts=catalog.network_company_counts_by_status(session),
        manager_counts=catalog.network_manager_counts(session),
    )


def _save_network(network: Network | None) -> Response | tuple[str, int]:
    values = form_data(*NETWORK_FIELDS)
    try:
        data = parse(
            NetworkInput, {**values, "active": network.active if network is not None else True}
        )
        saved = catalog.save_network(
            session=db(),
            actor=actor(),
            data=data,
            network_id=network.id if network is not None else None,
        )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        return render_template(
            "admin/network_form.html", form=Form.failed(values, error), network=network
        ), 422
    if network is None:
        flash(_("The network %(name)s is created.", name=saved.name), "success")
    else:
        flash(_("The changes to %(name)s are saved.", name=saved.name), "success")
    return redirect_to("admin.network_list")


@bp.route("/networks/new", methods=["GET", "POST"])
@admin_only
def network_new() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("admin/network_form.html", form=Form(), network=None)
    return _save_network(None)


@bp.route("/networks/<int:network_id>/edit", methods=["GET", "POST"])
@admin_only
def network_edit(network_id: int) -> str | Response | tuple[str, int]:
    network = catalog.get_network(session=db(), network_id=network_id)
    if request.method == "GET":
        values = {name: getattr(network, name) for name in NETWORK_FIELDS}
        return render_template("admin/network_form.html", form=Form(values=values), network=network)
    return _save_network(network)


def _set_network_active(network_id: int, active: bool) -> Response:
    network = catalog.set_network_active(
        session=db(), actor=actor(), network_id=network_id, active=active
    )
    db().commit()
    if active:
        flash(_("%(name)s is active again.", name=network.name), "success")
    else:
        flash(
            _(
                "%(name)s is deactivated: companies can no longer register for it.",
                name=network.name,
            ),
            "success",
        )
    return redirect_to("admin.network_list")


@bp.post("/networks/<int:network_id>/deactivate")
@admin_only
def network_deactivate(network_id: int) -> Response:
    return _set_network_active(network_id, False)


@bp.post("/networks/<int:network_id>/reactivate")
@admin_only
def network_reactivate(network_id: int) -> Response:
    return _set_network_active(network_id, True)


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


# --- categories ------------------------------------------------------------------------------

CATEGORY_FIELDS = ("slug", "name_de", "name_en", "description_de", "description_en", "sort_order")


@bp.get("/categories")
@admin_only
def category_list() -> str:
    session = db()
    return render_template(
        "admin/categories.html",
        categories=catalog.list_categories(session=session, include_inactive=True),
        usage=catalog.category_usage_counts(session),
    )


def _render_category_form(
    category: Category | None, form: Form, status: int = 200
) -> tuple[str, int]:
    in_use = category is not None and catalog.category_in_use(session=db(), category=category)
    return render_template(
        "admin/category_form.html", form=form, category=category, in_use=in_use
    ), status


def _save_category(category: Category | None) -> Response | tuple[str, int]:
    values = form_data(*CATEGORY_FIELDS)
    payload: dict[str, Any] = {k: v for k, v in values.items() if k != "sort_order"}
    if values["sort_order"].strip():
        payload["sort_order"] = values["sort_order"].strip()
    payload["active"] = category.active if category is not None else True
    category_id = category.id if category is not None else None
    try:
        data = parse(CategoryInput, payload)
        saved = catalog.save_category(
            session=db(), actor=actor(), data=data, category_id=category_id
        )
        db().commit()
    except InvalidInput as error:
        db().rollback()
        current = _reload_category(category_id)
        return _render_category_form(current, Form.failed(values, error), 422)
    except Conflict as error:
        db().rollback()
        current = _reload_category(category_id)
        form = Form(
            values=values, errors={"slug": [str(error.message)]}, message=str(error.message)
        )
        return _render_category_form(current, form, 409)
    if category is None:
        flash(
            _("The category %(name)s is created.", name=saved.name(current_language())), "success"
        )
    else:
        flash(
            _("The changes to %(name)s are saved.", name=saved.name(current_language())),
            "success",
        )
    return redirect_to("admin.category_list")


def _reload_category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    return catalog.get_category(session=db(), category_id=category_id)


@bp.route("/categories/new", methods=["GET", "POST"])
@admin_only
def category_new() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return _render_category_form(None, Form(values={"sort_order": 100}))
    return _save_category(None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@admin_only
def category_edit(category_id: int) -> str | Response | tuple[str, int]:
    category = catalog.get_category(session=db(), category_id=category_id)
    if request.method == "GET":
        values = {name: getattr(category, name) for name in CATEGORY_FIELDS}
        return _render_category_form(category, Form(values=values))
    return _save_category(category)


def _set_category_active(category_id: int, active: bool) -> Response:
    category = catalog.set_category_active(
        session=db(), actor=actor(), category_id=category_id, active=active
    )
    db().commit()
    name = category.name(current_language())
    if active:
        flash(_("The category %(name)s is offered again.", name=name), "success")
    else:
        flash(
            _(
                "The category %(name)s is deactivated: it is no longer offered for new "
                "postings; existing postings keep it.",
                name=name,
            ),
            "success",
        )
    return redirect_to("admin.category_list")


@bp.post("/categories/<int:category_id>/deactivate")
@admin_only
def category_deactivate(category_id: int) -> Response:
    return _set_category_active(category_id, False)


@bp.post("/categories/<int:category_id>/reactivate")
@admin_only
def category_reactivate(category_id: int) -> Response:
    return _set_category_active(category_id, True)


# --- audit log -------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/audit")
@admin_only
def audit_log() -> str:
    session = db()
    entities = audit.entity_types(session)
    entity = request.args.get("entity", "")
    entity = entity if entity in entities else ""
    entity_id = _int_arg("entity_id") if entity else None
    actor_id = _int_arg("actor_id")
    actor_query = (request.args.get("actor") or "").strip()[:254]
    page = audit.list_events(
        session=session,
        actor=actor(),
        entity=entity or None,
        entity_id=entity_id,
        actor_id=actor_id,
        actor_query=actor_query or None,
        page=page_arg(),
        per_page=AUDIT_PAGE_SIZE,
    )
    filters: dict[str, Any] = {"entity": entity, "actor": actor_query}
    if entity_id is not None:
        filters["entity_id"] = entity_id
    if actor_id is not None:
        filters["actor_id"] = actor_id
    page_args = {name: value for name, value in filters.items() if value not in ("", None)}
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        page_args=page_args,
        entities=[(e, auditlog.entity_label(e)) for e in entities],
        actors=audit.actors_of(session, page.items),
        filtered_actor=session.get(User, actor_id) if actor_id is not None else None,
    )
