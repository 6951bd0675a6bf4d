"""The weekly digest of a network manager: what needs attention, sent once per ISO week.

Exactly once comes from the database: a :class:`DigestDelivery` row per (manager, ISO week in
Europe/Berlin) under a unique constraint, written in the same transaction as the digest's
outbox message. Two runs at the same moment (threads, processes, a second scheduler) race on
that constraint; the loser's transaction rolls back with its message. A run only ever sends the
current week's digest, so a scheduler that was down for two weeks sends one, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from babel.numbers import format_percent
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from matchmaker.access import public_posting_clause
from matchmaker.clock import BERLIN
from matchmaker.db import session_scope, utcnow
from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import (
    Category,
    CompanyNetwork,
    DigestDelivery,
    DigestPreference,
    EmptyWeek,
    Match,
    MatchStatus,
    Network,
    Posting,
    PostingKind,
    Role,
    User,
)

log = logging.getLogger(__name__)

TOP_MATCHES = 10
EXPIRY_WINDOW_DAYS = 7
UNSUBSCRIBE_SALT = "digest-unsubscribe"


# --- weeks and schedule (Europe/Berlin) ------------------------------------------------------


def iso_week(moment: datetime) -> str:
    """The ISO week of ``moment`` where the networks are, e.g. ``2026-W49``."""
    year, week, _ = moment.astimezone(BERLIN).isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(week: str) -> tuple[int, int]:
    """``2026-W48`` as (2026, 48); raises ValueError for anything else."""
    year, sep, number = week.partition("-W")
    if not sep or not year.isdigit() or not number.isdigit() or len(number) != 2:
        raise ValueError(f"not an ISO week such as 2026-W48: {week!r}")
    date.fromisocalendar(int(year), int(number), 1)  # raises for week 53 of a 52-week year
    return int(year), int(number)


def scheduled_moment(week: str, *, weekday: int, hour: int) -> datetime:
    """When the digest of ``week`` is due: the local weekday and hour in Europe/Berlin.

    The local wall-clock time, not a UTC offset: 07:00 stays 07:00 across the clock changes.
    """
    year, number = parse_week(week)
    day = date.fromisocalendar(year, number, weekday + 1)
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def is_due(now: datetime, *, weekday: int, hour: int) -> bool:
    """Whether this week's digest is due at ``now``: its local weekday and hour have come.

    Only the current week counts: a run after a long outage sends this week's digest, never a
    backlog of missed weeks.
    """
    return now >= scheduled_moment(iso_week(now), weekday=weekday, hour=hour)


def week_start(week: str) -> datetime:
    return scheduled_moment(week, weekday=0, hour=0)


# --- preferences -----------------------------------------------------------------------------


def preference_for(session: Session, manager: User) -> DigestPreference:
    """The manager's stored choices, or the defaults (not added to the session)."""
    stored = session.get(DigestPreference, manager.id)
    return stored if stored is not None else DigestPreference(user_id=manager.id)


def digest_networks(manager: User, preference: DigestPreference) -> list[Network]:
    """The active networks the digest covers: the manager's, narrowed by the preference."""
    chosen = set(preference.network_ids)
    networks = [n for n in manager.managed_networks if n.active]
    if chosen:
        networks = [n for n in networks if n.id in chosen]
    return sorted(networks, key=lambda n: n.name)


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


# --- content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    category: Category
    needs: int
    offers: int


@dataclass(frozen=True)
class MatchLine:
    """A match as the digest shows it: both postings, the score and the reason in a line."""

    match: Match
    need: Posting
    offer: Posting

    def reason(self, language: str) -> str:
        key = "summary_en" if language == "en" else "summary_de"
        return str(self.match.explanation.get(key) or "")


@dataclass
class Digest:
    """What one manager's digest says; rendered by ``emails/digest.{txt,html}``."""

    manager: User
    week: str
    since: datetime
    networks: list[Network]
    new_matches: list[MatchLine] = field(default_factory=list)
    new_match_total: int = 0
    backlog: int = 0
    oldest_backlog_days: int | None = None
    awaiting_outcome: list[MatchLine] = field(default_factory=list)
    expiring: list[Posting] = field(default_factory=list)
    needs_without_candidate: list[Posting] = field(default_factory=list)
    balance: list[BalanceRow] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing that asks for the manager's attention this week."""
        return not (self.new_match_total or self.backlog or self.awaiting_outcome or self.expiring)


def introductions_awaiting_outcome(*, session: Session, network_ids: list[int]) -> list[Match]:
    """Introductions made but without a recorded outcome yet.

    The review queue (with introductions and outcomes) is not part of this code base yet; until
    it is, there are none. Replace with ``matchmaker.review.awaiting_outcome`` when it lands.
    """
    return []


