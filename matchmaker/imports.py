"""CSV import of needs and offers (``matchmaker import-postings``; format: docs/import-postings.md).

Networks collect postings in spreadsheets; this reads them as Excel writes them (UTF-8 with or
without BOM, ``,`` or ``;`` as delimiter, German dates and decimal commas) and validates every row
through :class:`PostingInput` and the posting service, so an imported posting obeys the same rules
as one typed into the form. Errors name the row's line in the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from matchmaker import audit, clock, companies, matches, postings
from matchmaker.access import Actor
from matchmaker.errors import DomainError, FieldError, InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, Language, Posting, PostingKind, PostingStatus, Unit
from matchmaker.schemas import PostingInput
from matchmaker.validation import parse

COLUMNS = ("company", *postings.EDITABLE_FIELDS, "status")
REQUIRED_COLUMNS = ("company", "kind", "title", "category")
DATE_COLUMNS = ("available_from", "available_until", "valid_until")
DATE_ERRORS = ("date_parsing", "date_from_datetime_parsing", "date_type")
DELIMITERS = (";", ",", "\t")

# German words a spreadsheet may use for the kind of a posting
KIND_WORDS = {
    "need": "need",
    "offer": "offer",
    "bedarf": "need",
    "gesuch": "need",
    "angebot": "offer",
}
STATUS_WORDS = {"draft": PostingStatus.DRAFT, "active": PostingStatus.ACTIVE}
CHOICES = {
    "kind": PostingKind.values(),
    "unit": Unit.values(),
    "language": Language.values(),
}

_GERMAN_DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_GERMAN_NUMBER_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*(,\d+)?$|^[+-]?\d+(,\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")


class ImportFileError(DomainError):
    """The file as a whole cannot be imported: encoding, header or no rows at all."""

    status = 422
    code = "invalid_file"


@dataclass(frozen=True)
class CsvRow:
    """One record of the file: the line it starts on and its values by column."""

    line: int
    values: dict[str, str]
    problems: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class CsvFile:
    delimiter: str
    columns: tuple[str, ...]
    rows: list[CsvRow]


@dataclass
class RowResult:
    line: int
    posting: Posting | None = None
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    rows: list[RowResult]

    @property
    def imported(self) -> list[Posting]:
        return [row.posting for row in self.rows if row.posting is not None]

    @property
    def invalid(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    def by_status(self) -> Counter[str]:
        return Counter(posting.status for posting in self.imported)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _l(
                "The file is not UTF-8 encoded (line %(line)s). In Excel, save it as "
                "“CSV UTF-8 (comma delimited)”.",
                line=line,
            )
        ) from exc


def _delimiter(header_line: str) -> str:
    """The delimiter of the header: the column names contain none of the candidates."""
    counts = {candidate: header_line.count(candidate) for candidate in DELIMITERS}
    best = max(DELIMITERS, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _column_name(raw: str) -> str:
    return raw.strip().lower().replace(" ", "_").replace("-", "_")


def _header(cells: list[str]) -> tuple[str, ...]:
    names = [_column_name(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()  # Excel writes trailing delimiters for formatted but empty columns
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    duplicate = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    problems = []
    if unknown:
        problems.append(_l("unknown columns: %(names)s", names=", ".join(unknown)))
    if duplicate:
        problems.append(_l("columns given twice: %(names)s", names=", ".join(duplicate)))
    if missing:
        problems.append(_l("missing columns: %(names)s", names=", ".join(missing)))
    if problems:
        raise ImportFileError(
            _l(
                "The header line does not fit the import format (%(problems)s). "
                "Allowed columns: %(allowed)s.",
                problems="; ".join(str(p) for p in problems),
                allowed=", ".join(COLUMNS),
            )
        )
    return tuple(names)


def read_postings_csv(content: bytes) -> CsvFile:
    """Split the file into rows by column; values are checked later, row by row."""
    lines = io.StringIO(_decode(content), newline="").readlines()
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        raise ImportFileError(_l("The file is empty."))
    delimiter = None
    hint = lines[first].strip()
    if hint.lower().startswith("sep=") and len(hint) == 5:
        delimiter = hint[4]  # Excel's "sep=;" line names the delimiter
        first += 1
    if first == len(lines):
        raise ImportFileError(_l("The file is empty."))
    delimiter = delimiter or _delimiter(lines[first])
    reader = csv.reader(io.StringIO("".join(lines[first:]), newline=""), delimiter=delimiter)
    offset = first  # lines before the header
    try:
        columns = _header(next(reader))
        rows: list[CsvRow] = []
        while True:
            start = reader.line_num + 1 + offset
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and rows of empty cells
            rows.append(_row(start, cells, columns))
    except csv.Error as exc:
        raise ImportFileError(
            _l(
                "The file cannot be read as CSV (line %(line)s): %(reason)s",
                line=reader.line_num + offset,
                reason=str(exc),
            )
        ) from exc
    if not rows:
        raise ImportFileError(_l("The file has a header line but no rows to import."))
    return CsvFile(delimiter=delimiter, columns=columns, rows=rows)


def _row(line: int, cells: list[str], columns: tuple[str, ...]) -> CsvRow:
    problems: tuple[FieldError, ...] = ()
    extra = [cell for cell in cells[len(columns) :] if cell.strip()]
    if extra:
        problems = (
            FieldError(
                "row",
                "too_many_values",
                _l(
                    "The row has %(count)s values but the header only %(columns)s columns.",
                    count=len(cells),
                    columns=len(columns),
                ),
            ),
        )
    values = {
        name: cells[index].replace("\r\n", "\n").strip() if index < len(cells) else ""
        for index, name in enumerate(columns)
    }
    return CsvRow(line=line, values=values, problems=problems)


def _german_date(value: str) -> str:
    """``31.12.2026`` (as German Excel writes dates) as ``2026-12-31``; anything else unchanged."""
    match = _GERMAN_DATE_RE.match(value)
    if not match:
        return value
    day, month, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _number(value: str) -> tuple[str, bool]:
    """A number as Python reads it, and whether it is ambiguous.

    ``2,5`` and ``1.234,5`` (decimal comma) become ``2.5`` and ``1234.5``; ``2.5`` stays. ``1.000``
    could be one or a thousand, so it is refused rather than guessed.
    """
    compact = value.replace(" ", "").replace("\u00a0", "")
    if "," in compact and _GERMAN_NUMBER_RE.match(compact):
        return compact.replace(".", "").replace(",", "."), False
    return compact, bool(_THOUSANDS_RE.match(compact))


def _postal_code(value: str) -> str:
    """Excel drops the leading zero of postal codes such as 07745 (Jena)."""
    return f"0{value}" if len(value) == 4 and value.isdigit() else value


def posting_fields(values: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The row's values as :class:`PostingInput` accepts them, and spelling problems found."""
    data: dict[str, Any] = {
        name: values.get(name, "") for name in COLUMNS if name not in ("company", "status")
    }
    problems: list[FieldError] = []
    kind = data["kind"].lower()
    data["kind"] = KIND_WORDS.get(kind, kind)
    for name in ("unit", "language"):
        data[name] = data[name].lower()
    for name in ("quantity", "radius_km"):
        data[name], ambiguous = _number(data[name])
        if ambiguous:
            problems.append(
                FieldError(
                    name,
                    "ambiguous_number",
                    _l(
                        "“%(value)s” is ambiguous: please write the number without a thousands "
                        "separator, e.g. 1000 or 1000,5.",
                        value=values.get(name, ""),
                    ),
                )
            )
    data["postal_code"] = _postal_code(data["postal_code"])
    for name in DATE_COLUMNS:
        data[name] = _german_date(data[name])
    return data, problems


