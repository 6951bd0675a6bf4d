"""The outbox: every outgoing e-mail is a row, delivered by :func:`drain` after its commit.

Delivery is at least once with at most one duplicate per crash: a drain claims a row (state
``sending`` with a claim token and time) in its own short transaction, sends it, then marks it
``sent``. Claiming is a conditional UPDATE (``... WHERE state = <seen state>``), so two drains,
threads or processes, never claim the same row; on PostgreSQL the candidates are read with
``FOR UPDATE SKIP LOCKED`` so parallel drains do not even wait for each other. A process killed
after the server accepted a message and before the row was marked leaves it ``sending``; once
its claim is older than :data:`CLAIM_LEASE` another drain sends it again: that is the one
possible duplicate (same Message-ID, so clients that deduplicate show it once).

Failures: a 4xx reply, an unreachable server or a timeout is retried with exponential backoff
and jitter; a 5xx reply, or :data:`MAX_ATTEMPTS` failures, moves the row to ``dead``, which
admins see and can retry.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from blinker import Namespace
from sqlalchemy import event, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from matchmaker import mail
from matchmaker.config import Settings
from matchmaker.db import session_scope, utcnow
from matchmaker.emails import QUEUED_FLAG
from matchmaker.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# Sent (with the session) after a commit that queued mail: the web app delivers at once in the
# embedded default instead of waiting for the scheduler's next drain.
mail_committed = Namespace().signal("mail-committed")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(QUEUED_FLAG, False):
        mail_committed.send(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(QUEUED_FLAG, None)


MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# Longer than an SMTP conversation can last (the SMTP timeout applies to each step).
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class DrainResult:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.sent)} sent, {len(self.retried)} to retry, {len(self.dead)} dead"


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt ``attempts + 1``: doubling from a minute, capped, with jitter
    (50-100 % of the step) so a recovered server is not hit by every message at once."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempts - 1, 0)))
    return step * (rng or random).uniform(0.5, 1.0)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        (OutboxMessage.state == OutboxState.QUEUED) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.state == OutboxState.SENDING)
        & (OutboxMessage.claimed_at < now - CLAIM_LEASE),
    )


def claim(*, engine: Engine, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Claim up to ``limit`` due messages for this drain; returns (id, claim token) pairs."""
    token = uuid.uuid4().hex
    claimed: list[tuple[int, str]] = []
    with session_scope(engine) as session:
        query = (
            select(OutboxMessage.id, OutboxMessage.state)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for message_id, state in session.execute(query).all():
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.state == state)
                .where(_due(now))
                .values(state=OutboxState.SENDING.value, claimed_at=now, claim_token=token)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append((message_id, token))
    return claimed


def drain(
    *, engine: Engine, settings: Settings, now: datetime | None = None, limit: int = 200
) -> DrainResult:
    """Deliver the due messages through the configured backend and record the outcome."""
    now = now or utcnow()
    result = DrainResult()
    for _ in range(limit):
        # One at a time: a drain killed mid-way leaves only the message in flight claimed.
        claimed = claim(engine=engine, now=now, limit=1)
        if not claimed:
            break
        ((message_id, token),) = claimed
        with Session(engine, expire_on_commit=False) as session:
            row = session.get(OutboxMessage, message_id)
            raw = row.message if row is not None else ""
        if not raw:
            continue
        try:
            mail.deliver(mail.parse_message(raw), settings=settings)
        except mail.MailError as error:
            _record_failure(engine, message_id, token, error, now, result)
            continue
        with session_scope(engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
                .values(state=OutboxState.SENT.value, sent_at=utcnow(), last_error="")
            )
        result.sent.append(message_id)
    if result.sent or result.retried or result.dead:
        log.info("outbox drained: %s", result)
    return result


def _record_failure(
    engine: Engine,
    message_id: int,
    token: str,
    error: mail.MailError,
    now: datetime,
    result: DrainResult,
) -> None:
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.claim_token != token:
            return
        row.attempts += 1
        row.last_error = str(error)[:2000]
        row.claimed_at = None
        row.claim_token = None
        if error.permanent or row.attempts >= MAX_ATTEMPTS:
            row.state = OutboxState.DEAD.value
            result.dead.append(message_id)
            log.error("mail %s to %s is dead: %s", message_id, row.recipient, error)
        else:
            row.state = OutboxState.QUEUED.value
            row.next_attempt_at = now + backoff(row.attempts)
            result.retried.append(message_id)
            log.error(
                "mail %s to %s failed (attempt %d), retry at %s: %s",
                message_id,
                row.recipient,
                row.attempts,
                row.next_attempt_at.isoformat(timespec="seconds"),
                error,
                exc_info=error,
            )
        session.add(row)


def retry_dead(*, session: Session, message_id: int) -> OutboxMessage | None:
    """Put a dead message back in the queue, due now (an admin's decision); flushes."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.state != OutboxState.DEAD:
        return None
    row.state = OutboxState.QUEUED.value
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.add(row)
    session.flush()
    return row
