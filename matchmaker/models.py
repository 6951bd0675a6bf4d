"""Database tables (SQLModel).

Enumerations are stored as short strings guarded by CHECK constraints, so that adding a value is
a small migration on every backend. Timestamps are timezone-aware UTC.
"""

import enum
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Optional

from pydantic import AfterValidator, BeforeValidator, EmailStr, StringConstraints
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, Relationship, SQLModel

from matchmaker.db import UTCDateTime, utcnow
from matchmaker.validation import (
    Line,
    MultiLine,
    PostalCode,
    check_phone,
    check_website,
    empty_to_none,
)

# Length limits of what people write; tables, input schemas, the API and the forms' maxlength
# attributes read them from the model families below.
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
PROFILE_MAX = 2000

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class StrEnum(enum.StrEnum):
    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]


class Role(StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    ADMIN = "admin"


class CompanyStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class PostingKind(StrEnum):
    NEED = "need"
    OFFER = "offer"


class PostingStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Language(StrEnum):
    DE = "de"
    EN = "en"


class Unit(StrEnum):
    PIECE = "piece"
    KG = "kg"
    T = "t"
    M = "m"
    M2 = "m2"
    M3 = "m3"
    L = "l"
    PALLET = "pallet"
    PALLET_SPACE = "pallet_space"
    HOUR = "hour"
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    PERSON = "person"
    LOT = "lot"


class MatchStatus(StrEnum):
    """Where a match stands in review; the transitions live in ``matchmaker.review``."""

    SUGGESTED = "suggested"
    APPROVED = "approved"
    REJECTED = "rejected"
    SNOOZED = "snoozed"
    INTRODUCED = "introduced"
    RETIRED = "retired"


# Matches listed for a posting unless retired ones are asked for: all but retired and rejected.
OPEN_MATCH_STATUSES = (
    MatchStatus.SUGGESTED.value,
    MatchStatus.APPROVED.value,
    MatchStatus.SNOOZED.value,
    MatchStatus.INTRODUCED.value,
)


class MatchSource(StrEnum):
    ENGINE = "engine"
    COMPANY = "company"


class RejectReason(StrEnum):
    WRONG_CATEGORY = "wrong_category"
    WRONG_MATERIAL = "wrong_material"
    TOO_FAR = "too_far"
    QUANTITY = "quantity"
    DUPLICATE = "duplicate"
    OTHER = "other"


class MatchOutcome(StrEnum):
    DEAL = "deal"
    IN_TALKS = "in_talks"
    NO_DEAL = "no_deal"


class TokenPurpose(StrEnum):
    RESET = "reset"
    SET = "set"


def _check_in(column: str, enum_cls: type[StrEnum], name: str) -> CheckConstraint:
    values = ", ".join(f"'{v}'" for v in enum_cls.values())
    return CheckConstraint(f"{column} IN ({values})", name=name)


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


def _fk(target: str, *, ondelete: str, nullable: bool, index: bool = True) -> Any:
    """A foreign-key column with an explicit ON DELETE rule (SQLModel's shorthand lacks it)."""
    return Field(
        default=None,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        sa_type=Integer,
        nullable=nullable,
        index=index,
    )


class NetworkManager(SQLModel, table=True):
    """A manager's responsibility for a network."""

    __tablename__: ClassVar[str] = "network_manager"

    network_id: int = Field(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")


class CompanyNetwork(SQLModel, table=True):
    """A company's membership in a network."""

    __tablename__: ClassVar[str] = "company_network"

    company_id: int = Field(foreign_key="company.id", primary_key=True, ondelete="CASCADE")
    network_id: int = Field(foreign_key="network.id", primary_key=True, ondelete="RESTRICT")


class Network(SQLModel, table=True):
    __tablename__: ClassVar[str] = "network"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=160)
    region: str = Field(default="", max_length=120)
    description: str = Field(default="", sa_type=Text)
    active: bool = True
    created_at: datetime = _timestamp()

    managers: list["User"] = Relationship(
        back_populates="managed_networks", link_model=NetworkManager
    )
    companies: list["Company"] = Relationship(back_populates="networks", link_model=CompanyNetwork)


class CompanyBase(SQLModel):
    """A company's profile as its members write it: the fields, their limits and their checks.

    The table :class:`Company` stores it, :class:`matchmaker.schemas.CompanyCreate` validates it.
    """

    name: Annotated[Line, StringConstraints(min_length=2, max_length=160)] = Field(index=True)
    address: Annotated[Line, StringConstraints(max_length=200)] = ""
    postal_code: PostalCode = Field(sa_type=String(5))
    city: Annotated[Line, StringConstraints(min_length=2, max_length=100)]
    website: Annotated[
        str, BeforeValidator(lambda v: "" if v is None else v), AfterValidator(check_website)
    ] = Field(default="", max_length=300)
    profile: Annotated[MultiLine, StringConstraints(max_length=PROFILE_MAX)] = Field(
        default="", sa_type=Text
    )
    contact_email: Annotated[EmailStr, StringConstraints(max_length=254)] = Field(
        sa_type=String(254)
    )
    contact_name: Annotated[Line, StringConstraints(max_length=120)] = ""
    contact_phone: Annotated[Line, AfterValidator(check_phone)] = Field(default="", max_length=40)


class Company(CompanyBase, table=True):
    __tablename__: ClassVar[str] = "company"
    __table_args__ = (_check_in("status", CompanyStatus, "status"),)

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=CompanyStatus.PENDING.value, max_length=12, index=True)
    review_note: str = Field(default="", sa_type=Text)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    networks: list["Network"] = Relationship(back_populates="companies", link_model=CompanyNetwork)
    members: list["User"] = Relationship(
        back_populates="company",
        sa_relationship_kwargs={"foreign_keys": "User.company_id"},
    )
    postings: list["Posting"] = Relationship(back_populates="company")


