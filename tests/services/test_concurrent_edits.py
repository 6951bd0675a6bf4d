"""Two edits of one posting at the same time: the second is refused, none is lost.

Before, the version check read the row and then wrote it: two requests that both read
version n both passed the check, and the later write silently replaced the earlier one.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker import postings
from matchmaker.access import Actor
from matchmaker.errors import StaleVersion
from matchmaker.models import AuditEvent, Posting
from tests.factories import World


def _edit(session: Session, world: World, title: str, version: int) -> None:
    postings.update_posting(
        session=session,
        actor=Actor.for_user(session, world.member_a1),
        posting_id=world.posting_a1.id,  # type: ignore[arg-type]
        changes={"title": title},
        expected_version=version,
    )


def _stored(engine: Engine, world: World) -> Posting:
    with Session(engine) as fresh:
        posting = fresh.get(Posting, world.posting_a1.id)
        assert posting is not None
        return posting


def test_two_threads_editing_at_once_keep_exactly_one_edit(engine: Engine, world: World) -> None:
    version = world.posting_a1.version
    loaded = threading.Barrier(2, timeout=30)
    outcome: dict[str, Any] = {}

    def edit(title: str) -> None:
        with Session(engine) as session:
            session.get(Posting, world.posting_a1.id)
            loaded.wait()  # both have read version n before either writes
            try:
                _edit(session, world, title, version)
                session.commit()
                outcome[title] = "saved"
            except StaleVersion:
                session.rollback()
                outcome[title] = "refused"

    titles = ["Edelstahlblech 5 mm gesucht", "Edelstahlblech 6 mm gesucht"]
    threads = [threading.Thread(target=edit, args=(title,)) for title in titles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcome.values()) == ["refused", "saved"], outcome
    (saved,) = [title for title, result in outcome.items() if result == "saved"]
    stored = _stored(engine, world)
    assert stored.title == saved and stored.version == version + 1
    with Session(engine) as fresh:
        edits = fresh.exec(
            select(AuditEvent).where(
                AuditEvent.action == "posting.update",
                AuditEvent.entity_id == world.posting_a1.id,
            )
        ).all()
        assert len(edits) == 1  # the refused edit left no trace either
