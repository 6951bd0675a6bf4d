"""``/api/v1/companies``: the companies behind the postings."""

from __future__ import annotations

from typing import Any

from matchmaker import companies
from matchmaker.access import Actor, may_see_contact
from matchmaker.api import bp
from matchmaker.api.common import ID, api_actor, db, url
from matchmaker.api.schemas import CompanyLinks, CompanyPublic, ContactOut, ErrorOut, NetworkRef
from matchmaker.api.spec import COMPANIES, SECURITY, responses, spec
from matchmaker.models import Company


def company_out(company: Company, actor: Actor) -> CompanyPublic:
    """A company as ``actor`` may see it: contact details only where the access rules allow."""
    assert company.id is not None
    contact = None
    if may_see_contact(actor, company):
        contact = ContactOut(
            name=company.contact_name,
            email=company.contact_email,
            phone=company.contact_phone,
            address=company.address,
        )
    return CompanyPublic.model_validate(
        company,
        update={
            "networks": [
                NetworkRef(id=network.id, slug=network.slug, name=network.name)
                for network in sorted(company.networks, key=lambda n: n.name)
            ],
            "contact": contact,
            "links": CompanyLinks(
                self_=url("api.get_company", company_id=company.id),
                postings=url("api.list_postings", company=company.id),
            ),
        },
    )


@bp.get(f"/companies/<{ID}:company_id>")
@spec.validate(
    resp=responses(HTTP_200=CompanyPublic, HTTP_404=ErrorOut),
    tags=[COMPANIES],
    security=SECURITY,
    operation_id="getCompany",
    path_parameter_descriptions={"company_id": "The company's id."},
)
def get_company(company_id: int) -> Any:
    """Read a company

    Approved companies are visible to every caller; others only to their members, their
    networks' managers and admins (404 for everybody else). `contact` is null unless you are a
    member of the company, a manager of one of its networks or an admin.
    """
    actor = api_actor()
    company = companies.get_company(session=db(), actor=actor, company_id=company_id)
    return company_out(company, actor)