class User(SQLModel, table=True):
    __tablename__: ClassVar[str] = "user_account"
    __table_args__ = (
        _check_in("role", Role, "role"),
        _check_in("language", Language, "language"),
        CheckConstraint(
            "(role = 'member' AND company_id IS NOT NULL) OR (role <> 'member')",
            name="member_company",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    role: str = Field(default=Role.MEMBER.value, max_length=10)
    company_id: int | None = _fk("company.id", ondelete="CASCADE", nullable=True)
    active: bool = True
    language: str = Field(default=Language.DE.value, max_length=2)
    session_version: int = 0
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _timestamp()

    company: Optional["Company"] = Relationship(
        back_populates="members",
        sa_relationship_kwargs={"foreign_keys": "User.company_id"},
    )
    managed_networks: list["Network"] = Relationship(
        back_populates="managers", link_model=NetworkManager
    )


class Category(SQLModel, table=True):
    """A node of the managed posting taxonomy."""

    __tablename__: ClassVar[str] = "category"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name_de: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    description_de: str = Field(default="", max_length=500)
    description_en: str = Field(default="", max_length=500)
    sort_order: int = 0
    active: bool = True

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_de


class PostingBase(SQLModel):
    """What a company writes about a need or an offer, with its limits and checks.

    The table :class:`Posting` stores it, :class:`matchmaker.schemas.PostingCreate` validates it
    (adding the fields whose stored form differs: kind, category, unit, postal code, validity,
    language) and :class:`matchmaker.api.schemas.PostingPublic` shows it.
    """

    title: Annotated[Line, StringConstraints(min_length=5, max_length=TITLE_MAX)]
    description: Annotated[MultiLine, StringConstraints(max_length=DESCRIPTION_MAX)] = Field(
        default="", sa_type=Text
    )
    quantity: Annotated[
        Annotated[float, Field(gt=0, le=1_000_000_000)] | None, BeforeValidator(empty_to_none)
    ] = None
    radius_km: Annotated[
        Annotated[int, Field(ge=1, le=1000)] | None, BeforeValidator(empty_to_none)
    ] = None
    available_from: Annotated[date | None, BeforeValidator(empty_to_none)] = None
    available_until: Annotated[date | None, BeforeValidator(empty_to_none)] = None


_POSTING_VERSION = Column("version", Integer, nullable=False)


class Posting(PostingBase, table=True):
    """A need or an offer of one company."""

    __mapper_args__: ClassVar[dict[str, Any]] = {
        "version_id_col": _POSTING_VERSION,
        "version_id_generator": False,
    }

    __tablename__: ClassVar[str] = "posting"
    __table_args__ = (
        _check_in("kind", PostingKind, "kind"),
        _check_in("status", PostingStatus, "status"),
        _check_in("language", Language, "language"),
        CheckConstraint(
            "available_from IS NULL OR available_until IS NULL "
            "OR available_from <= available_until",
            name="window",
        ),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity"),
        CheckConstraint(
            "radius_km IS NULL OR (radius_km >= 1 AND radius_km <= 1000)", name="radius"
        ),
        Index("ix_posting_status_kind", "status", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=5)
    category_id: int = Field(foreign_key="category.id", index=True, ondelete="RESTRICT")
    unit: str | None = Field(default=None, max_length=20)
    postal_code: str = Field(max_length=5, index=True)
    valid_until: date = Field(index=True)
    status: str = Field(default=PostingStatus.DRAFT.value, max_length=10)
    language: str = Field(default=Language.DE.value, max_length=2)
    search_text: str = Field(default="", sa_type=Text)
    # Every UPDATE of a posting says "WHERE version = <the version read>": of two concurrent
    # edits the second finds no row and fails (StaleDataError) instead of overwriting the first.
    # The services count the version themselves (a change bumps it), hence no generator.
    version: int = Field(default=1, sa_column=_POSTING_VERSION)
    created_by_id: int | None = _fk("user_account.id", ondelete="SET NULL", nullable=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp(index=True)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    company: Company = Relationship(back_populates="postings")
    category: Category = Relationship()


class AuditEvent(SQLModel, table=True):
    """Who changed what and when. Rows are never updated or deleted by the application."""

    __tablename__: ClassVar[str] = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _timestamp(index=True)
    actor_id: int | None = _fk("user_account.id", ondelete="SET NULL", nullable=True)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PasswordToken(SQLModel, table=True):
    """A one-time link to set or reset a password; only the token's hash is stored."""

    __tablename__: ClassVar[str] = "password_token"
    __table_args__ = (_check_in("purpose", TokenPurpose, "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=10)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; shown once at creation, stored as a hash."""

    __tablename__: ClassVar[str] = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(default="", max_length=80)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _timestamp()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Match(SQLModel, table=True):
    """A need and an offer the engine scored above the threshold.

    The engine's components and explanation are stored as computed, with the engine version, so a
    manager sees why the pair was suggested even after the engine has changed.
    """

    __tablename__: ClassVar[str] = "match"
    __table_args__ = (
        _check_in("status", MatchStatus, "status"),
        _check_in("source", MatchSource, "source"),
        CheckConstraint(
            "reject_reason IS NULL OR reject_reason IN ("
            + ", ".join(f"'{v}'" for v in RejectReason.values())
            + ")",
            name="reject_reason",
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ("
            + ", ".join(f"'{v}'" for v in MatchOutcome.values())
            + ")",
            name="outcome",
        ),
        CheckConstraint("need_id <> offer_id", name="pair"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
        UniqueConstraint("need_id", "offer_id", name="uq_match_need_offer"),
        Index("ix_match_status_score", "status", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="posting.id", index=True, ondelete="CASCADE")
    offer_id: int = Field(foreign_key="posting.id", index=True, ondelete="CASCADE")
    score: float
    components: dict[str, float] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    explanation: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    engine_version: str = Field(max_length=40)
    status: str = Field(default=MatchStatus.SUGGESTED.value, max_length=10)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Review (see matchmaker.review): every change of these goes through its state machine.
    source: str = Field(default=MatchSource.ENGINE.value, max_length=10)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = _fk("user_account.id", ondelete="SET NULL", nullable=True)
    reject_reason: str | None = Field(default=None, max_length=20)
    reject_note: str = Field(default="", sa_type=Text)
    # what both postings said when the pair was rejected; a rematch re-suggests it only if changed
    decided_fingerprint: str | None = Field(default=None, max_length=64)
    snoozed_until: date | None = None
    introduced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    introduced_by_id: int | None = _fk("user_account.id", ondelete="SET NULL", nullable=True)
    outcome: str | None = Field(default=None, max_length=10)
    outcome_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    need: Posting = Relationship(sa_relationship_kwargs={"foreign_keys": "Match.need_id"})
    offer: Posting = Relationship(sa_relationship_kwargs={"foreign_keys": "Match.offer_id"})


# --- Review: the audit trail of match decisions -------------------------------------------------


class MatchEvent(SQLModel, table=True):
    """One transition of a match: who moved it from which status to which, and when."""

    __tablename__: ClassVar[str] = "match_event"

    id: int | None = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp(index=True)
    actor_id: int | None = _fk("user_account.id", ondelete="SET NULL", nullable=True)
    action: str = Field(max_length=20)
    from_status: str = Field(max_length=10)
    to_status: str = Field(max_length=10)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- outbox and digests ---------------------------------------------------------------------


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting for, or past, delivery.

    Written in the transaction of the change that causes it, so no mail leaves for a change that
    was rolled back, and none is lost when the mail server is down: the drain retries it.
    The message is stored rendered (with its Message-ID), so a retry sends the same bytes.
    """

    __tablename__: ClassVar[str] = "outbox_message"
    __table_args__ = (
        _check_in("state", OutboxState, "state"),
        Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    recipient: str = Field(max_length=320, index=True)
    subject: str = Field(default="", max_length=500)
    message_id: str = Field(max_length=250)
    message: str = Field(sa_type=Text)
    state: str = Field(default=OutboxState.QUEUED.value, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = _timestamp()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=40)
    last_error: str = Field(default="", sa_type=Text)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _timestamp()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EmptyWeek(StrEnum):
    NOTE = "note"
    SKIP = "skip"


class DigestPreference(SQLModel, table=True):
    """A manager's choices for the weekly digest; no row means the defaults (on, Monday 07:00)."""

    __tablename__: ClassVar[str] = "digest_preference"
    __table_args__ = (
        _check_in("empty_week", EmptyWeek, "empty_week"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
        CheckConstraint("min_score >= 0 AND min_score <= 1", name="min_score"),
    )

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    enabled: bool = True
    weekday: int = 0  # Monday, as datetime.weekday()
    hour: int = 7  # local time in Europe/Berlin
    min_score: float = 0.0
    network_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    empty_week: str = Field(default=EmptyWeek.NOTE.value, max_length=4)
    updated_at: datetime = _timestamp()


class DigestDelivery(SQLModel, table=True):
    """The digest of one manager for one ISO week (Europe/Berlin): the unique constraint is what
    makes the digest go out once, whatever the schedulers, threads or processes do."""

    __tablename__: ClassVar[str] = "digest_delivery"
    __table_args__ = (UniqueConstraint("user_id", "week", name="uq_digest_delivery_user_week"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    week: str = Field(max_length=8)  # ISO week, e.g. 2026-W49
    trigger: str = Field(max_length=10)  # schedule, manual, cli
    outbox_message_id: int | None = _fk("outbox_message.id", ondelete="SET NULL", nullable=True)
    match_count: int = 0
    skipped: bool = False  # an empty week for a manager who chose to get nothing
    forced_count: int = 0  # extra sends on request ("send now" forced)
    created_at: datetime = _timestamp()


# --- matcher: pending matching work and the matcher's lease -----------------------------------


class MatchJob(SQLModel, table=True):
    """A posting whose matches must be (re)computed by the matcher process.

    Web workers write this row in the transaction of the change (one row per posting, its
    ``version`` bumped by every further change); the matcher deletes it once the matches are
    stored, only if the version is still the one it worked on. A table of its own rather than a
    column on ``posting``: the matcher never writes posting rows (no ``updated_at`` churn, no lock
    on a row a member is editing), and the backlog is one count.
    """

    __tablename__: ClassVar[str] = "match_job"

    posting_id: int = Field(
        sa_column_args=[ForeignKey("posting.id", ondelete="CASCADE")],
        sa_type=Integer,
        primary_key=True,
    )
    version: int = 1
    requested_at: datetime = _timestamp(index=True)


class MatcherLease(SQLModel, table=True):
    """Who is the active matcher: the holder renews ``expires_at``; others wait as standby."""

    __tablename__: ClassVar[str] = "matcher_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(default="", max_length=200)
    acquired_at: datetime = _timestamp()
    heartbeat_at: datetime = _timestamp()
    expires_at: datetime = _timestamp()
