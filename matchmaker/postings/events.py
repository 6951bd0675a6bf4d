"""What follows a change of a posting: the ``posting_changed`` signal (matching receives it)."""

from __future__ import annotations

from sqlmodel import Session

from matchmaker import signals
from matchmaker.models import Posting


def changed(session: Session, posting: Posting) -> None:
    session.flush()
    signals.send(signals.posting_changed, session, posting=posting)
