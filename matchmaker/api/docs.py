"""The OpenAPI document and a readable reference page built from it, both without a token.

They live on a blueprint of their own: no authentication, and the page follows the web pages'
language choice, while the API proper follows ``Accept-Language``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, render_template
from markupsafe import Markup, escape

from matchmaker.api.spec import spec
from matchmaker.i18n import lazy_gettext as _l

docs_bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
SECTION_ORDER = ("postings", "companies", "catalog")
CONSTRAINTS: tuple[tuple[str, Any], ...] = (
    ("minLength", _l("min. length")),
    ("maxLength", _l("max. length")),
    ("minimum", "≥"),
    ("exclusiveMinimum", ">"),
    ("maximum", "≤"),
    ("exclusiveMaximum", "<"),
    ("pattern", _l("pattern")),
    ("format", _l("format")),
)


@dataclass(frozen=True)
class TypePart:
    text: str
    ref: str | None = None


@dataclass
class Row:
    name: str
    type: list[TypePart]
    required: bool
    description: str
    constraints: list[tuple[str, str]]


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    secured: bool
    parameters: list[Row]
    body: list[TypePart]
    responses: list[tuple[str, str, list[TypePart]]]


@dataclass
class Section:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Schema:
    name: str
    description: str
    enum: list[str]
    rows: list[Row]


def inline_code(text: str) -> Markup:
    """Descriptions mark names with backticks, as Markdown does: shown as ``<code>``."""
    parts = str(text).split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_parts(schema: dict[str, Any]) -> list[TypePart]:
    """A schema's type as words, with links to the named schemas it uses."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return [TypePart(name, name)]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts: list[TypePart] = []
            for option in schema[combinator]:
                if parts:
                    parts.append(TypePart(" | "))
                parts.extend(type_parts(option))
            return parts
    if "enum" in schema:
        return [TypePart(" | ".join(json.dumps(value) for value in schema["enum"]))]
    kind = schema.get("type", "any")
    if kind == "array":
        return [TypePart("array of "), *type_parts(schema.get("items", {}))]
    if isinstance(kind, list):
        return [TypePart(" | ".join(str(k) for k in kind))]
    return [TypePart(str(kind))]


def _constraints(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for option in [schema, *schema.get("anyOf", [])]:
        for key, label in CONSTRAINTS:
            if key in option:
                found.append((str(label), str(option[key])))
    if schema.get("default") is not None:
        found.append((str(_l("default")), json.dumps(schema["default"])))
    return found


def _rows(schema: dict[str, Any]) -> list[Row]:
    required = set(schema.get("required", []))
    return [
        Row(
            name=name,
            type=type_parts(prop),
            required=name in required,
            description=inline_code(prop.get("description", "")),
            constraints=_constraints(prop),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _body(operation: dict[str, Any]) -> list[TypePart]:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        return type_parts(media.get("schema", {}))
    return []


def _responses(operation: dict[str, Any]) -> list[tuple[str, str, list[TypePart]]]:
    result = []
    for code, answer in sorted(operation.get("responses", {}).items()):
        parts: list[TypePart] = []
        for media in answer.get("content", {}).values():
            parts = type_parts(media.get("schema", {}))
        result.append((code, answer.get("description", ""), parts))
    return result


def _parameters(operation: dict[str, Any]) -> list[Row]:
    return [
        Row(
            name=f"{param['name']} ({param['in']})",
            type=type_parts(param.get("schema", {})),
            required=bool(param.get("required")),
            description=inline_code(
                param.get("description") or param.get("schema", {}).get("description", "")
            ),
            constraints=_constraints(param.get("schema", {})),
        )
        for param in operation.get("parameters", [])
    ]


def reference(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document arranged for the reference page: operations by tag, then schemas."""
    sections = {
        tag["name"]: Section(tag["name"], inline_code(tag.get("description", "")))
        for tag in document.get("tags", [])
    }
    for path, item in sorted(document.get("paths", {}).items()):
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            section = sections.setdefault(tag, Section(tag, ""))
            section.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=operation.get("operationId", ""),
                    summary=operation.get("summary", ""),
                    description=inline_code(operation.get("description", "")),
                    secured=bool(operation.get("security")),
                    parameters=_parameters(operation),
                    body=_body(operation),
                    responses=_responses(operation),
                )
            )
    schemas = [
        Schema(
            name=name,
            description=inline_code(schema.get("description", "")),
            enum=[str(value) for value in schema.get("enum", [])],
            rows=_rows(schema),
        )
        for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
    ]
    info = dict(document.get("info", {}))
    info["description"] = inline_code(info.get("description", ""))
    order = {name: index for index, name in enumerate(SECTION_ORDER)}
    return {
        "info": info,
        "sections": sorted(sections.values(), key=lambda s: (order.get(s.name, 99), s.name)),
        "schemas": schemas,
    }


def document() -> dict[str, Any]:
    """spectree's document, with a request body optional where its model requires no field."""
    generated: dict[str, Any] = spec.spec
    schemas = generated["components"]["schemas"]
    for item in generated["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is None:
                continue
            for media in body.get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if not schemas.get(_ref_name(ref), {}).get("required"):
                    body["required"] = False
    return generated


@docs_bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(document())


@docs_bp.get("/docs")
def docs() -> str:
    """The API reference for people, built from the same document."""
    return render_template("api/docs.html", **reference(document()))
