"""E-mails caused by a request, queued in the request's session in the recipient's language.

They leave when the request commits (see ``matchmaker.outbox``): a rolled-back request sends
nothing, and a mail server that is down delays the mail instead of losing it.
"""

from __future__ import annotations

from typing import Any

from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.models import OutboxMessage, User
from matchmaker.web.common import db

__all__ = ["absolute_url", "queue_user_mail"]


def queue_user_mail(
    *, to: User, template: str, subject: Any, kind: str, **context: Any
) -> OutboxMessage:
    """Queue ``template`` for the account ``to``; the handler's commit sends it."""
    return queue_template_mail(
        session=db(),
        to=to.email,
        to_name=to.name,
        language=to.language,
        template=template,
        subject=subject,
        kind=kind,
        recipient=to,
        **context,
    )
