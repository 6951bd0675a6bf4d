"""What the API accepts and answers, as pydantic models; the OpenAPI document is built from them.

Input rules shared with the web forms stay in :mod:`matchmaker.schemas`; the models here add what
only the API needs (query parameters, ``publish`` on creation, partial updates) and describe the
output. Dates and times are ISO 8601, ids integers, enumerations their string values.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model
from sqlmodel import SQLModel

from matchmaker.models import (
    CompanyStatus,
    Language,
    PostingBase,
    PostingKind,
    PostingStatus,
    Unit,
)
from matchmaker.pagination import MAX_PER_PAGE
from matchmaker.schemas import Line, Strict, Text
from matchmaker.schemas import PostingCreate as PostingInput  # the API's body adds to it

# Ids are stored as 32-bit integers; larger numbers cannot name anything.
MAX_ID = 2_147_483_647
MAX_PAGE = 100_000

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- errors ---------------------------------------------------------------------------------


class FieldErrorOut(BaseModel):
    field: str = Field(description="The input field, as a dotted path; `__all__` for the whole.")
    code: str = Field(description="A stable machine-readable code, e.g. `string_too_long`.")
    message: str = Field(description="A human-readable message in the requested language.")


class ErrorOut(BaseModel):
    """Every error: a code, a message in the language of `Accept-Language`, and details."""

    error: str = Field(description="A stable code such as `not_found` or `invalid_input`.")
    message: str
    details: list[FieldErrorOut] | None = Field(
        default=None, description="For `invalid_input`: one entry per problem and field."
    )


# --- input ----------------------------------------------------------------------------------


class PostingQuery(Strict):
    """Filters of the posting list; unknown parameters are refused."""

    kind: PostingKind | None = Field(default=None, description="`need` or `offer`.")
    category: Annotated[Line, StringConstraints(max_length=40)] | None = Field(
        default=None, description="A category slug (see `GET /api/v1/categories`)."
    )
    network: Annotated[Line, StringConstraints(max_length=60)] | None = Field(
        default=None, description="A network slug (see `GET /api/v1/networks`)."
    )
    plz: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,5}$")] | None = Field(
        default=None, description="A postal code or its first digits."
    )
    q: Annotated[Line, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Words that must all occur in title or description."
    )
    status: PostingStatus | None = Field(
        default=None,
        description="Only postings in this status (beyond `active` you see your company's, "
        "your networks' or, as an admin, all).",
    )
    company: Id | None = Field(default=None, description="Only postings of this company id.")
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)


POSTING_FIELD_DOCS = {
    "kind": "`need` (a shortage) or `offer` (spare capacity).",
    "title": "One line.",
    "description": "Free text; line breaks are kept.",
    "category": "A category slug (see `GET /api/v1/categories`).",
    "quantity": "Together with `unit`: both or neither.",
    "unit": "Together with `quantity`: both or neither.",
    "postal_code": "A German postal code (five digits); default: the company's.",
    "radius_km": "How far from the postal code the posting applies.",
    "available_from": "First day of the period the need or offer is about.",
    "available_until": "Last day of that period; not before `available_from`.",
    "valid_until": "Last day the posting is shown; default: 56 days from today, at most 365.",
    "language": "`de` or `en`; detected from the text when left out.",
}


def _describe_posting_fields(schema: dict[str, Any]) -> None:
    """Document rules that live in validators (so pydantic cannot describe them itself)."""
    properties = schema.get("properties", {})
    for name, text in POSTING_FIELD_DOCS.items():
        if name in properties:
            properties[name].setdefault("description", text)
    postal = properties.get("postal_code", {})
    for option in postal.get("anyOf", [postal]):
        if option.get("type") == "string":
            option.pop("maxLength", None)
            option["pattern"] = "^[0-9]{5}$"


class PostingCreate(PostingInput):
    """A new need or offer; a draft unless `publish` is true."""

    model_config = ConfigDict(json_schema_extra=_describe_posting_fields)

    publish: bool = Field(default=False, description="Publish at once instead of a draft.")
    company_id: Id | None = Field(
        default=None,
        description="The company to post for; members post for their own company (default), "
        "admins must name one.",
    )


def _absent_is_not_null(schema: dict[str, Any]) -> None:
    """A field left out is unchanged, not null: no ``"default": null`` in the document."""
    _describe_posting_fields(schema)
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


def _partial(model: type[BaseModel], name: str, doc: str, **extra: Any) -> type[BaseModel]:
    """``model`` with every field optional and absent by default: the body of a PATCH.

    A field that is sent is checked with the same constraints as in ``model``; the whole posting
    is validated again by the service after merging, so cross-field rules still hold.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        partial = copy.copy(info)
        partial.default = None
        partial.default_factory = None
        fields[field_name] = (info.annotation, partial)
    fields.update(extra)
    created = create_model(
        name,
        __config__=ConfigDict(
            extra="forbid", str_max_length=100_000, json_schema_extra=_absent_is_not_null
        ),
        __doc__=doc,
        **fields,
    )
    return created


class _PostingUpdateFields(BaseModel):
    """What type checkers see of :data:`PostingUpdate` (its fields are built at runtime)."""

    version: int | None = None


