"""Small helpers for page tests: valid form data and reading stored state."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import clock, postings
from matchmaker.models import AuditEvent, Company, Posting, User
from tests.helpers import text_of

PERSONAS = (
    "anonymous",
    "same_company",
    "other_company",
    "manager_same_network",
    "manager_other_network",
    "admin",
)


def today() -> date:
    return clock.today()


def posting_form(**overrides: Any) -> dict[str, Any]:
    """A valid new-posting form as a browser sends it (every field, blanks as "")."""
    values: dict[str, Any] = {
        "kind": "offer",
        "title": "Freie Kapazität Laserschneiden",
        "description": "TRUMPF 3030, Blech bis 12 mm, ab sofort.",
        "category": "production_capacity",
        "quantity": "40",
        "unit": "hour",
        "postal_code": "07745",
        "radius_km": "150",
        "available_from": "",
        "available_until": "",
        "valid_until": (today() + timedelta(days=30)).isoformat(),
        "language": "",
        "action": "draft",
    }
    values.update(overrides)
    return values


def edit_form(posting: Posting, **overrides: Any) -> dict[str, Any]:
    """The edit form of ``posting`` as the page pre-fills it."""
    values = postings.posting_values(posting)
    form: dict[str, Any] = {
        name: ("" if value is None else str(value)) for name, value in values.items()
    }
    if posting.quantity is not None and float(posting.quantity).is_integer():
        form["quantity"] = str(int(posting.quantity))
    form["version"] = str(posting.version)
    form["action"] = "save"
    form.update(overrides)
    return form


def count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def stored(session: Session, posting_id: int | None) -> Posting:
    session.expire_all()
    posting = session.get(Posting, posting_id)
    assert posting is not None
    return posting


def snapshot(session: Session) -> dict[str, Any]:
    """Everything a bad request must leave alone."""
    session.expire_all()
    return {
        "postings": [
            (p.id, p.version, p.status, postings.posting_values(p))
            for p in session.execute(select(Posting).order_by(Posting.id)).scalars()
        ],
        "companies": [
            (c.id, c.name, c.status, c.updated_at, c.profile, c.contact_email)
            for c in session.execute(select(Company).order_by(Company.id)).scalars()
        ],
        "users": [
            (u.id, u.email, u.password_hash, u.session_version, u.language)
            for u in session.execute(select(User).order_by(User.id)).scalars()
        ],
        "audit": count(session, AuditEvent),
    }


def input_value(page: str, name: str) -> str | None:
    """The value attribute of the input called ``name`` (HTML-escaped as rendered)."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*\bvalue="([^"]*)"', page)
    return match.group(1) if match else None


def field_error(page: str, name: str) -> bool:
    return f'id="{name}-error"' in page


def body(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return text_of(response)
