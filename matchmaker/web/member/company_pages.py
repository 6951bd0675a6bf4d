"""The company's own profile page and its edit form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from matchmaker import companies
from matchmaker.errors import InvalidInput
from matchmaker.i18n import gettext as _
from matchmaker.models import Role
from matchmaker.schemas import CompanyCreate
from matchmaker.validation import parse
from matchmaker.web.common import (
    Form,
    actor,
    db,
    form_data,
    role_required,
)
from matchmaker.web.member.base import bp, own_company

COMPANY_FIELDS = companies.PROFILE_FIELDS


@bp.get("/company")
@role_required(Role.MEMBER)
def company() -> str:
    company = own_company()
    members = sorted(company.members, key=lambda user: (user.name.casefold(), user.id or 0))
    return render_template("member/company.html", company=company, members=members)


@bp.route("/company/edit", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def edit_company() -> str | Response | tuple[str, int]:
    company = own_company()
    if request.method == "GET":
        return render_template(
            "member/company_form.html",
            company=company,
            form=Form(values=companies.company_values(company)),
        )
    values = form_data(*COMPANY_FIELDS)
    networks = sorted(network.slug for network in company.networks)
    try:
        data = parse(CompanyCreate, {**values, "networks": networks})
        companies.update_company(session=db(), actor=actor(), company_id=company.id or 0, data=data)
        db().commit()
    except InvalidInput as error:
        db().rollback()
        form = Form.failed(values, error)
        return render_template("member/company_form.html", company=company, form=form), 422
    flash(_("The company profile is saved."), "success")
    return redirect(url_for("member.company"))
