"""Networks and categories: lists, forms, deactivation."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from matchmaker import catalog
from matchmaker.errors import Conflict, InvalidInput
from matchmaker.i18n import current_language
from matchmaker.i18n import gettext as _
from matchmaker.models import Category, Network
from matchmaker.schemas import CategoryInput, NetworkInput
from matchmaker.validation import parse
from matchmaker.web.admin.base import admin_only, bp
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    redirect_to,
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
