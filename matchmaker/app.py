"""The application factory."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter, Map

from matchmaker import i18n, outbox, security_headers, throttle
from matchmaker.api.errors import http_message, json_error
from matchmaker.api.setup import init_api
from matchmaker.config import Settings, load_settings
from matchmaker.context import csrf, load_user_from_session, login_manager
from matchmaker.db import make_engine
from matchmaker.errors import DomainError
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.resources import templates_dir
from matchmaker.web import init_web
from matchmaker.web.errors import error_page

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the app for ``settings`` (default: read from ``MATCHMAKER_*`` variables)."""
    settings = settings or load_settings()
    settings.check_production_ready()
    app = Flask(
        __name__,
        template_folder=str(templates_dir()),
        static_folder="static",
        instance_path=str(settings.instance_path.resolve()),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MATCHMAKER=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        TESTING=settings.env == "testing",
        JSON_SORT_KEYS=False,
    )
    logging.basicConfig(level=settings.log_level.upper())
    for warning in settings.production_warnings():
        log.warning(warning)
    app.extensions["matchmaker.engine"] = engine or make_engine(settings.database_url)
    # Ids in URLs fit the database's integer columns; larger numbers are simply not found.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(_refuse_nul_characters)

    _init_matching(app, settings)
    i18n.init_app(app)
    csrf.init_app(app)
    _init_login(app)
    throttle.init_app(app, settings)

    init_web(app)
    init_api(app)
    _register_error_handlers(app)

    security_headers.init_app(app)
    app.teardown_appcontext(_close_session)
    return app


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to 32-bit ids, so a huge number is a 404 and never a database error."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _refuse_nul_characters() -> None:
    """NUL characters in a URL cannot be searched for (PostgreSQL rejects them): refuse early.

    Form fields are validated by the input schemas, which name the field in their message; the
    API validates its parameters itself and answers 422 with the offending field.
    """
    if request.path.startswith("/api/"):
        return
    values = [*request.args.values(), request.path]
    if any("\x00" in value for value in values):
        abort(400)


def _init_matching(app: Flask, settings: Settings) -> None:
    """Web workers only record match jobs; the matcher process ranks (``matchmaker.matcher``).

    With ``MATCHMAKER_MATCHING=inline`` (tests) this process runs the matcher's work itself,
    right after each commit that recorded jobs, so matches exist when the request returns.
    """
    from matchmaker import matcher, matches

    matches.connect_signals()
    match_settings = matcher.match_settings(settings)
    app.extensions["matchmaker.match_settings"] = match_settings
    if settings.matching == "inline":
        index = matches.configure(app.extensions["matchmaker.engine"], match_settings)
        app.extensions["matchmaker.match_index"] = index
        matcher.install_inline(app.extensions["matchmaker.engine"], index)


def _deliver_after_commit(_session: object) -> None:
    """Local backends (file, console) get a request's mail at once, in a background thread, so
    a new user finds the password link in ``instance/mail/`` within seconds. SMTP is left to the
    scheduler's drain: a slow mail server never holds up a web worker."""
    if not has_request_context():
        return
    settings: Settings = current_app.config["MATCHMAKER"]
    if not settings.mail_drain_after_commit or settings.mail_backend == "smtp":
        return
    engine = current_app.extensions["matchmaker.engine"]
    threading.Thread(
        target=outbox.drain,
        kwargs={"engine": engine, "settings": settings},
        name="outbox-drain",
        daemon=True,
    ).start()


outbox.mail_committed.connect(_deliver_after_commit)


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n.lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    """One place answers errors: JSON for the API, the error page for everything else."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if _is_api():
            return json_error(error.status, error.code, str(error.message), error.details())
        return error_page(error.status, str(error.message))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return error_page(
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
        return error_page(status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return json_error(500, "internal_error", InternalServerError.description)
        return error_page(500)


def _close_session(_exc: BaseException | None) -> None:
    session: Any = g.pop("db_session", None)
    if session is not None:
        session.rollback()  # anything not committed by the entry point is discarded
        session.close()
