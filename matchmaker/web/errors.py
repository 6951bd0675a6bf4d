"""The HTML error page (the app factory's error handlers render it for pages)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from matchmaker.i18n import lazy_gettext as _l

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


def error_page(status: int, message: str = "") -> tuple[str, int]:
    title = ERROR_TITLES.get(status, ERROR_TITLES[400 if status < 500 else 500])
    return render_template("error.html", status=status, title=title, message=message), status
