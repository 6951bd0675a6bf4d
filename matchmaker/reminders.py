"""Reminders to a posting's company one week before it expires, with a one-click renew link.

The link carries a signed token (posting, member, the validity it was sent for), so it works
without a login and only until the posting's validity changes: a renewed posting gets a new
reminder before its new end, and an old link cannot renew it twice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import postings
from matchmaker.access import Actor
from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import OutboxMessage, Posting, User

log = logging.getLogger(__name__)

REMINDER_DAYS = 7
RENEW_SALT = "posting-renew"


def renew_token(secret_key: str, posting: Posting, member: User) -> str:
    payload = {"p": posting.id, "u": member.id, "v": posting.valid_until.isoformat()}
    return URLSafeSerializer(secret_key, salt=RENEW_SALT).dumps(payload)


def posting_for_renew_token(
    session: Session, secret_key: str, token: str
) -> tuple[Posting, User] | None:
    """The posting and member a renew link names, while the posting's validity is unchanged."""
    try:
        payload = URLSafeSerializer(secret_key, salt=RENEW_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    posting = session.get(Posting, payload.get("p"))
    member = session.get(User, payload.get("u"))
    if posting is None or member is None or not member.active:
        return None
    if member.company_id != posting.company_id or posting.valid_until.isoformat() != payload.get(
        "v"
    ):
        return None
    return posting, member


def renew_by_link(
    *, session: Session, posting: Posting, member: User, limits: postings.Limits
) -> Posting:
    """Renew as the member the link was sent to (their rights, their audit entry); flushes."""
    return postings.renew_posting(
        session=session,
        actor=Actor.for_user(session, member),
        posting_id=posting.id,  # type: ignore[arg-type]
        limits=limits,
    )


def queue_expiry_reminders(*, session: Session, secret_key: str, today: date) -> int:
    """Queue a reminder to each active member for postings that end within a week; once per
    posting, member and validity (the outbox's dedupe key). Returns the number queued."""
    due = session.scalars(
        select(Posting).where(
            Posting.status.in_([s.value for s in postings.OPEN_STATUSES]),
            Posting.valid_until >= today,
            Posting.valid_until <= today + timedelta(days=REMINDER_DAYS),
        )
    ).all()
    queued = 0
    for posting in due:
        for member in posting.company.members:
            if not member.active:
                continue
            key = f"expiry:{posting.id}:{posting.valid_until.isoformat()}:{member.id}"
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
                continue  # reminded already for this validity
            queue_template_mail(
                session=session,
                to=member.email,
                to_name=member.name,
                language=member.language,
                template="emails/posting_expiring",
                subject=_l("Your posting “%(title)s” ends soon", title=posting.title),
                kind="expiry_reminder",
                dedupe_key=key,
                recipient=member,
                posting=posting,
                renew_url=absolute_url(
                    "renewal.renew", token=renew_token(secret_key, posting, member)
                ),
                dashboard_url=absolute_url("member.dashboard"),
            )
            queued += 1
    session.flush()
    log.info("queued %d expiry reminder(s)", queued)
    return queued
