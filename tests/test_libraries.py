"""What libraries do for us: Babel reads German numbers and dates, csv.Sniffer the delimiter,
pydantic's HttpUrl the company website."""

from __future__ import annotations

import pytest

from matchmaker import imports
from matchmaker.errors import InvalidInput
from matchmaker.schemas import CompanyCreate
from matchmaker.validation import parse

COMPANY = {
    "name": "Gamma GmbH",
    "postal_code": "07745",
    "city": "Jena",
    "contact_email": "info@gamma.example",
    "networks": ["netz"],
}


@pytest.mark.parametrize(
    ("website", "ok"),
    [
        ("https://gamma.example", True),
        ("http://gamma.example/ueber-uns?lang=de", True),
        ("https://müller-metall.de", True),
        ("", True),
        ("https://localhost", False),
        ("ftp://gamma.example", False),
        ("gamma.example", False),
        ("https://gamma .example", False),
        ("javascript:alert(1)", False),
    ],
)
def test_company_website_is_an_http_url(website: str, ok: bool) -> None:
    if ok:
        assert parse(CompanyCreate, {**COMPANY, "website": website}).website == website
    else:
        with pytest.raises(InvalidInput) as caught:
            parse(CompanyCreate, {**COMPANY, "website": website})
        assert [error.code for error in caught.value.errors] == ["website"]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("31.12.2026", "2026-12-31"), ("1.4.2026", "2026-04-01"), ("2026-04-01", "2026-04-01")],
)
def test_german_dates_in_the_import(raw: str, iso: str) -> None:
    fields, problems = imports.posting_fields({"valid_until": raw})
    assert fields["valid_until"] == iso and problems == []


def test_an_impossible_german_date_is_left_to_the_validation() -> None:
    fields, _ = imports.posting_fields({"valid_until": "32.1.2026"})
    assert fields["valid_until"] == "32.1.2026"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('company,kind,title,category\nA,need,"Blech; 2 mm",material\n', ","),
        ('company;kind;title;category\nA;need;"Blech, 2,5 mm";material\n', ";"),
        ("company\tkind\ttitle\tcategory\nA\tneed\tBlech 2 mm\tmaterial\n", "\t"),
    ],
)
def test_the_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    parsed = imports.read_postings_csv(text.encode("utf-8"))
    assert parsed.delimiter == delimiter
    assert parsed.rows[0].values["kind"] == "need"
