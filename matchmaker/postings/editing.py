"""Writing a posting's content: creating one and changing its fields, validated as a whole."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from matchmaker import audit, clock
from matchmaker.access import Actor, editable_postings_clause
from matchmaker.db import utcnow
from matchmaker.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.matching.text import detect_language
from matchmaker.models import Category, Company, Posting, PostingBase, PostingStatus
from matchmaker.postings.events import changed
from matchmaker.postings.queries import first_writer_wins, load_checked
from matchmaker.postings.states import EDITABLE
from matchmaker.schemas import PostingCreate
from matchmaker.search import fold
from matchmaker.validation import parse


@dataclass(frozen=True)
class Limits:
    default_validity_days: int = 56
    max_validity_days: int = 365


DEFAULT_LIMITS = Limits()


EDITABLE_FIELDS = (
    "kind",
    "title",
    "description",
    "category",
    "quantity",
    "unit",
    "postal_code",
    "radius_km",
    "available_from",
    "available_until",
    "valid_until",
    "language",
)


def posting_values(posting: Posting) -> dict[str, Any]:
    """The posting's editable fields as :class:`PostingCreate` accepts them."""
    return {
        name: posting.category.slug if name == "category" else getattr(posting, name)
        for name in EDITABLE_FIELDS
    }


def category_by_slug(session: Session, slug: str, *, kept_id: int | None = None) -> Category:
    """An offered category; a deactivated one only as the posting's own (``kept_id``): it is
    no longer offered for new postings, but existing ones keep it and stay editable."""
    category = session.exec(select(Category).where(Category.slug == slug)).scalar_one_or_none()
    if category is None or not (category.active or category.id == kept_id):
        raise InvalidInput.single(
            "category", "unknown_category", _l("Please choose one of the offered categories.")
        )
    return category


def check_validity(valid_until: date | None, *, today: date, limits: Limits) -> date:
    """The validity a new posting gets: the default when none is given; past or too far refused."""
    if valid_until is None:
        return today + timedelta(days=limits.default_validity_days)
    if valid_until < today:
        raise InvalidInput.single(
            "valid_until", "date_past", _l("The posting must be valid until today or later.")
        )
    latest = today + timedelta(days=limits.max_validity_days)
    if valid_until > latest:
        raise InvalidInput.single(
            "valid_until",
            "validity_too_long",
            _l("A posting can be valid for at most %(days)s days.", days=limits.max_validity_days),
        )
    return valid_until


def _raw_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            continue
    return None


def parse_posting(
    session: Session,
    payload: Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    today: date | None = None,
    kept_category_id: int | None = None,
) -> PostingCreate:
    """Validate a posting's input and its rules (validity range, offered category) together,
    so that a form shows every problem at once instead of one more on each submit."""
    today = today or clock.today()
    problems: list[FieldError] = []
    data: PostingCreate | None = None
    try:
        data = parse(PostingCreate, payload)
    except InvalidInput as error:
        problems.extend(error.errors)
    failed = {problem.field for problem in problems}
    valid_until = data.valid_until if data else _raw_date(payload.get("valid_until") or "")
    category = data.category if data else str(payload.get("category") or "")
    checks: list[Callable[[], object]] = []
    if valid_until is not None and "valid_until" not in failed:
        checks.append(lambda: check_validity(valid_until, today=today, limits=limits))
    if category and "category" not in failed:
        checks.append(lambda: category_by_slug(session, category, kept_id=kept_category_id))
    for check in checks:
        try:
            check()
        except InvalidInput as error:
            problems.extend(error.errors)
    if problems:
        raise InvalidInput(problems)
    assert data is not None
    return data


