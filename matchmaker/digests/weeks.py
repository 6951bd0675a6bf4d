"""The ISO week of a digest and when it is due, in Europe/Berlin wall-clock time."""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from matchmaker.clock import BERLIN

log = logging.getLogger(__name__)

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
