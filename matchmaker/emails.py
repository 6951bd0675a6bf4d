"""Template e-mails queued in the outbox, in the recipient's language.

Not part of ``web/``: scheduler jobs queue mail too. Works in an app context with or without a
request; links are built from ``MATCHMAKER_BASE_URL``, never from a request's host header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import mail
from matchmaker.config import Settings
from matchmaker.i18n import force_locale
from matchmaker.models import OutboxMessage

QUEUED_FLAG = "matchmaker.outbox_queued"


def _settings() -> Settings:
    return current_app.config["MATCHMAKER"]


def _render(name: str, context: dict[str, Any]) -> str:
    """Render an e-mail template without the page context (there may be no request)."""
    return current_app.jinja_env.get_template(name).render(**context)


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an e-mail: the configured public base URL plus the endpoint's path."""
    adapter = current_app.url_map.bind("localhost")
    return _settings().base_url + adapter.build(endpoint, values)


def queue_template_mail(
    *,
    session: Session,
    to: str,
    to_name: str = "",
    language: str,
    template: str,
    subject: str,
    kind: str,
    headers: Sequence[tuple[str, str]] = (),
    dedupe_key: str | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render ``template``.txt/.html in ``language`` and queue it in ``session`` (flush only).

    The message leaves only after the caller commits (the outbox drain sends it). With a
    ``dedupe_key`` that is queued already, the existing message is returned and nothing is added.
    ``subject`` may be a lazy text: it is read in the recipient's language.
    """
    if dedupe_key is not None:
        existing = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        ).first()
        if existing is not None:
            return existing
    with force_locale(language):
        built = mail.build_message(
            mail.Mail(
                to=to,
                to_name=to_name,
                subject=str(subject),
                text=_render(f"{template}.txt", context),
                html=_render(f"{template}.html", context),
                headers=tuple(headers),
            ),
            settings=_settings(),
        )
    row = OutboxMessage(
        kind=kind,
        recipient=to,
        subject=str(built["Subject"]),
        message_id=str(built["Message-ID"]),
        message=built.as_string(),
        dedupe_key=dedupe_key,
    )
    session.add(row)
    session.flush()
    session.info[QUEUED_FLAG] = True
    return row
