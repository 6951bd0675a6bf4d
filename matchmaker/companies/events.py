"""What follows a company's review: the ``company_reviewed`` signal (matching receives it)."""

from __future__ import annotations

from sqlmodel import Session

from matchmaker import signals
from matchmaker.models import Company


def changed(session: Session, company: Company) -> None:
    signals.send(signals.company_reviewed, session, company=company)
