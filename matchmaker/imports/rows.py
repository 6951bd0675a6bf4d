"""Turning the file's records into postings: spreadsheet spellings, validation, saving."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from matchmaker import audit, clock, companies, matches, postings
from matchmaker.access import Actor
from matchmaker.errors import DomainError, FieldError, InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.imports.reading import (
    _GERMAN_DATE_RE,
    _GERMAN_NUMBER_RE,
    _THOUSANDS_RE,
    CHOICES,
    COLUMNS,
    DATE_COLUMNS,
    DATE_ERRORS,
    KIND_WORDS,
    STATUS_WORDS,
    CsvRow,
)
from matchmaker.models import Company, Posting, PostingStatus
from matchmaker.schemas import PostingCreate
from matchmaker.validation import parse


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
    """The row's values as :class:`PostingCreate` accepts them, and spelling problems found."""
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
            data: PostingCreate | None = None
            try:
                data = parse(PostingCreate, fields)
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
    data: PostingCreate | None,
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
