"""Audit events as people read them: what happened, and each changed field as "old → new".

The ``changes`` JSON has two shapes: services that compare a whole form store ``{field: [old,
new]}`` for every changed field; status changes store ``{"status": [old, new]}`` next to plain
values (a reason, a list of networks). This module tells them apart and labels both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import url_for

from matchmaker import companies, postings
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import AuditEvent, CompanyStatus, PostingStatus, User

# Actions whose changes are a field-by-field comparison (every value is [old, new]).
DIFF_ACTIONS = frozenset(
    {
        "company.update",
        "posting.update",
        "network.create",
        "network.update",
        "category.create",
        "category.update",
    }
)
# Keys that hold [old, new] in any action.
TRANSITION_KEYS = frozenset({"status", "valid_until", "active"})
MAX_VALUE_CHARS = 300

ACTION_LABELS: dict[str, Any] = {
    "company.register": _l("Company registered"),
    "company.create": _l("Company created"),
    "company.update": _l("Company profile changed"),
    "company.approve": _l("Company approved"),
    "company.reject": _l("Registration rejected"),
    "company.suspend": _l("Company suspended"),
    "company.reinstate": _l("Company reinstated"),
    "posting.create": _l("Posting created"),
    "posting.update": _l("Posting changed"),
    "posting.publish": _l("Posting published"),
    "posting.pause": _l("Posting paused"),
    "posting.resume": _l("Posting resumed"),
    "posting.fulfil": _l("Posting fulfilled"),
    "posting.withdraw": _l("Posting withdrawn"),
    "posting.renew": _l("Posting renewed"),
    "posting.expire": _l("Posting expired"),
    "network.create": _l("Network created"),
    "network.update": _l("Network changed"),
    "network.activate": _l("Network reactivated"),
    "network.deactivate": _l("Network deactivated"),
    "category.create": _l("Category created"),
    "category.update": _l("Category changed"),
    "category.activate": _l("Category reactivated"),
    "category.deactivate": _l("Category deactivated"),
    "user.create": _l("Account created"),
    "user.networks": _l("Networks assigned"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.invite": _l("Link to set the password sent"),
    "user.password": _l("Password set"),
    "user.locked": _l("Account locked after failed logins"),
    "api_token.create": _l("API token created"),
}

ENTITY_LABELS: dict[str, Any] = {
    "company": _l("Company"),
    "posting": _l("Posting"),
    "network": _l("Network"),
    "category": _l("Category"),
    "user": _l("Account"),
    "match": _l("Match"),
}

FIELD_LABELS: dict[str, Any] = {
    "status": _l("Status"),
    "reason": _l("Reason"),
    "name": _l("Name"),
    "slug": _l("Short name"),
    "region": _l("Region"),
    "description": _l("Description"),
    "active": _l("Active"),
    "networks": _l("Networks"),
    "email": _l("E-mail address"),
    "role": _l("Role"),
    "title": _l("Title"),
    "kind": _l("Kind"),
    "category": _l("Category"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "postal_code": _l("Postal code"),
    "radius_km": _l("Radius (km)"),
    "available_from": _l("Available from"),
    "available_until": _l("Available until"),
    "valid_until": _l("Valid until"),
    "language": _l("Language"),
    "address": _l("Street and number"),
    "city": _l("City"),
    "website": _l("Website"),
    "profile": _l("Short profile"),
    "contact_email": _l("Contact e-mail"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Phone"),
    "name_de": _l("Name (German)"),
    "name_en": _l("Name (English)"),
    "description_de": _l("Description (German)"),
    "description_en": _l("Description (English)"),
    "sort_order": _l("Order"),
}

ROLE_LABELS: dict[str, Any] = {
    "member": _l("company member"),
    "manager": _l("network manager"),
    "admin": _l("administrator"),
}


@dataclass(frozen=True)
class ChangeLine:
    """One changed field: ``old`` is None when the event states a value rather than a change."""

    field: str
    label: str
    new: str
    old: str | None = None


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def entity_label(entity: str) -> str:
    label = ENTITY_LABELS.get(entity)
    return str(label) if label is not None else entity


def _status_text(entity: str, value: str) -> str:
    if entity == "company" and value in CompanyStatus.values():
        return str(companies.status_label(value))
    if entity == "posting" and value in PostingStatus.values():
        return str(postings.status_label(value))
    return value


def _text(entity: str, key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_text(entity, key, item) for item in value) or "—"
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif key == "status":
        text = _status_text(entity, str(value))
    elif key == "role" and value in ROLE_LABELS:
        text = str(ROLE_LABELS[value])
    elif key == "kind" and value in ("need", "offer"):
        text = str(postings.kind_label(value))
    else:
        text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def _is_transition(event: AuditEvent, key: str, value: Any) -> bool:
    if not (isinstance(value, list) and len(value) == 2):
        return False
    return event.action in DIFF_ACTIONS or key in TRANSITION_KEYS


def describe_changes(event: AuditEvent) -> list[ChangeLine]:
    """The event's ``changes`` as labelled lines, in a stable order."""
    lines = []
    changes = event.changes if isinstance(event.changes, dict) else {"": event.changes}
    for key, value in changes.items():
        label = str(FIELD_LABELS.get(key, key))
        if _is_transition(event, key, value):
            old, new = value
            lines.append(
                ChangeLine(
                    field=key,
                    label=label,
                    old=None if old is None else _text(event.entity, key, old),
                    new=_text(event.entity, key, new),
                )
            )
        else:
            lines.append(ChangeLine(field=key, label=label, new=_text(event.entity, key, value)))
    return lines


def actor_text(event: AuditEvent, actors: dict[int, User]) -> str:
    if event.actor_id is None:
        return _("System")
    user = actors.get(event.actor_id)
    if user is None:
        return _("Deleted account")
    return f"{user.name} <{user.email}>"


def entity_url(event: AuditEvent) -> str | None:
    """Where an admin can look at the object the event is about."""
    if event.entity_id is None:
        return None
    endpoints = {
        "company": ("manager.company_detail", "company_id"),
        "posting": ("manager.posting_detail", "posting_id"),
        "network": ("admin.network_edit", "network_id"),
        "category": ("admin.category_edit", "category_id"),
        "user": ("admin.account_detail", "user_id"),
    }
    target = endpoints.get(event.entity)
    if target is None:
        return None
    endpoint, argument = target
    values: dict[str, Any] = {argument: event.entity_id}
    return url_for(endpoint, **values)


def role_label(role: str) -> str:
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def template_globals() -> dict[str, Any]:
    """Helpers the manager and admin templates use to show audit events."""
    return {
        "audit_changes": describe_changes,
        "audit_action": action_label,
        "audit_actor": actor_text,
        "audit_entity": entity_label,
        "audit_entity_url": entity_url,
        "role_label": role_label,
    }
