"""E-mails sent while handling a request, in the recipient's language."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, url_for

from matchmaker import mail
from matchmaker.i18n import force_locale
from matchmaker.models import User
from matchmaker.web.common import settings

log = logging.getLogger(__name__)


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an e-mail: the configured public base URL, not the request's host header."""
    return settings().base_url + url_for(endpoint, **values)


def send_template_mail(*, to: User, template: str, subject: Any, **context: Any) -> bool:
    """Render ``template``.txt/.html in ``to``'s language and send it; failures are logged.

    A failed delivery must not undo the user's action (a registration, a review), so this
    returns False instead of raising.
    """
    with force_locale(to.language):
        message = mail.Mail(
            to=to.email,
            to_name=to.name,
            subject=str(subject),
            text=render_template(f"{template}.txt", recipient=to, **context),
            html=render_template(f"{template}.html", recipient=to, **context),
        )
    try:
        mail.send(message, settings=settings())
    except mail.MailError:
        log.exception("could not send %s to %s", template, to.email)
        return False
    return True
