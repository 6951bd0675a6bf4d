"""Reading the CSV file as spreadsheets write it: encoding, delimiter, header, records."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from matchmaker import postings
from matchmaker.errors import DomainError, FieldError
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Language, PostingKind, PostingStatus, Unit

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
