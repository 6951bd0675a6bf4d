"""Input validation shared by web forms, the JSON API and the CSV import.

Pydantic checks types and bounds; this module turns its errors into :class:`FieldError` s with
messages from the translation catalogue, so a German page says "Bitte höchstens 120 Zeichen
eingeben." and the API says the same in English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from matchmaker.errors import FieldError, InvalidInput
from matchmaker.i18n import lazy_gettext as _l

Model = TypeVar("Model", bound=BaseModel)

POSTAL_CODE_RE = re.compile(r"^[0-9]{5}$")
PHONE_RE = re.compile(r"^[0-9+()/ .\-]{3,40}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NETWORK_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CATEGORY_SLUG_RE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


def check_text(value: str) -> str:
    """Text is stored as typed, but control characters (which PostgreSQL rejects) are refused."""
    if _CONTROL_RE.search(value):
        raise PydanticCustomError("control_characters", "text contains control characters")
    return value


def check_single_line(value: str) -> str:
    check_text(value)
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("single_line", "text must be a single line")
    return value


def check_postal_code(value: str) -> str:
    value = value.strip()
    if not POSTAL_CODE_RE.match(value):
        raise PydanticCustomError("postal_code", "a German postal code has five digits")
    return value


def check_network_slug(value: str) -> str:
    if not NETWORK_SLUG_RE.match(value):
        raise PydanticCustomError("network_slug", "lower-case letters, digits and hyphens")
    return value


def check_category_slug(value: str) -> str:
    if not CATEGORY_SLUG_RE.match(value):
        raise PydanticCustomError("category_slug", "lower-case letters, digits and underscores")
    return value


def check_phone(value: str) -> str:
    if value and not PHONE_RE.match(value):
        raise PydanticCustomError("phone", "not a phone number")
    return value


def check_website(value: str) -> str:
    value = value.strip()
    if not value:
        return value
    if not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", value, re.IGNORECASE):
        raise PydanticCustomError("website", "not an http(s) address")
    return value


def empty_to_none(value: object) -> object:
    """HTML forms send "" for a field left blank; optional fields read that as absent."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def unify_line_breaks(value: object) -> object:
    """Browsers send a textarea's line breaks as CRLF, API clients mostly as LF: store LF.

    A form's ``maxlength`` counts a line break as one character; so does the length check then.
    """
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


# Field types the models and input schemas share (see matchmaker.models and matchmaker.schemas).
Line = Annotated[str, BeforeValidator(strip), AfterValidator(check_single_line)]
MultiLine = Annotated[str, BeforeValidator(unify_line_breaks), AfterValidator(check_text)]
PostalCode = Annotated[str, BeforeValidator(strip), AfterValidator(check_postal_code)]
OptionalPostalCode = Annotated[
    PostalCode | None, BeforeValidator(empty_to_none), Field(default=None)
]


def field_lengths(model: type[BaseModel], bound: str = "max_length") -> dict[str, int]:
    """Each field's ``max_length`` (or ``min_length``) as ``model`` declares it.

    Forms read their ``maxlength`` attributes from here, so a limit is written once, in the model.
    """
    lengths: dict[str, int] = {}
    kinds = (annotated_types.MaxLen, annotated_types.MinLen, StringConstraints)
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            value = getattr(meta, bound, None) if isinstance(meta, kinds) else None
            if value is not None:
                lengths[name] = value
    return lengths


def _message(error: Mapping[str, Any]) -> Any:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    messages: dict[str, Any] = {
        "missing": _l("This field is required."),
        "string_type": _l("Please enter text."),
        "string_too_long": _l(
            "Please enter at most %(max)s characters.", max=ctx.get("max_length", "")
        ),
        "too_long": _l("Please choose at most %(max)s entries.", max=ctx.get("max_length", "")),
        "too_short": _l("Please choose at least %(min)s.", min=ctx.get("min_length", "")),
        "int_parsing": _l("Please enter a whole number."),
        "int_type": _l("Please enter a whole number."),
        "int_from_float": _l("Please enter a whole number."),
        "float_parsing": _l("Please enter a number."),
        "float_type": _l("Please enter a number."),
        "finite_number": _l("Please enter a number."),
        "greater_than": _l("Must be greater than %(limit)s.", limit=ctx.get("gt", "")),
        "greater_than_equal": _l("Must be at least %(limit)s.", limit=ctx.get("ge", "")),
        "less_than": _l("Must be less than %(limit)s.", limit=ctx.get("lt", "")),
        "less_than_equal": _l("Must be at most %(limit)s.", limit=ctx.get("le", "")),
        "date_parsing": _l("Please enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _l("Please enter a valid date (YYYY-MM-DD)."),
        "date_type": _l("Please enter a valid date (YYYY-MM-DD)."),
        "enum": _l("Please choose one of the offered values."),
        "literal_error": _l("Please choose one of the offered values."),
        "bool_parsing": _l("Please choose yes or no."),
        "list_type": _l("Please choose from the list."),
        "extra_forbidden": _l("Unknown field."),
        "value_error": _l("Please enter a valid e-mail address.")
        if "email" in str(error.get("msg", "")).lower()
        else _l("Invalid value."),
        "control_characters": _l("The text contains invisible control characters."),
        "single_line": _l("Please enter a single line."),
        "postal_code": _l("Please enter a German postal code with five digits."),
        "phone": _l("Please enter a phone number (digits, spaces, + - / ( ))."),
        "website": _l("Please enter a web address starting with http:// or https://."),
        "date_order": _l("The end date must not be before the start date."),
        "unit_without_quantity": _l("Quantity and unit go together: please enter both or none."),
        "password_short": _l(
            "Please choose a password of at least %(min)s characters.", min=ctx.get("min", "")
        ),
        "password_mismatch": _l("The two passwords differ."),
        "network_slug": _l(
            "Please use lower-case letters, digits and single hyphens only, e.g. cluster-nord."
        ),
        "category_slug": _l(
            "Please use lower-case letters, digits and single underscores only, e.g. raw_material."
        ),
    }
    is_text = isinstance(error.get("input"), str)
    if kind == "string_too_short" or (kind == "too_short" and is_text):
        if ctx.get("min_length", 0) <= 1:
            return messages["missing"]
        return _l("Please enter at least %(min)s characters.", min=ctx.get("min_length", ""))
    if kind == "too_long" and is_text:
        return messages["string_too_long"]
    return messages.get(kind, _l("Invalid value."))


def field_errors(exc: ValidationError, *, prefix: str = "") -> list[FieldError]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        name = ".".join(loc) if loc else "__all__"
        if name.endswith("__root__") or name == "":
            name = "__all__"
        errors.append(
            FieldError(
                field=f"{prefix}{name}",
                code=str(error["type"]),
                message=_message(error),
                params=dict(error.get("ctx") or {}),
            )
        )
    return errors


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    """Validate ``data`` into ``model`` or raise :class:`InvalidInput` with translated messages."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from exc