def _values(
    session: Session,
    data: PostingCreate,
    *,
    company: Company,
    today: date,
    limits: Limits,
    fallback_language: str,
    kept_category_id: int | None = None,
) -> dict[str, Any]:
    """The stored fields for ``data``: defaults filled in, language detected, category checked."""
    category = category_by_slug(session, data.category, kept_id=kept_category_id)
    return {
        **data.model_dump(include=set(PostingBase.model_fields)),
        "kind": data.kind.value,
        "category_id": category.id,
        "category": category,
        "unit": data.unit.value if data.unit else None,
        "postal_code": data.postal_code or company.postal_code,
        "valid_until": check_validity(data.valid_until, today=today, limits=limits),
        "language": data.language.value
        if data.language
        else detect_language(f"{data.title}\n{data.description}", default=fallback_language),
        "search_text": fold(f"{data.title} {data.description}"),
    }


def create_posting(
    *,
    session: Session,
    actor: Actor,
    data: PostingCreate,
    company_id: int | None = None,
    publish: bool = False,
    limits: Limits = Limits(),
    fallback_language: str = "de",
    today: date | None = None,
) -> Posting:
    """Create a need or offer for the actor's company (admins name the company)."""
    today = today or clock.today()
    target = company_id if company_id is not None else actor.company_id
    if target is None or not (actor.is_admin or (actor.is_member and actor.company_id == target)):
        raise PermissionDenied(_l("Only members of a company can post for it."))
    company = session.get(Company, target)
    if company is None:
        raise NotFound(_l("This company does not exist."))
    values = _values(
        session,
        data,
        company=company,
        today=today,
        limits=limits,
        fallback_language=fallback_language,
    )
    posting = Posting(
        company_id=target,
        created_by_id=actor.user_id,
        status=PostingStatus.DRAFT.value,
        **values,
    )
    if publish:
        posting.status = PostingStatus.ACTIVE.value
        posting.published_at = utcnow()
    session.add(posting)
    session.flush()
    audit.record(
        session,
        actor_id=actor.user_id,
        action="posting.create",
        entity="posting",
        entity_id=posting.id,
        changes={"kind": posting.kind, "title": posting.title, "status": posting.status},
    )
    changed(session, posting)
    return posting


def update_posting(
    *,
    session: Session,
    actor: Actor,
    posting_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    limits: Limits = Limits(),
    today: date | None = None,
) -> Posting:
    """Change some or all fields; the result is validated as a whole before anything is stored."""
    today = today or clock.today()
    posting = load_checked(session, posting_id, editable_postings_clause(actor), actor)
    if expected_version is not None and expected_version != posting.version:
        raise StaleVersion(
            _l(
                "This posting was changed in the meantime. Please reload it and apply your "
                "changes again."
            )
        )
    if PostingStatus(posting.status) not in EDITABLE:
        raise Conflict(_l("A fulfilled or withdrawn posting can no longer be edited."))
    before = posting_values(posting)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            [
                InvalidInput.single(name, "extra_forbidden", _l("Unknown field.")).errors[0]
                for name in unknown
            ]
        )
    merged = {**before, **changes}
    if "valid_until" not in changes and merged["valid_until"] is not None:
        # An unchanged validity date in the past must not block editing an expired posting.
        merged["valid_until"] = max(merged["valid_until"], today)
    if "language" not in changes and ("title" in changes or "description" in changes):
        merged["language"] = None  # detect again
    data = parse_posting(
        session, merged, limits=limits, today=today, kept_category_id=posting.category_id
    )
    values = _values(
        session,
        data,
        company=posting.company,
        today=today,
        limits=limits,
        fallback_language=before["language"],
        kept_category_id=posting.category_id,
    )
    for name, value in values.items():
        setattr(posting, name, value)
    after = posting_values(posting)
    delta = audit.diff(before, after)
    if not delta:
        return posting
    posting.version += 1
    posting.updated_at = utcnow()
    session.add(posting)
    audit.record(
        session,
        actor_id=actor.user_id,
        action="posting.update",
        entity="posting",
        entity_id=posting.id,
        changes=delta,
    )
    with first_writer_wins():
        changed(session, posting)
    return posting
