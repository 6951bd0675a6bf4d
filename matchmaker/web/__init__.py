"""Server-rendered pages: blueprints, error pages and template helpers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, InternalServerError

from matchmaker import companies, i18n, postings
from matchmaker.errors import DomainError
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Unit
from matchmaker.web.common import actor, current_db_user, settings

log = logging.getLogger(__name__)

UNIT_LABELS: dict[str, Any] = {
    Unit.PIECE.value: _l("pieces"),
    Unit.KG.value: _l("kg"),
    Unit.T.value: _l("t"),
    Unit.M.value: _l("m"),
    Unit.M2.value: _l("m²"),
    Unit.M3.value: _l("m³"),
    Unit.L.value: _l("litres"),
    Unit.PALLET.value: _l("pallets"),
    Unit.PALLET_SPACE.value: _l("pallet spaces"),
    Unit.HOUR.value: _l("hours"),
    Unit.SHIFT.value: _l("shifts"),
    Unit.DAY.value: _l("days"),
    Unit.WEEK.value: _l("weeks"),
    Unit.MONTH.value: _l("months"),
    Unit.PERSON.value: _l("persons"),
    Unit.LOT.value: _l("lots"),
}

ERROR_TITLES: dict[int, Any] = {
    400: _l("The request could not be understood."),
    401: _l("Please log in."),
    403: _l("You may not do this."),
    404: _l("This page does not exist."),
    405: _l("This action is not possible here."),
    409: _l("This clashes with a change made in the meantime."),
    413: _l("The upload is too large."),
    422: _l("Please check your input."),
    500: _l("Something went wrong on our side."),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _error_page(status: int, message: str = "") -> tuple[str, int]:
    title = ERROR_TITLES.get(status, ERROR_TITLES[400 if status < 500 else 500])
    return render_template("error.html", status=status, title=title, message=message), status


def _register_error_handlers(app: Flask) -> None:
    from matchmaker.api.errors import http_message, json_error

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if _is_api():
            return json_error(error.status, error.code, str(error.message), error.details())
        return _error_page(error.status, str(error.message))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return _error_page(
            400,
            str(_l("The form has expired or was sent twice. Please load the page again.")),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if _is_api():
            response, status = json_error(
                status,
                (error.name or "error").lower().replace(" ", "_"),
                http_message(status, str(error.description)),
            )
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value  # e.g. Allow on 405
            return response, status
        return _error_page(status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return json_error(500, "internal_error", InternalServerError.description)
        return _error_page(500)


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
    return format_decimal(value, format="#,##0.###")


def init_web(app: Flask) -> None:
    from matchmaker.web import (
        admin,
        auth,
        digest_prefs,
        mail_admin,
        manager,
        member,
        public,
        renewal,
    )

    for module in (public, auth, member, manager, admin, digest_prefs, mail_admin, renewal):
        app.register_blueprint(module.bp)
    app.context_processor(_template_context)
    app.jinja_env.filters["nl2br"] = _nl2br
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.filters["format_datetime"] = format_datetime
    app.jinja_env.filters["format_quantity"] = _format_quantity
    app.jinja_env.globals["posting_status_label"] = postings.status_label
    app.jinja_env.globals["company_status_label"] = companies.status_label
    app.jinja_env.globals["UNIT_LABELS"] = UNIT_LABELS
    # Macros are imported without the page's context; they read the language through this.
    app.jinja_env.globals["ui_language"] = i18n.current_language
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    _register_error_handlers(app)

    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness for load balancers and the scheduler's supervisor."""
        return jsonify(status="ok")