def _status(raw: str, *, publish: bool) -> tuple[PostingStatus | None, list[FieldError]]:
    if publish:
        return PostingStatus.ACTIVE, []
    if not raw:
        return PostingStatus.DRAFT, []
    status = STATUS_WORDS.get(raw.lower())
    if status is None:
        return None, [
            FieldError("status", "enum", _l("Please give “draft”, “active” or leave it empty."))
        ]
    return status, []


class _Companies:
    """Company references of the file, each looked up once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[str, Company | DomainError] = {}

    def get(self, ref: str) -> tuple[Company | None, list[FieldError]]:
        if not ref:
            return None, [FieldError("company", "missing", _l("This field is required."))]
        if ref not in self.found:
            try:
                self.found[ref] = companies.company_by_ref(self.session, ref)
            except DomainError as exc:
                self.found[ref] = exc
        result = self.found[ref]
        if isinstance(result, DomainError):
            return None, [FieldError("company", result.code, result.message)]
        return result, []


def import_postings(
    *,
    session: Session,
    actor: Actor,
    rows: list[CsvRow],
    publish: bool = False,
    source: str = "",
    limits: postings.Limits | None = None,
    today: date | None = None,
) -> ImportResult:
    """Create a posting for every valid row; invalid rows are reported with their line.

    Valid rows are flushed even when other rows are invalid: the caller decides whether to commit
    (``--skip-invalid``) or to roll everything back. A row refused by the service leaves nothing
    behind, because the service checks everything before it writes.
    """
    today = today or clock.today()
    limits = limits or postings.Limits()
    lookup = _Companies(session)
    results: list[RowResult] = []
    with matches.deferred(session):  # match the imported postings once, at the end
        for row in rows:
            result = RowResult(line=row.line, errors=list(row.problems))
            results.append(result)
            company, errors = lookup.get(row.values.get("company", ""))
            result.errors += errors
            status, errors = _status(row.values.get("status", ""), publish=publish)
            result.errors += errors
            fields, errors = posting_fields(row.values)
            result.errors += errors
            data: PostingInput | None = None
            try:
                data = parse(PostingInput, fields)
            except InvalidInput as exc:
                result.errors += [_for_spreadsheets(error) for error in exc.errors]
            result.errors += _database_rules(session, data, fields, result.errors, today, limits)
            if result.errors or company is None or data is None:
                continue
            try:
                posting = postings.create_posting(
                    session=session,
                    actor=actor,
                    data=data,
                    company_id=company.id,
                    publish=status == PostingStatus.ACTIVE,
                    limits=limits,
                    today=today,
                )
            except InvalidInput as exc:
                result.errors += exc.errors
                continue
            except DomainError as exc:
                result.errors.append(FieldError("row", exc.code, exc.message))
                continue
            audit.record(
                session,
                actor_id=actor.user_id,
                action="posting.import",
                entity="posting",
                entity_id=posting.id,
                changes={"source": source, "line": row.line},
            )
            result.posting = posting
    session.flush()
    for result in results:
        result.errors.sort(key=_column_order)
    return ImportResult(rows=results)


def _database_rules(
    session: Session,
    data: PostingInput | None,
    fields: dict[str, Any],
    found: list[FieldError],
    today: date,
    limits: postings.Limits,
) -> list[FieldError]:
    """The service's checks that need the database, also for rows with other problems.

    So one run reports everything wrong with a row, not one problem per attempt.
    """
    failed = {error.field for error in found}
    errors: list[FieldError] = []
    if "category" not in failed and fields["category"]:
        try:
            postings.category_by_slug(session, fields["category"])
        except InvalidInput as exc:
            errors += exc.errors
    if "valid_until" not in failed:
        try:
            valid_until = data.valid_until if data is not None else _iso_date(fields["valid_until"])
            postings.check_validity(valid_until, today=today, limits=limits)
        except InvalidInput as exc:
            errors += exc.errors
        except ValueError:
            pass  # not a date: its own error is reported already
    return errors


def _iso_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _for_spreadsheets(error: FieldError) -> FieldError:
    """A form says "choose one of the offered values"; a file's author needs to see them."""
    choices = CHOICES.get(error.field)
    if choices and error.code == "enum":
        message = _l("Please use one of: %(values)s.", values=", ".join(choices))
    elif error.field in DATE_COLUMNS and error.code in DATE_ERRORS:
        message = _l("Please enter a valid date (YYYY-MM-DD or DD.MM.YYYY).")
    else:
        return error
    return FieldError(error.field, error.code, message, error.params)


def _column_order(error: FieldError) -> int:
    return COLUMNS.index(error.field) if error.field in COLUMNS else -1
