"""Input schemas: the one place that says what a valid posting, company or account looks like.

Web forms, the JSON API and the CSV import all validate through these models (see
``matchmaker.validation.parse``); rules that need the database (does this category exist?) live in
the services.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from matchmaker.models import (
    DESCRIPTION_MAX as DESCRIPTION_MAX,
)
from matchmaker.models import (
    PROFILE_MAX,
    CompanyBase,
    Language,
    PostingBase,
    PostingKind,
    Role,
    Unit,
)
from matchmaker.models import (
    TITLE_MAX as TITLE_MAX,
)
from matchmaker.validation import (
    Line,
    MultiLine,
    OptionalPostalCode,
    check_category_slug,
    check_network_slug,
    empty_to_none,
    strip,
)

PASSWORD_MIN = 10
PASSWORD_MAX = 200

# The multi-line text type under the name the API's schemas import.
Text = MultiLine


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


class PostingCreate(PostingBase):
    """A need or an offer as a company member writes it (web form, API, CSV import)."""

    model_config = Strict.model_config

    kind: PostingKind
    category: Annotated[Line, StringConstraints(min_length=1, max_length=40)]
    # validated also when left out, so that a quantity without a unit is refused
    unit: Annotated[Unit | None, BeforeValidator(empty_to_none)] = Field(
        default=None, validate_default=True
    )
    postal_code: OptionalPostalCode = None
    valid_until: Annotated[date | None, BeforeValidator(empty_to_none)] = None
    language: Annotated[Language | None, BeforeValidator(empty_to_none)] = None

    @field_validator("description", mode="before")
    @classmethod
    def _description_none(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("unit")
    @classmethod
    def _unit_with_quantity(cls, unit: Unit | None, info: ValidationInfo) -> Unit | None:
        if "quantity" not in info.data:
            return unit  # the quantity itself was invalid; that error is reported already
        if (info.data.get("quantity") is None) != (unit is None):
            raise PydanticCustomError("unit_without_quantity", "quantity and unit go together")
        return unit

    @field_validator("available_until")
    @classmethod
    def _window_order(cls, until: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("available_from")
        if until is not None and start is not None and until < start:
            raise PydanticCustomError("date_order", "end before start")
        return until


class CompanyCreate(CompanyBase):
    """A company's profile with the networks it belongs to (registration, profile form)."""

    model_config = Strict.model_config

    networks: Annotated[list[Annotated[str, StringConstraints(max_length=60)]], Field(min_length=1)]

    @field_validator("profile", "contact_name", "contact_phone", "address", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value


# Earlier names, still imported by tests and tools.
PostingInput = PostingCreate
CompanyInput = CompanyCreate


class AccountInput(Strict):
    name: Annotated[Line, StringConstraints(min_length=2, max_length=120)]
    email: Annotated[EmailStr, StringConstraints(max_length=254)]
    language: Language = Language.DE


class PasswordInput(Strict):
    password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX)]
    password_repeat: str

    @field_validator("password")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < PASSWORD_MIN:
            raise PydanticCustomError("password_short", "too short", {"min": PASSWORD_MIN})
        return value

    @field_validator("password_repeat")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise PydanticCustomError("password_mismatch", "passwords differ")
        return value


class RegistrationInput(Strict):
    """A company registers itself together with its first member account."""

    company: CompanyCreate
    account: AccountInput
    password: PasswordInput


class UserInput(Strict):
    """An account created by an admin (managers, admins) or the CLI."""

    name: Annotated[Line, StringConstraints(min_length=2, max_length=120)]
    email: Annotated[EmailStr, StringConstraints(max_length=254)]
    role: Role
    language: Language = Language.DE
    company_id: int | None = None
    network_slugs: list[str] = Field(default_factory=list)


class NetworkInput(Strict):
    slug: Annotated[
        str,
        BeforeValidator(strip),
        StringConstraints(min_length=2, max_length=60),
        AfterValidator(check_network_slug),
    ]
    name: Annotated[Line, StringConstraints(min_length=2, max_length=160)]
    region: Annotated[Line, StringConstraints(max_length=120)] = ""
    description: Annotated[Text, StringConstraints(max_length=PROFILE_MAX)] = ""
    active: bool = True


class CategoryInput(Strict):
    slug: Annotated[
        str,
        BeforeValidator(strip),
        StringConstraints(min_length=2, max_length=40),
        AfterValidator(check_category_slug),
    ]
    name_de: Annotated[Line, StringConstraints(min_length=2, max_length=80)]
    name_en: Annotated[Line, StringConstraints(min_length=2, max_length=80)]
    description_de: Annotated[Text, StringConstraints(max_length=500)] = ""
    description_en: Annotated[Text, StringConstraints(max_length=500)] = ""
    sort_order: int = Field(default=100, ge=0, le=10_000)
    active: bool = True


class RenewalInput(Strict):
    """A new end of validity for a posting; empty means the standard period from today."""

    valid_until: Annotated[date | None, BeforeValidator(empty_to_none)] = None


class ReviewInput(Strict):
    """A manager's decision with its reason (the reason is required for a rejection)."""

    reason: Annotated[Text, StringConstraints(max_length=2000)] = ""
