"""The CSV import (``matchmaker.imports``) and ``matchmaker import-postings``."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from matchmaker import clock, imports
from matchmaker.access import Actor
from matchmaker.errors import DomainError
from matchmaker.models import AuditEvent, Posting
from tests.cli.conftest import FIXTURES, REPO, Invoke, row_counts
from tests.cli.test_seed_demo import needs_real_demo
from tests.factories import World, make_company

HEADER = list(imports.COLUMNS)
VALID_FIXTURE = FIXTURES / "import" / "valid.csv"


def today() -> date:
    return clock.today()


def row(**values: str) -> dict[str, str]:
    """A valid row for Alpha Feinmechanik GmbH, with ``values`` changed."""
    base = {
        "company": "Alpha Feinmechanik GmbH",
        "kind": "need",
        "title": "Messing-Sechskant SW 17 gesucht",
        "description": "Etwa 150 kg CuZn39Pb3, Stangen à 3 m.",
        "category": "material",
        "quantity": "150",
        "unit": "kg",
        "postal_code": "",
        "radius_km": "100",
        "available_from": "",
        "available_until": "",
        "valid_until": "",
        "language": "de",
        "status": "active",
    }
    base.update(values)
    return base


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    header: list[str] = HEADER,
    delimiter: str = ",",
    bom: bool = False,
    newline: str = "\n",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def stored_postings(session: Session) -> list[Posting]:
    session.expire_all()
    return list(session.execute(select(Posting).order_by(Posting.id)).scalars())


def test_valid_file_is_imported_with_an_audit_entry_per_posting(
    invoke: Invoke, session: Session, world: World
) -> None:
    known = {p.id for p in stored_postings(session)}
    result = invoke("import-postings", str(VALID_FIXTURE))
    assert result.exit_code == 0, result.output
    assert "Imported 3 posting(s) (1 active, 2 draft) from valid.csv." in result.output

    new = [p for p in stored_postings(session) if p.id not in known]
    assert [(p.company_id, p.kind, p.status) for p in new] == [
        (world.company_a1.id, "need", "active"),
        (world.company_a2.id, "offer", "draft"),
        (world.company_b1.id, "offer", "draft"),  # empty status: draft
    ]
    alu, moulding, pallets = new
    assert alu.title == "Aluminium-Rundmaterial 6082 Ø 50 mm"
    assert alu.quantity == 200 and alu.unit == "kg" and alu.radius_km == 150
    assert alu.postal_code == world.company_a1.postal_code  # empty: the company's
    assert alu.valid_until == today() + timedelta(days=56)  # empty: the default validity
    assert moulding.postal_code == "99086"
    assert pallets.language == "en" and pallets.created_by_id is None  # the system actor
    events = session.execute(
        select(AuditEvent).where(AuditEvent.action == "posting.import").order_by(AuditEvent.id)
    ).scalars()
    assert [(e.entity_id, e.actor_id, e.changes) for e in events] == [
        (p.id, None, {"source": "valid.csv", "line": line})
        for p, line in zip(new, (2, 3, 4), strict=True)
    ]


def test_company_may_be_given_by_id(
    invoke: Invoke, session: Session, world: World, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "by-id.csv", [row(company=str(world.company_b1.id))])
    result = invoke("import-postings", str(path))
    assert result.exit_code == 0, result.output
    assert stored_postings(session)[-1].company_id == world.company_b1.id


def test_every_kind_of_invalid_row_is_reported_with_its_line(
    invoke: Invoke, engine: Engine, world: World, tmp_path: Path
) -> None:
    too_late = (today() + timedelta(days=400)).isoformat()
    cases: list[tuple[dict[str, str], str]] = [
        (row(company="Gibt es nicht GmbH"), "company: There is no company"),
        (row(company=""), "company: This field is required."),
        (row(kind="wish"), "kind: Please use one of: need, offer."),
        (row(title="Blech"), ""),  # valid: five characters are enough
        (row(title="Blec"), "title: Please enter at least 5 characters."),
        (row(title="x" * 121), "title: Please enter at most 120 characters."),
        (row(title=""), "title: Please enter at least 5 characters."),
        (row(description="x" * 5001), "description: Please enter at most 5,000 characters."),
        (row(category="lagerung"), "category: Please choose one of the offered categories."),
        (row(quantity="viel"), "quantity: Please enter a number."),
        (row(quantity="0"), "quantity: Please enter a number greater than 0."),
        (row(quantity="1.000"), "quantity: “1.000” is ambiguous"),
        (row(unit=""), "unit: Quantity and unit go together"),
        (row(unit="fass"), "unit: Please use one of: piece, kg, t, m, m2, m3, l, pallet,"),
        (row(postal_code="ABCDE"), "postal_code: Please enter a German postal code"),
        (row(postal_code="00000"), "postal_code: 00000 is not a German postal code."),
        (row(radius_km="2000"), "radius_km: Please enter a number of at most 1,000."),
        (row(radius_km="zehn"), "radius_km: Please enter a whole number."),
        (
            row(available_from="10.05.2026", available_until="01.05.2026"),
            "available_until: The end date must not be before the start date.",
        ),
        (
            row(available_from="31.02.2026"),
            "available_from: Please enter a valid date (YYYY-MM-DD or DD.MM.YYYY).",
        ),
        (row(valid_until="2020-01-01"), "valid_until: The posting must be valid until today"),
        (row(valid_until=too_late), "valid_until: A posting can be valid for at most 365 days."),
        (row(language="fr"), "language: Please use one of: de, en."),
        (row(status="published"), "status: Please give “draft”, “active” or leave it empty."),
    ]
    path = write_csv(tmp_path / "invalid.csv", [values for values, _ in cases])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(",".join(row(description="Ohne Komma").values()) + ",überzählig\n")
    before = row_counts(engine)

    result = invoke("import-postings", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for number, (_, expected) in enumerate(cases, start=2):
        reported = [line for line in lines if line.startswith(f"Line {number}: ")]
        if expected:
            assert any(expected in line for line in reported), (number, expected, reported)
        else:
            assert reported == [], reported
    extra_line = len(cases) + 2
    assert f"Line {extra_line}: The row has 15 values but the header only 14 columns." in lines
    invalid = len(cases) - 1 + 1
    assert f"{invalid} of {len(cases) + 1} row(s) are invalid; nothing was imported." in (
        result.output
    )
    assert row_counts(engine) == before


def test_all_problems_of_one_row_are_reported_together(
    invoke: Invoke, world: World, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "many.csv",
        [row(company="Nix", title="Kurz", category="lagerung", valid_until="01.01.2020")],
    )
    result = invoke("import-postings", "--dry-run", str(path))
    assert result.exit_code == 1
    assert [line.split(":")[1].strip() for line in result.output.splitlines()[:4]] == [
        "company",
        "title",
        "category",
        "valid_until",
    ]


def mixed_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "mixed.csv",
        [
            row(title="Erste gültige Zeile"),
            row(title="Unbekannte Kategorie", category="lagerung"),
            row(title="Abgelaufene Gültigkeit", valid_until="2020-01-01"),
            row(title="Zweite gültige Zeile", status="draft"),
        ],
    )


def test_one_invalid_row_means_nothing_is_imported(
    invoke: Invoke, engine: Engine, world: World, tmp_path: Path
) -> None:
    before = row_counts(engine)
    result = invoke("import-postings", str(mixed_file(tmp_path)))
    assert result.exit_code == 1
    assert "Line 3: category:" in result.output and "Line 4: valid_until:" in result.output
    assert "2 of 4 row(s) are invalid; nothing was imported." in result.output
    assert row_counts(engine) == before


def test_skip_invalid_imports_the_valid_rows_and_warns(
    invoke: Invoke, engine: Engine, session: Session, world: World, tmp_path: Path
) -> None:
    before = row_counts(engine)
    result = invoke("import-postings", "--skip-invalid", str(mixed_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "Line 3: category:" in result.output and "Line 4: valid_until:" in result.output
    assert "Warning: 2 of 4 row(s) are invalid and were skipped." in result.stderr
    assert "Imported 2 posting(s) (1 active, 1 draft) from mixed.csv." in result.stdout
    after = row_counts(engine)
    assert after["posting"] == before["posting"] + 2  # refused rows leave nothing behind
    titles = [p.title for p in stored_postings(session)[-2:]]
    assert titles == ["Erste gültige Zeile", "Zweite gültige Zeile"]
    imported = session.execute(
        select(AuditEvent).where(AuditEvent.action == "posting.import")
    ).scalars()
    assert sorted(e.changes["line"] for e in imported) == [2, 5]


def test_dry_run_checks_only(invoke: Invoke, engine: Engine, world: World, tmp_path: Path) -> None:
    before = row_counts(engine)
    valid = invoke("import-postings", "--dry-run", str(VALID_FIXTURE))
    assert valid.exit_code == 0, valid.output
    assert "Checked 3 row(s): 3 valid (1 active, 2 draft). Nothing was imported" in valid.output
    mixed = mixed_file(tmp_path)
    invalid = invoke("import-postings", "--dry-run", str(mixed))
    assert invalid.exit_code == 1
    assert "Line 3: category:" in invalid.output
    skipping = invoke("import-postings", "--dry-run", "--skip-invalid", str(mixed))
    assert skipping.exit_code == 0
    assert "2 of 4 row(s) are invalid and would be skipped." in skipping.stderr
    assert "Checked 4 row(s): 2 valid" in skipping.stdout
    assert row_counts(engine) == before


def test_publish_makes_every_posting_active(invoke: Invoke, session: Session, world: World) -> None:
    result = invoke("import-postings", "--publish", str(VALID_FIXTURE))
    assert result.exit_code == 0, result.output
    assert "Imported 3 posting(s) (3 active)" in result.output
    new = stored_postings(session)[-3:]
    assert {p.status for p in new} == {"active"}
    assert all(p.published_at is not None for p in new)


def test_german_excel_export(
    invoke: Invoke, session: Session, world: World, tmp_path: Path
) -> None:
    """Semicolons, BOM, CRLF, DD.MM.YYYY, decimal commas, lost leading zeros, German words."""
    valid_until = today() + timedelta(days=30)
    text = (
        "Company;Kind;Title;Description;Category;Quantity;Unit;Postal Code;Radius_km;"
        "Available_From;Available_Until;Valid_Until;Language;Status\r\n"
        'Alpha Feinmechanik GmbH;Bedarf;Kühlschmierstoff, 2,5 t;"Zeile eins\r\nZeile zwei; mit '
        'Semikolon";material;2,5;t;7745;50;01.03.2026;1.4.2026;'
        f"{valid_until:%d.%m.%Y};de;aktiv\r\n"
        "\r\n"
        "Berta Logistik GmbH;Angebot;Stellplätze frei in Plauen;;storage;1.234,5;m2;;;;;;;draft\r\n"
        ";;;;;;;;;;;;;\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = invoke("import-postings", "--dry-run", str(path))
    assert result.exit_code == 1  # "aktiv" is not a status
    assert result.output.splitlines()[0].startswith("Line 2: status:")

    path.write_bytes(b"\xef\xbb\xbf" + text.replace(";aktiv", ";active").encode("utf-8"))
    result = invoke("import-postings", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 2 posting(s) (1 active, 1 draft)" in result.output
    coolant, spaces = stored_postings(session)[-2:]
    assert coolant.title == "Kühlschmierstoff, 2,5 t" and coolant.kind == "need"
    assert coolant.description == "Zeile eins\nZeile zwei; mit Semikolon"
    assert (coolant.quantity, coolant.unit, coolant.postal_code) == (2.5, "t", "07745")
    assert (coolant.available_from, coolant.available_until, coolant.valid_until) == (
        date(2026, 3, 1),
        date(2026, 4, 1),
        valid_until,
    )
    assert (spaces.kind, spaces.quantity, spaces.unit, spaces.status) == (
        "offer",
        1234.5,
        "m2",
        "draft",
    )


def test_line_numbers_count_lines_of_the_file(tmp_path: Path) -> None:
    text = (
        "sep=;\n"
        "company;kind;title;category;description\n"
        'A;need;Titel eins;material;"zwei\nZeilen"\n'
        "\n"
        "B;offer;Titel zwei;storage;\n"
    )
    parsed = imports.read_postings_csv(text.encode("utf-8"))
    assert parsed.delimiter == ";"
    assert [(r.line, r.values["company"]) for r in parsed.rows] == [(3, "A"), (6, "B")]
    assert parsed.rows[0].values["description"] == "zwei\nZeilen"


@pytest.mark.parametrize(
    ("raw", "number", "ambiguous"),
    [
        ("2,5", "2.5", False),
        ("1.234,5", "1234.5", False),
        ("1 234,5", "1234.5", False),
        ("2.5", "2.5", False),
        ("1000", "1000", False),
        ("0.125", "0.125", False),
        ("1.000", "1.000", True),
        ("12.500", "12.500", True),
        ("1,234.5", "1,234.5", False),  # not German: left to the validation, which refuses it
    ],
)
def test_numbers_as_spreadsheets_write_them(raw: str, number: str, ambiguous: bool) -> None:
    fields, problems = imports.posting_fields({"quantity": raw, "unit": "kg"})
    assert fields["quantity"] == number
    assert bool(problems) == ambiguous


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("company,kind,titel,category", "unknown columns: titel"),
        ("company,kind,title", "missing columns: category"),
        ("company,kind,title,category,title", "columns given twice: title"),
        ("firma;art;titel", "missing columns: company, kind, title, category"),
    ],
)
def test_header_problems_name_the_columns(
    invoke: Invoke, engine: Engine, world: World, tmp_path: Path, header: str, message: str
) -> None:
    path = tmp_path / "header.csv"
    path.write_text(f"{header}\nAlpha Feinmechanik GmbH,need,Ein Titel,material\n", "utf-8")
    before = row_counts(engine)
    result = invoke("import-postings", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert "Allowed columns: company, kind, title" in result.output
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        (b"company;kind;title;category\r\n", "header line but no rows"),
        (b"company,kind,title,category\n,,,\n\n", "header line but no rows"),
        (
            "company;kind;title;category\nMüller;need;Blech;material\n".encode("cp1252"),
            "not UTF-8 encoded (line 2)",
        ),
    ],
    ids=["empty", "blank-lines", "header-only", "empty-rows", "cp1252"],
)
def test_files_without_rows_or_in_another_encoding_are_refused(
    invoke: Invoke, world: World, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    result = invoke("import-postings", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_company_name_shared_by_two_companies_is_reported(
    invoke: Invoke, session: Session, world: World, tmp_path: Path
) -> None:
    make_company(session, [world.network_b], name="Alpha Feinmechanik GmbH")
    session.commit()
    result = invoke("import-postings", str(write_csv(tmp_path / "twice.csv", [row()])))
    assert result.exit_code == 1
    assert "Line 2: company: Several companies are named" in result.output


def test_html_and_script_are_stored_as_typed(
    invoke: Invoke, session: Session, world: World, tmp_path: Path
) -> None:
    title = '<script>alert("x")</script> Fräsen & Co'
    description = "<b>fett</b> <img src=x onerror=alert(1)> 'zitiert'"
    path = write_csv(tmp_path / "html.csv", [row(title=title, description=description)])
    result = invoke("import-postings", str(path))
    assert result.exit_code == 0, result.output
    posting = stored_postings(session)[-1]
    assert (posting.title, posting.description) == (title, description)


def test_reading_a_file_is_independent_of_the_database() -> None:
    with pytest.raises(DomainError, match="unknown columns: nope"):
        imports.read_postings_csv(b"company,kind,title,category,nope\n")


@needs_real_demo
def test_the_example_file_imports_into_the_demo_data(invoke: Invoke, session: Session) -> None:
    example = REPO / "data" / "import" / "postings-example.csv"
    assert invoke("seed-demo").exit_code == 0
    result = invoke("import-postings", str(example))
    assert result.exit_code == 0, result.output
    assert "Imported 7 posting(s) (5 active, 2 draft)" in result.output
    assert (
        session.execute(select(Posting).where(Posting.title == "Forklift driver for two weeks"))
        .scalar_one()
        .language
        == "en"
    )


def test_row_messages_are_translated(app: Flask, session: Session, world: World) -> None:
    parsed = imports.read_postings_csv(
        b"company;kind;title;category\nNix GmbH;wish;Kurz;material\n"
    )
    with app.app_context(), force_locale("de"):
        result = imports.import_postings(session=session, actor=Actor.system(), rows=parsed.rows)
        messages = {e.field: str(e.message) for e in result.invalid[0].errors}
    session.rollback()
    assert messages == {
        "company": "Es gibt kein Unternehmen mit der Nummer (ID) oder dem Namen „Nix GmbH“.",
        "kind": "Bitte verwenden Sie einen dieser Werte: need, offer.",
        "title": "Bitte geben Sie mindestens 5 Zeichen ein.",
    }
