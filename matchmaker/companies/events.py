"""What happens after a company's review status changed (the matching service subscribes)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from matchmaker.models import Company

# Called after a company's review status changed (the matching service subscribes).
CompanyListener = Callable[[Session, Company], None]
_listeners: list[CompanyListener] = []


def subscribe(listener: CompanyListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def changed(session: Session, company: Company) -> None:
    for listener in _listeners:
        listener(session, company)