if TYPE_CHECKING:
    PostingUpdate = _PostingUpdateFields
else:
    PostingUpdate = _partial(
        PostingInput,
        "PostingUpdate",
        "The fields to change; fields not sent stay as they are. `null` clears an optional field "
        "(postal code, validity and language fall back to their defaults).",
        version=(
            Id | None,
            Field(
                default=None,
                description="The version you edited; a newer stored version answers 409.",
            ),
        ),
    )


class StatusChange(Strict):
    """A lifecycle step, with an optional reason kept in the audit log."""

    reason: Annotated[Text, StringConstraints(max_length=2000)] = ""


class RenewInput(Strict):
    """Extend the validity; expired postings go live again."""

    valid_until: date | None = Field(
        default=None, description="The new last day; default: the standard period from today."
    )


# --- output ---------------------------------------------------------------------------------


class CompanyRef(BaseModel):
    id: int
    name: str
    city: str


class PostingLinks(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    self_: str = Field(alias="self", description="This posting in the API.")
    html: str = Field(description="This posting's public page.")
    company: str = Field(description="The company in the API.")


class PostingPublic(PostingBase):
    """A need or an offer."""

    id: int
    kind: PostingKind
    category: str = Field(description="The category slug.")
    unit: Unit | None
    postal_code: str
    valid_until: date
    status: PostingStatus
    language: Language
    company: CompanyRef
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int = Field(description="Grows with every change; send it back to edit safely.")
    links: PostingLinks


class PostingPage(BaseModel):
    """One page of postings, newest change first."""

    items: list[PostingPublic]
    page: int
    per_page: int
    total: int
    pages: int


class NetworkRef(BaseModel):
    id: int
    slug: str
    name: str


class ContactOut(BaseModel):
    name: str
    email: str
    phone: str
    address: str


class CompanyLinks(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    self_: str = Field(alias="self")
    postings: str = Field(description="The company's postings you may see.")


class CompanyPublic(SQLModel):
    """A company; `contact` only for its members, its networks' managers and admins.

    The public part of :class:`matchmaker.models.CompanyBase`; the contact fields move into
    `contact`, shown only where the access rules allow.
    """

    id: int
    name: str
    postal_code: str
    city: str
    website: str
    profile: str
    status: CompanyStatus
    networks: list[NetworkRef]
    contact: ContactOut | None
    links: CompanyLinks


class NetworkOut(BaseModel):
    id: int
    slug: str
    name: str
    region: str
    description: str


class NetworkList(BaseModel):
    items: list[NetworkOut]


class LocalizedText(BaseModel):
    de: str
    en: str


class CategoryOut(BaseModel):
    id: int
    slug: str
    name: LocalizedText
    description: LocalizedText
    sort_order: int


class CategoryList(BaseModel):
    items: list[CategoryOut]


class MatchQuery(Strict):
    """Options of the match list; unknown parameters are refused."""

    include_retired: bool = Field(
        default=False, description="Also list matches retired since (closed or changed postings)."
    )


class MatchedTermOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    need: str = Field(description="The words as the need wrote them.")
    offer: str = Field(description="The words as the offer wrote them.")
    term: str = Field(description="The normalised form both share.")
    match: str = Field(description="How they matched: exact, stem, compound, fuzzy, ...")
    weight: float


class ConceptMatchOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    concept: str = Field(description="The thesaurus concept id.")
    label: dict[str, str] = Field(description="The concept's name in German and English.")
    need_term: str
    offer_term: str
    relation: str = Field(
        description="synonym, translation, abbreviation, broader or related (how the terms relate)."
    )


class ScoreNoteOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str = Field(description="e.g. wrong_material, wrong_sense, category_mismatch, too_far.")
    message_de: str
    message_en: str
    value: float


class ExplanationOut(BaseModel):
    """Why the engine suggested the pair: what matched, and what lowered the score."""

    model_config = ConfigDict(extra="ignore")

    matched_terms: list[MatchedTermOut] = Field(default_factory=list)
    concepts: list[ConceptMatchOut] = Field(default_factory=list)
    penalties: list[ScoreNoteOut] = Field(default_factory=list)
    bonuses: list[ScoreNoteOut] = Field(default_factory=list)
    distance_km: float | None = None
    summary_de: str = ""
    summary_en: str = ""


class MatchOut(BaseModel):
    """A suggested need–offer pair as stored by the matching service."""

    id: int
    need_id: int
    offer_id: int
    score: float = Field(ge=0, le=1, description="The engine's score in [0, 1].")
    status: str = Field(description="suggested, approved, rejected or retired.")
    components: dict[str, float] = Field(description="The named parts of the score.")
    explanation: ExplanationOut
    engine_version: str
    partner: PostingPublic = Field(description="The posting on the other side of the pair.")
    created_at: datetime
    updated_at: datetime


class MatchList(BaseModel):
    """A posting's stored candidates, best first."""

    posting_id: int
    matching_pending: bool = Field(
        description="True while the posting's matches are not computed yet (the matcher "
        "process has not caught up with its last change); items may then be incomplete."
    )
    items: list[MatchOut]