def _in_networks(company_id: Any, network_ids: list[int]) -> Any:
    return exists(
        select(CompanyNetwork.company_id).where(
            CompanyNetwork.company_id == company_id, CompanyNetwork.network_id.in_(network_ids)
        )
    )


def _match_in_networks(network_ids: list[int]) -> Any:
    need_company = select(Posting.company_id).where(Posting.id == Match.need_id).scalar_subquery()
    offer_company = select(Posting.company_id).where(Posting.id == Match.offer_id).scalar_subquery()
    return or_(_in_networks(need_company, network_ids), _in_networks(offer_company, network_ids))


def delivery_of(session: Session, manager: User, week: str) -> DigestDelivery | None:
    return session.scalars(
        select(DigestDelivery).where(
            DigestDelivery.user_id == manager.id, DigestDelivery.week == week
        )
    ).first()


def deliveries_of(
    session: Session, manager: User | None = None, *, limit: int = 200
) -> list[DigestDelivery]:
    """The delivery log, newest first (one manager's, or everybody's)."""
    query = select(DigestDelivery).order_by(DigestDelivery.created_at.desc()).limit(limit)
    if manager is not None:
        query = query.where(DigestDelivery.user_id == manager.id)
    return list(session.scalars(query))


def previous_delivery(session: Session, manager: User, week: str) -> DigestDelivery | None:
    return session.scalars(
        select(DigestDelivery)
        .where(DigestDelivery.user_id == manager.id, DigestDelivery.week < week)
        .order_by(DigestDelivery.week.desc())
    ).first()


def build_digest(
    *, session: Session, manager: User, week: str, now: datetime | None = None
) -> Digest:
    now = now or utcnow()
    preference = preference_for(session, manager)
    networks = digest_networks(manager, preference)
    previous = previous_delivery(session, manager, week)
    since = previous.created_at if previous is not None else week_start(week) - timedelta(days=7)
    digest = Digest(manager=manager, week=week, since=since, networks=networks)
    ids = [n.id for n in networks if n.id is not None]
    if not ids:
        return digest
    suggested = (Match.status == MatchStatus.SUGGESTED.value, _match_in_networks(ids))
    new = (*suggested, Match.created_at > since, Match.score >= preference.min_score)
    digest.new_match_total = (
        session.scalar(select(func.count()).select_from(Match).where(*new)) or 0
    )
    digest.new_matches = _lines(
        session,
        session.scalars(
            select(Match).where(*new).order_by(Match.score.desc(), Match.id).limit(TOP_MATCHES)
        ),
    )
    digest.backlog = session.scalar(select(func.count()).select_from(Match).where(*suggested)) or 0
    oldest = session.scalar(select(func.min(Match.created_at)).where(*suggested))
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        digest.oldest_backlog_days = max((now - oldest).days, 0)
    digest.awaiting_outcome = _lines(
        session, introductions_awaiting_outcome(session=session, network_ids=ids)
    )
    today = now.astimezone(BERLIN).date()
    live = (public_posting_clause(today), _in_networks(Posting.company_id, ids))
    digest.expiring = list(
        session.scalars(
            select(Posting)
            .where(*live, Posting.valid_until <= today + timedelta(days=EXPIRY_WINDOW_DAYS))
            .order_by(Posting.valid_until, Posting.id)
        )
    )
    open_match = exists(
        select(Match.id).where(
            Match.need_id == Posting.id,
            Match.status.in_([MatchStatus.SUGGESTED.value, MatchStatus.APPROVED.value]),
        )
    )
    digest.needs_without_candidate = list(
        session.scalars(
            select(Posting)
            .where(*live, Posting.kind == PostingKind.NEED.value, ~open_match)
            .order_by(Posting.created_at, Posting.id)
        )
    )
    digest.balance = _balance(session, live)
    return digest


def _balance(session: Session, live: Iterable[Any]) -> list[BalanceRow]:
    rows = session.execute(
        select(Posting.category_id, Posting.kind, func.count())
        .where(*live)
        .group_by(Posting.category_id, Posting.kind)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for category_id, kind, count in rows:
        counts.setdefault(category_id, {})[kind] = count
    categories = session.scalars(
        select(Category).where(Category.id.in_(list(counts))).order_by(Category.id)
    ).all()
    return [
        BalanceRow(c, counts[c.id].get("need", 0), counts[c.id].get("offer", 0))  # type: ignore[index]
        for c in categories
    ]


def _lines(session: Session, matches: Iterable[Match]) -> list[MatchLine]:
    lines = []
    for match in matches:
        need, offer = session.get(Posting, match.need_id), session.get(Posting, match.offer_id)
        if need is not None and offer is not None:
            lines.append(MatchLine(match, need, offer))
    return lines


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
