"""Translation catalogues (Flask-Babel): German first, English second.

Web pages use the language the user chose (stored on the account or, for visitors, in the
session) and German otherwise; the JSON API honours ``Accept-Language``. Outside a request the
language is English, which is what the CLI prints; e-mails use ``force_locale`` with the
recipient's language.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, force_locale
from flask_babel import gettext as _gettext
from flask_babel import lazy_gettext as _lazy_gettext
from flask_babel import ngettext as _ngettext

LANGUAGES = ("de", "en")
SESSION_KEY = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

babel = Babel()


def gettext(message: str, **variables: Any) -> str:
    return _gettext(message, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return _ngettext(singular, plural, num, **variables)


def lazy_gettext(message: str, **variables: Any) -> Any:
    return _lazy_gettext(message, **variables)


_ = gettext
_l = lazy_gettext


def select_locale() -> str:
    """The language of the current request."""
    from flask import current_app

    if not has_request_context():
        return "en"
    default: str = current_app.config["MATCHMAKER"].default_language
    forced = getattr(g, "forced_locale", None)
    if forced in LANGUAGES:
        return str(forced)
    if request.blueprint == "api" or (
        request.url_rule is None and request.path.startswith("/api/")
    ):
        # API calls, and unknown paths under /api/ (answered with JSON errors)
        return request.accept_languages.best_match(LANGUAGES) or "en"
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    user = getattr(g, "user", None)
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    return default


def format_number(value: Any) -> str:
    """A number in the current language's format (English outside a request, as the CLI)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    from flask_babel import get_locale

    locale = get_locale() if has_request_context() else None
    return str(format_decimal(value, format="#,##0.###", locale=str(locale or "en")))


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "de"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale)


__all__ = [
    "LANGUAGES",
    "_",
    "_l",
    "current_language",
    "force_locale",
    "gettext",
    "init_app",
    "lazy_gettext",
    "ngettext",
]
