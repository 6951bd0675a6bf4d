"""The demo data set: fictional networks, companies, accounts and postings for trying Matchmaker.

The files in ``data/demo/`` (format: ``data/demo/README.md``) are loaded through the services, so
every demo row obeys the same rules as real data. Posting dates are day offsets from the load day,
so the demo never looks out of date. Every demo account shares one published password, which is
why the demo is never loaded in production and only into an empty database.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from sqlalchemy import exists, select
from sqlmodel import Session

from matchmaker import accounts, catalog, clock, companies, matches, postings
from matchmaker.access import Actor
from matchmaker.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from matchmaker.models import Company, CompanyStatus, Network, Role, User
from matchmaker.resources import data_dir
from matchmaker.schemas import CompanyCreate, NetworkInput, PostingCreate, UserInput
from matchmaker.security import hash_password
from matchmaker.validation import parse

DEMO_PASSWORD = "matchmaker-demo"
ADMIN_EMAIL = "admin@matchmaker.example"
ADMIN_NAME = "Demo Admin"

NETWORKS_FILE = "networks.json"
COMPANIES_FILE = "companies.json"
POSTINGS_FILE = "postings.jsonl"

# status in the file -> the lifecycle actions that lead there from a draft
_STATUS_ACTIONS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "active": ("publish",),
    "paused": ("publish", "pause"),
    "fulfilled": ("publish", "fulfil"),
    "withdrawn": ("publish", "withdraw"),
}

T = TypeVar("T")


def default_path() -> Path:
    return data_dir() / "demo"


class DemoDataError(InvalidInput):
    """A demo file is missing or malformed; each error names the file and the entry or line."""

    def __init__(self, errors: list[FieldError], message: str) -> None:
        super().__init__(errors, message)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DemoPerson(_Entry):
    email: str
    name: str
    language: Literal["de", "en"] = "de"


class DemoNetwork(_Entry):
    slug: str
    name: str
    region: str = ""
    description: str = ""
    managers: list[DemoPerson]


class DemoCompany(_Entry):
    key: str
    name: str
    address: str = ""
    postal_code: str
    city: str
    website: str = ""
    profile: str = ""
    networks: list[str]
    status: Literal["approved", "pending"]
    contact_email: str
    contact_name: str = ""
    contact_phone: str = ""
    members: list[DemoPerson]


class DemoPosting(_Entry):
    company: str
    kind: str
    title: str
    description: str = ""
    category: str
    quantity: float | None = None
    unit: str | None = None
    postal_code: str | None = None
    radius_km: int | None = None
    available_from_days: int | None = None
    available_until_days: int | None = None
    valid_for_days: int | None = None
    status: Literal["draft", "active", "paused", "fulfilled", "withdrawn"]
    language: str | None = None


@dataclass(frozen=True)
class DemoFiles:
    networks: list[DemoNetwork]
    companies: list[DemoCompany]
    postings: list[tuple[int, DemoPosting]]  # (line number, entry)


@dataclass
class DemoSummary:
    """What was loaded, for the command's report."""

    networks: int = 0
    managers: int = 0
    companies: Counter[str] = field(default_factory=Counter)
    members: int = 0
    postings: Counter[str] = field(default_factory=Counter)
    admin_email: str = ADMIN_EMAIL
    password: str = DEMO_PASSWORD


def _pydantic_errors(
    exc: ValidationError, where: Callable[[tuple[Any, ...]], str]
) -> list[FieldError]:
    return [
        FieldError(field=where(tuple(error["loc"])), code=str(error["type"]), message=error["msg"])
        for error in exc.errors()
    ]


def _at(prefix: str) -> Callable[[tuple[Any, ...]], str]:
    """Names a field inside an entry: ``postings.jsonl, line 12: title``."""

    def where(loc: tuple[Any, ...]) -> str:
        return prefix + (f": {'.'.join(str(part) for part in loc)}" if loc else "")

    return where


