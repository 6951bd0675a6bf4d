"""Data and drivers for the digest tests: matches in the world, digest runs, mail parts."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import select
from sqlmodel import Session

from matchmaker import digests
from matchmaker.db import utcnow
from matchmaker.models import Match, Posting
from tests.factories import World, make_posting

# Monday 2026-12-07 09:00 in Berlin (08:00 UTC): week 2026-W50, after the default 07:00.
MONDAY = datetime.fromisoformat("2026-12-07T08:00:00+00:00")
WEEK = "2026-W50"


def add_match(
    session: Session, need: Posting, offer: Posting, score: float, created_at: datetime
) -> Match:
    """The suggested match of ``need`` and ``offer`` with a known score, reason and age (the
    engine may have stored the pair already when the app is running: it is overwritten)."""
    session.commit()
    with session.no_autoflush:
        pending = [
            m
            for m in session.new
            if isinstance(m, Match) and (m.need_id, m.offer_id) == (need.id, offer.id)
        ]
        match = (
            pending[0]
            if pending
            else session.scalars(
                select(Match).where(Match.need_id == need.id, Match.offer_id == offer.id)
            ).first()
        )
    if match is None:
        match = Match(need_id=need.id, offer_id=offer.id, engine_version="test", score=score)  # type: ignore[arg-type]
    match.score = score
    match.status = "suggested"
    match.created_at = created_at
    match.explanation = {
        "summary_de": "Beide nennen Edelstahlblech 2 mm.",
        "summary_en": "Both name stainless steel sheet 2 mm.",
    }
    session.add(match)
    session.flush()
    return match


def steel_offer(session: Session, world: World) -> Posting:
    return make_posting(
        session,
        world.member_a2,
        kind="offer",
        title="Edelstahlblech 2 mm übrig",
        description="Reste 1.4301, 2 mm, etwa 600 kg, sofort abholbereit.",
        category="material",
    )


def with_matches(session: Session, world: World, *, created: datetime | None = None) -> Match:
    """A suggested match in network A (manager A), created just before ``MONDAY``."""
    offer = steel_offer(session, world)
    match = add_match(
        session, world.posting_a1, offer, 0.87, created_at=created or MONDAY - timedelta(days=2)
    )
    session.commit()
    return match


def run(app: Flask, now: datetime = MONDAY, **kwargs: object) -> digests.RunReport:
    with app.app_context():
        return digests.run_digests(
            engine=app.extensions["matchmaker.engine"],
            secret_key=app.config["MATCHMAKER"].secret_key,
            now=now,
            **kwargs,  # type: ignore[arg-type]
        )


def parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())  # type: ignore[attr-defined]
        for part in message.walk()
        if not part.is_multipart()
    }


def now() -> datetime:
    return utcnow()
