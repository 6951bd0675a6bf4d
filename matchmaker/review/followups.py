"""Asking both companies how an introduction went, with signed one-click answers.

A link carries (match, side, answer), signed with the app's secret (itsdangerous), so it cannot
be forged and expires; it works once per answer: the answer is recorded as an outcome event of
that side, and the same link a second time only says it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlmodel import Session

from matchmaker.db import session_scope, utcnow
from matchmaker.emails import absolute_url
from matchmaker.errors import Conflict, NotFound
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Match, MatchEvent, MatchOutcome, MatchStatus
from matchmaker.review import mails, states

SALT = "matchmaker.review.answer"
LINK_DAYS = 60
ANSWERS = (*MatchOutcome.values(), "decline")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def sign(match_id: int, side: str, answer: str) -> str:
    return _serializer().dumps({"m": match_id, "s": side, "a": answer})


@dataclass(frozen=True)
class Answer:
    match: Match
    side: str
    answer: str
    recorded: bool  # already given with this link


def read(session: Session, token: str) -> Answer:
    """The answer a link stands for; NotFound for forged, broken or expired links."""
    try:
        data = _serializer().loads(token, max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        raise NotFound(_l("This link has expired.")) from None
    except BadSignature:
        raise NotFound(_l("This link is invalid or has expired.")) from None
    if (
        not isinstance(data, dict)
        or data.get("a") not in ANSWERS
        or data.get("s")
        not in (
            "need",
            "offer",
        )
    ):
        raise NotFound(_l("This link is invalid or has expired."))
    match = session.get(Match, data.get("m"))
    if match is None or match.status != MatchStatus.INTRODUCED.value:
        raise NotFound(_l("This link is invalid or has expired."))
    recorded = _recorded(session, match, data["s"], data["a"])
    return Answer(match, data["s"], data["a"], recorded)


def _recorded(session: Session, match: Match, side: str, answer: str) -> bool:
    for event in session.execute(
        select(MatchEvent).where(MatchEvent.match_id == match.id, MatchEvent.action == "outcome")
    ).scalars():
        if event.details.get("side") == side and event.details.get("answer") == answer:
            return True
    return False


def record(session: Session, token: str) -> Answer:
    """Record a company's answer; a decline or a final answer ends the introduction's follow-up."""
    answer = read(session, token)
    if answer.recorded:
        return answer
    outcome = "no_deal" if answer.answer == "decline" else answer.answer
    match = answer.match
    if match.outcome not in (None, MatchOutcome.IN_TALKS.value):
        raise Conflict(_l("An outcome has been recorded already. Thank you!"))
    states.set_outcome(
        session,
        match,
        outcome,
        actor_id=None,
        via="link",
        extra={"side": answer.side, "answer": answer.answer},
    )
    return Answer(match, answer.side, answer.answer, recorded=False)


def links_for(match: Match) -> dict[str, dict[str, str]]:
    assert match.id is not None
    return {
        side: {
            answer: absolute_url("answers.answer", token=sign(match.id, side, answer))
            for answer in ANSWERS
        }
        for side in mails.SIDES
    }


def send_due_followups(*, session: Session, now: datetime) -> int:
    """Queue the follow-up of every introduction older than the configured days; returns how
    many mails were queued (an introduction is followed up once)."""
    days = current_app.config["MATCHMAKER"].followup_days
    due = session.execute(
        select(Match).where(
            Match.status == MatchStatus.INTRODUCED.value,
            Match.outcome.is_(None),
            Match.introduced_at <= now - timedelta(days=days),
        )
    ).scalars()
    return sum(mails.queue_followup(session, match, links_for(match)) for match in due)


def followups_job(app: Flask) -> int:
    """Daily: the follow-ups that are due (the scheduler's job table calls this)."""
    with session_scope(app.extensions["matchmaker.engine"]) as session:
        return send_due_followups(session=session, now=utcnow())