def _file_error(name: str, message: str) -> DemoDataError:
    return DemoDataError([FieldError(field=name, code="invalid_file", message=message)], message)


def _read_text(folder: Path, name: str) -> str:
    path = folder / name
    if not path.is_file():
        raise _file_error(name, f"The demo data file {path} is missing.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _file_error(name, f"{path} is not UTF-8 encoded: {exc}.") from exc


def _read_array(folder: Path, name: str, model: type[T]) -> list[T]:
    text = _read_text(folder, name)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(name, f"{name}, line {exc.lineno}: invalid JSON ({exc.msg}).") from exc
    try:
        return TypeAdapter(list[model]).validate_python(raw)  # type: ignore[valid-type]
    except ValidationError as exc:

        def where(loc: tuple[Any, ...]) -> str:
            if loc and isinstance(loc[0], int):
                return _at(f"{name}, entry {loc[0] + 1}")(loc[1:])
            return name

        raise DemoDataError(
            _pydantic_errors(exc, where), f"{name} does not have the documented format."
        ) from exc


def _read_lines(folder: Path) -> list[tuple[int, DemoPosting]]:
    entries: list[tuple[int, DemoPosting]] = []
    errors: list[FieldError] = []
    for number, line in enumerate(_read_text(folder, POSTINGS_FILE).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append((number, DemoPosting.model_validate_json(line)))
        except ValidationError as exc:
            errors += _pydantic_errors(exc, _at(f"{POSTINGS_FILE}, line {number}"))
    if errors:
        raise DemoDataError(errors, f"{POSTINGS_FILE} does not have the documented format.")
    return entries


def read_demo(path: Path) -> DemoFiles:
    """Read and check the structure of the three demo files (their content is checked on load)."""
    if not path.is_dir():
        raise _file_error(str(path), f"There is no demo data folder at {path}.")
    return DemoFiles(
        networks=_read_array(path, NETWORKS_FILE, DemoNetwork),
        companies=_read_array(path, COMPANIES_FILE, DemoCompany),
        postings=_read_lines(path),
    )


def is_empty(session: Session) -> bool:
    """No networks, companies or accounts yet (the migrations' default categories do not count)."""
    for model in (Network, Company, User):
        if session.execute(select(exists().select_from(model))).scalar():
            return False
    return True


def ensure_allowed(environment: str) -> None:
    if environment == "production":
        raise PermissionDenied(
            "The demo data is never loaded in production (MATCHMAKER_ENV=production): "
            "its accounts share a published password."
        )


@contextmanager
def _located(where: str) -> Iterator[None]:
    """Name the file and entry in the errors the services raise for one demo entry."""
    try:
        yield
    except InvalidInput as exc:
        errors = [
            FieldError(f"{where}: {e.field}", e.code, e.message, e.params) for e in exc.errors
        ]
        raise DemoDataError(errors, f"The demo data is invalid ({where}).") from exc
    except Conflict as exc:
        raise DemoDataError(
            [FieldError(where, exc.code, exc.message)], f"The demo data is invalid ({where})."
        ) from exc


def _create_account(
    session: Session,
    person: DemoPerson,
    *,
    role: Role,
    password_hash: str,
    company_id: int | None = None,
    networks: list[str] | None = None,
) -> User:
    data = parse(
        UserInput,
        {
            "email": person.email,
            "name": person.name,
            "role": role.value,
            "language": person.language,
            "company_id": company_id,
            "network_slugs": networks or [],
        },
    )
    user = accounts.create_user(session=session, actor=Actor.system(), data=data)
    accounts.set_password_hash(session=session, user=user, password_hash=password_hash)
    return user


def _posting_input(entry: DemoPosting, today: date) -> PostingCreate:
    def day(offset: int | None) -> date | None:
        return None if offset is None else today + timedelta(days=offset)

    return parse(
        PostingCreate,
        {
            "kind": entry.kind,
            "title": entry.title,
            "description": entry.description,
            "category": entry.category,
            "quantity": entry.quantity,
            "unit": entry.unit,
            "postal_code": entry.postal_code,
            "radius_km": entry.radius_km,
            "available_from": day(entry.available_from_days),
            "available_until": day(entry.available_until_days),
            "valid_until": day(entry.valid_for_days),
            "language": entry.language,
        },
    )


def load_demo(
    *,
    session: Session,
    path: Path,
    environment: str,
    limits: postings.Limits | None = None,
    today: date | None = None,
) -> DemoSummary:
    """Load the demo files into an empty database, as the system actor, in the caller's session.

    Refuses production and a database that holds data already. Flushes, never commits.
    """
    ensure_allowed(environment)
    if not is_empty(session):
        raise Conflict(
            "The database holds data already; the demo data is loaded into an empty database only."
        )
    today = today or clock.today()
    files = read_demo(path)
    system = Actor.system()
    password_hash = hash_password(DEMO_PASSWORD)  # slow on purpose: once, shared by every account
    summary = DemoSummary()

    managers: dict[str, tuple[DemoPerson, list[str]]] = {}
    for index, network in enumerate(files.networks, start=1):
        with _located(f"{NETWORKS_FILE}, entry {index}"):
            catalog.save_network(
                session=session,
                actor=system,
                data=parse(
                    NetworkInput,
                    network.model_dump(include={"slug", "name", "region", "description"}),
                ),
            )
        for person in network.managers:
            managers.setdefault(person.email.lower(), (person, []))[1].append(network.slug)
    summary.networks = len(files.networks)
    for person, slugs in managers.values():
        with _located(f"{NETWORKS_FILE}, manager {person.email}"):
            _create_account(
                session, person, role=Role.MANAGER, password_hash=password_hash, networks=slugs
            )
    summary.managers = len(managers)

    by_key: dict[str, Company] = {}
    for index, entry in enumerate(files.companies, start=1):
        where = f"{COMPANIES_FILE}, entry {index} ({entry.key})"
        if entry.key in by_key:
            raise _file_error(where, f"{where}: the key {entry.key!r} is used twice.")
        with _located(where):
            company = companies.create_company(
                session=session,
                actor=system,
                data=parse(CompanyCreate, entry.model_dump(exclude={"key", "status", "members"})),
                status=CompanyStatus(entry.status),
            )
            for person in entry.members:
                _create_account(
                    session,
                    person,
                    role=Role.MEMBER,
                    password_hash=password_hash,
                    company_id=company.id,
                )
        by_key[entry.key] = company
        summary.companies[entry.status] += 1
        summary.members += len(entry.members)

    with matches.deferred(session, full_rematch=True):
        _load_postings(session, files, by_key, summary, limits=limits, today=today)

    with _located("admin account"):
        _create_account(
            session,
            DemoPerson(email=ADMIN_EMAIL, name=ADMIN_NAME, language="de"),
            role=Role.ADMIN,
            password_hash=password_hash,
        )
    session.flush()
    return summary


def _load_postings(
    session: Session,
    files: DemoFiles,
    by_key: dict[str, Company],
    summary: DemoSummary,
    *,
    limits: postings.Limits | None,
    today: date,
) -> None:
    system = Actor.system()
    for number, item in files.postings:
        where = f"{POSTINGS_FILE}, line {number}"
        owner = by_key.get(item.company)
        if owner is None:
            raise _file_error(where, f"{where}: unknown company key {item.company!r}.")
        with _located(where):
            actions = _STATUS_ACTIONS[item.status]
            posting = postings.create_posting(
                session=session,
                actor=system,
                data=_posting_input(item, today),
                company_id=owner.id,
                publish=bool(actions),
                limits=limits or postings.Limits(),
                today=today,
            )
            for action in actions[1:]:
                assert posting.id is not None
                postings.change_status(
                    session=session,
                    actor=system,
                    posting_id=posting.id,
                    action=action,
                    today=today,
                )
        summary.postings[item.status] += 1
