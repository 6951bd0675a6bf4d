"""The weekly digest of a network manager: what needs attention, sent once per ISO week.

Exactly once comes from the database: a :class:`DigestDelivery` row per (manager, ISO week in
Europe/Berlin) under a unique constraint, written in the same transaction as the digest's
outbox message. Two runs at the same moment (threads, processes, a second scheduler) race on
that constraint; the loser's transaction rolls back with its message. A run only ever sends the
current week's digest, so a scheduler that was down for two weeks sends one, not two.
"""

from matchmaker.digests.content import (
    EXPIRY_WINDOW_DAYS,
    TOP_MATCHES,
    BalanceRow,
    Digest,
    MatchLine,
    build_digest,
    deliveries_of,
    delivery_of,
    digest_networks,
    introductions_awaiting_outcome,
    preference_for,
    previous_delivery,
)
from matchmaker.digests.delivery import (
    RunReport,
    SendResult,
    digest_context,
    digest_managers,
    digest_subject,
    manager_for_unsubscribe,
    run_digests,
    send_digest,
    unsubscribe,
    unsubscribe_token,
)
from matchmaker.digests.weeks import is_due, iso_week, parse_week, scheduled_moment, week_start

__all__ = [
    "EXPIRY_WINDOW_DAYS",
    "TOP_MATCHES",
    "BalanceRow",
    "Digest",
    "MatchLine",
    "RunReport",
    "SendResult",
    "build_digest",
    "deliveries_of",
    "delivery_of",
    "digest_context",
    "digest_managers",
    "digest_networks",
    "digest_subject",
    "introductions_awaiting_outcome",
    "is_due",
    "iso_week",
    "manager_for_unsubscribe",
    "parse_week",
    "preference_for",
    "previous_delivery",
    "run_digests",
    "scheduled_moment",
    "send_digest",
    "unsubscribe",
    "unsubscribe_token",
    "week_start",
]
