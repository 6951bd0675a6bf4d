"""Today's date where the networks are: Europe/Berlin, not the server's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def today(now: datetime | None = None) -> date:
    """The date in Berlin at ``now`` (default: this moment)."""
    return (now or datetime.now(BERLIN)).astimezone(BERLIN).date()
