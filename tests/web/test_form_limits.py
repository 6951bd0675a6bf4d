"""Forms take their length limits from the input schemas, so a limit is written once."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from matchmaker.schemas import AccountInput, CompanyCreate
from matchmaker.validation import field_lengths


def _maxlength(html: str, field_id: str) -> int:
    tag = re.search(rf'<(?:input|textarea)[^>]*\bid="{field_id}"[^>]*>', html)
    assert tag is not None, field_id
    value = re.search(r'\bmaxlength="(\d+)"', tag.group(0))
    assert value is not None, field_id
    return int(value.group(1))


def test_registration_form_reads_the_limits_of_the_schemas(client: FlaskClient) -> None:
    html = client.get("/register").get_data(as_text=True)
    company = field_lengths(CompanyCreate)
    account = field_lengths(AccountInput)
    assert _maxlength(html, "company_name") == company["name"] == 160
    assert _maxlength(html, "profile") == company["profile"]
    assert _maxlength(html, "contact_phone") == company["contact_phone"]
    assert _maxlength(html, "email") == account["email"] == 254


def test_lengths_come_from_field_and_type_constraints() -> None:
    assert field_lengths(CompanyCreate)["website"] == 300
    assert field_lengths(CompanyCreate, "min_length")["city"] == 2
    assert field_lengths(AccountInput, "min_length") == {"name": 2}
