"""Sending digests: one delivery row and one outbox message per manager and week."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel.numbers import format_percent
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from matchmaker.db import session_scope, utcnow
from matchmaker.digests.content import Digest, build_digest, delivery_of, preference_for
from matchmaker.digests.weeks import is_due, iso_week
from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    DigestDelivery,
    DigestPreference,
    EmptyWeek,
    Role,
    User,
)

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "digest-unsubscribe"


def unsubscribe_token(secret_key: str, manager: User) -> str:
    return URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps({"user": manager.id})


def manager_for_unsubscribe(session: Session, secret_key: str, token: str) -> User | None:
    """The manager a signed unsubscribe token names; None for a forged or broken token."""
    try:
        payload = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    user_id = payload.get("user") if isinstance(payload, dict) else None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.role == Role.MANAGER else None


def unsubscribe(*, session: Session, manager: User) -> DigestPreference:
    """Turn the digest off (RFC 8058 one-click); flushes."""
    preference = preference_for(session, manager)
    preference.enabled = False
    preference.updated_at = utcnow()
    session.add(preference)
    session.flush()
    return preference


# --- sending ---------------------------------------------------------------------------------


def digest_context(digest: Digest, *, secret_key: str) -> dict[str, Any]:
    """What the digest templates get: the digest, its links and the unsubscribe address."""
    language = digest.manager.language
    return {
        "recipient": digest.manager,
        "percent": lambda score: format_percent(score, locale=language),
        "digest": digest,
        "dashboard_url": absolute_url("manager.dashboard"),
        "postings_url": absolute_url("manager.posting_list"),
        "queue_url": absolute_url("review.queue"),
        "match_url": lambda match_id: absolute_url("review.detail", match_id=match_id),
        "preferences_url": absolute_url("digest_prefs.preferences"),
        "posting_url": lambda posting_id: absolute_url(
            "manager.posting_detail", posting_id=posting_id
        ),
        "unsubscribe_url": absolute_url(
            "digest_prefs.unsubscribe", token=unsubscribe_token(secret_key, digest.manager)
        ),
    }


def digest_subject(digest: Digest) -> Any:
    return _l("Your Matchmaker week %(week)s", week=digest.week)


@dataclass
class SendResult:
    delivery: DigestDelivery | None
    outcome: str  # sent (queued), skipped (empty week), already (sent before), disabled


def send_digest(
    *,
    session: Session,
    manager: User,
    week: str,
    secret_key: str,
    trigger: str,
    force: bool = False,
    now: datetime | None = None,
) -> SendResult:
    """Queue ``manager``'s digest of ``week`` with its delivery row; flushes, never commits.

    Idempotent: a second call for the same week returns the delivery made first, unless
    ``force`` (an explicit "send again"), which queues one more message.
    """
    delivery = delivery_of(session, manager, week)
    if delivery is not None and not force:
        return SendResult(delivery, "already")
    digest = build_digest(session=session, manager=manager, week=week, now=now)
    preference = preference_for(session, manager)
    if delivery is None:
        delivery = DigestDelivery(
            user_id=manager.id,
            week=week,
            trigger=trigger,
            match_count=digest.new_match_total,
            created_at=now or utcnow(),
        )
    else:
        delivery.forced_count += 1
    if digest.is_empty and preference.empty_week == EmptyWeek.SKIP and not force:
        delivery.skipped = True
        session.add(delivery)
        session.flush()
        return SendResult(delivery, "skipped")
    context = digest_context(digest, secret_key=secret_key)
    suffix = f":again{delivery.forced_count}" if delivery.forced_count else ""
    message = queue_template_mail(
        session=session,
        to=manager.email,
        to_name=manager.name,
        language=manager.language,
        template="emails/digest",
        subject=digest_subject(digest),
        kind="digest",
        headers=(
            ("List-Unsubscribe", f"<{context['unsubscribe_url']}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
        dedupe_key=f"digest:{manager.id}:{week}{suffix}",
        **context,
    )
    delivery.outbox_message_id = message.id
    delivery.skipped = False
    session.add(delivery)
    session.flush()
    return SendResult(delivery, "sent")


def digest_managers(session: Session, *, email: str | None = None) -> list[User]:
    query = select(User).where(User.role == Role.MANAGER.value, User.active.is_(True))
    if email is not None:
        query = query.where(func.lower(User.email) == email.strip().lower())
    return list(session.scalars(query.order_by(User.id)))


@dataclass
class RunReport:
    week: str
    outcomes: dict[str, str] = field(default_factory=dict)  # manager e-mail -> outcome

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


def run_digests(
    *,
    engine: Engine,
    secret_key: str,
    now: datetime | None = None,
    week: str | None = None,
    manager_email: str | None = None,
    trigger: str = "schedule",
    only_due: bool = True,
    dry_run: bool = False,
) -> RunReport:
    """Send this week's digest to every manager who has it on and is due (one transaction each).

    ``only_due=False`` (the CLI and "send now") ignores the weekday and hour; a given ``week``
    sends that week's digest. A manager whose delivery another run wrote first is "already".
    """
    now = now or utcnow()
    week = week or iso_week(now)
    report = RunReport(week=week)
    with Session(engine) as session:
        managers = [(m.id, m.email) for m in digest_managers(session, email=manager_email)]
    for manager_id, email in managers:
        try:
            with session_scope(engine) as session:
                manager = session.get(User, manager_id)
                if manager is None:
                    continue
                preference = preference_for(session, manager)
                if only_due and not preference.enabled:
                    report.outcomes[email] = "disabled"
                    continue
                due = is_due(now, weekday=preference.weekday, hour=preference.hour)
                if only_due and not (due and week == iso_week(now)):
                    report.outcomes[email] = "not due"
                    continue
                if dry_run:
                    digest = build_digest(session=session, manager=manager, week=week, now=now)
                    report.outcomes[email] = f"would send ({digest.new_match_total} new)"
                    session.rollback()
                    continue
                result = send_digest(
                    session=session,
                    manager=manager,
                    week=week,
                    secret_key=secret_key,
                    trigger=trigger,
                    now=now,
                )
                report.outcomes[email] = result.outcome
        except IntegrityError:
            # Another run wrote this manager's delivery between our check and our commit.
            report.outcomes[email] = "already"
    log.info("digests %s: %s", week, report.outcomes)
    return report
