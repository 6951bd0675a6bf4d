"""Server-rendered pages: the blueprints and the template helpers (error page: web.errors)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request, url_for
from flask_babel import format_date, format_datetime
from markupsafe import Markup, escape
from pydantic import BaseModel
from sqlmodel import Session

from matchmaker import companies, i18n, matcher, postings, schemas
from matchmaker.i18n import gettext as _
from matchmaker.validation import field_lengths
from matchmaker.web import formatting
from matchmaker.web.common import actor, current_db_user, settings
from matchmaker.web.labels import UNIT_LABELS

log = logging.getLogger(__name__)


def _nl2br(value: str) -> Markup:
    """Line breaks of user text as <br>, everything else escaped."""
    return Markup("<br>\n").join(escape(value).split("\n"))


def _lang_url(language: str) -> str:
    return url_for("public.set_language", language=language, next=request.full_path.rstrip("?"))


def _template_context() -> dict[str, Any]:
    return {
        "current_language": i18n.current_language(),
        "current_db_user": current_db_user(),
        "actor": actor(),
        "lang_url": _lang_url,
        "unit_labels": UNIT_LABELS,
        "legal_links": _legal_links(),
    }


def _legal_links() -> list[tuple[str, str]]:
    """The operator's imprint and privacy notice, for the footer (when configured)."""
    config = settings()
    links = [(_("Imprint"), config.imprint_url), (_("Privacy"), config.privacy_url)]
    return [(label, url) for label, url in links if url]


def _format_quantity(value: float) -> str:
    return formatting.number(value)


def init_web(app: Flask) -> None:
    from matchmaker.web import (
        admin,
        answers,
        auth,
        digest_prefs,
        interest,
        mail_admin,
        manager,
        member,
        public,
        renewal,
        review,
        statistics,
    )

    for module in (
        public,
        auth,
        member,
        manager,
        admin,
        review,
        answers,
        interest,
        statistics,
        digest_prefs,
        mail_admin,
        renewal,
    ):
        app.register_blueprint(module.bp)
    app.context_processor(_template_context)
    app.jinja_env.filters["nl2br"] = _nl2br
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.filters["format_datetime"] = format_datetime
    app.jinja_env.filters["format_quantity"] = _format_quantity
    formatting.init_app(app)
    app.jinja_env.globals["posting_status_label"] = postings.status_label
    app.jinja_env.globals["company_status_label"] = companies.status_label
    app.jinja_env.globals["UNIT_LABELS"] = UNIT_LABELS
    # Forms take their length limits from the input schemas: max_length.company.name etc.
    forms: dict[str, type[BaseModel]] = {
        "posting": schemas.PostingCreate,
        "company": schemas.CompanyCreate,
        "account": schemas.AccountInput,
        "user": schemas.UserInput,
        "network": schemas.NetworkInput,
        "category": schemas.CategoryInput,
    }
    for bound in ("max_length", "min_length"):
        app.jinja_env.globals[bound] = {
            form: field_lengths(model, bound) for form, model in forms.items()
        }
    # Macros are imported without the page's context; they read the language through this.
    app.jinja_env.globals["ui_language"] = i18n.current_language
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness for load balancers and supervisors, with the matcher's heartbeat and
        backlog (postings waiting for their matches) for monitoring."""
        try:
            with Session(app.extensions["matchmaker.engine"]) as session:
                state: dict[str, Any] = matcher.status(session)
        except Exception:  # the web server is alive even when the database is not
            log.exception("healthz: database not reachable")
            state = {"active": False, "error": "database unreachable"}
        return jsonify(status="ok", matcher=state)
