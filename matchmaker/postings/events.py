"""What happens after a posting changed: the listeners (the matching service subscribes)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from matchmaker.models import Posting

# Called after every change of a posting's content or status (the matching service subscribes).
PostingListener = Callable[[Session, Posting], None]
_listeners: list[PostingListener] = []


def subscribe(listener: PostingListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def changed(session: Session, posting: Posting) -> None:
    session.flush()
    for listener in _listeners:
        listener(session, posting)
