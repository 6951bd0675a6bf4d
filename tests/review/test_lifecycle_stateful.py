"""A Hypothesis state machine of the match lifecycle: decisions, introductions, outcomes and
the postings changing under them. The invariants hold in every reachable state."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlmodel import Session

from matchmaker import clock, matches, postings
from matchmaker.access import Actor, may_see_contact, visible_matches_clause
from matchmaker.errors import DomainError
from matchmaker.models import Company, Match, MatchEvent, Posting
from matchmaker.review import decisions, introductions, queue
from tests.factories import World, make_posting

OFFERS = [
    ("Edelstahlbleche 1.4301, 2 mm, Restposten", "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln."),
    ("Edelstahlblech 2 mm 1.4301 Reststücke", "Zuschnitte aus 1.4301, 2 mm, 300 kg."),
]


def run_lifecycle(app: Flask, session: Session, world: World) -> None:
    offers = [
        make_posting(
            session, member, kind="offer", title=title, description=text, category="material"
        )
        for member, (title, text) in zip((world.member_b1, world.member_a2), OFFERS, strict=True)
    ]
    session.commit()
    index = app.extensions["matchmaker.match_index"]
    managers = {"a": world.manager_a, "b": world.manager_b, "admin": world.admin}
    owners = {offers[0].id: world.member_b1, offers[1].id: world.member_a2}

    class Lifecycle(RuleBasedStateMachine):
        def match_ids(self) -> list[int]:
            return list(session.execute(select(Match.id).order_by(Match.id)).scalars())

        def act(self, call: object) -> None:
            try:
                call()  # type: ignore[operator]
                session.commit()
            except DomainError:
                session.rollback()

        def pick(self, data: st.DataObject) -> int | None:
            ids = self.match_ids()
            return data.draw(st.sampled_from(ids)) if ids else None

        @rule(data=st.data(), who=st.sampled_from(sorted(managers)))
        def approve(self, data: st.DataObject, who: str) -> None:
            match_id = self.pick(data)
            actor = Actor.for_user(session, managers[who])
            if match_id is not None:
                self.act(lambda: decisions.approve(session=session, actor=actor, match_id=match_id))

        @rule(data=st.data(), reason=st.sampled_from(["too_far", "duplicate", "quantity"]))
        def reject(self, data: st.DataObject, reason: str) -> None:
            match_id = self.pick(data)
            actor = Actor.for_user(session, world.manager_a)
            if match_id is not None:
                self.act(
                    lambda: decisions.reject(
                        session=session, actor=actor, match_id=match_id, reason=reason
                    )
                )

        @rule(data=st.data(), days=st.integers(min_value=1, max_value=30))
        def snooze(self, data: st.DataObject, days: int) -> None:
            match_id = self.pick(data)
            actor = Actor.for_user(session, world.manager_b)
            until = clock.today() + timedelta(days=days)
            if match_id is not None:
                self.act(
                    lambda: decisions.snooze(
                        session=session, actor=actor, match_id=match_id, until=until
                    )
                )

        @rule(data=st.data())
        def introduce(self, data: st.DataObject) -> None:
            match_id = self.pick(data)
            actor = Actor.for_user(session, world.admin)
            if match_id is not None:
                self.act(
                    lambda: introductions.introduce(session=session, actor=actor, match_id=match_id)
                )

        @rule(data=st.data(), outcome=st.sampled_from(["deal", "in_talks", "no_deal", "bogus"]))
        def outcome(self, data: st.DataObject, outcome: str) -> None:
            match_id = self.pick(data)
            actor = Actor.for_user(session, world.manager_a)
            if match_id is not None:
                self.act(
                    lambda: decisions.record_outcome(
                        session=session, actor=actor, match_id=match_id, outcome=outcome
                    )
                )

        @rule(which=st.sampled_from([0, 1]), action=st.sampled_from(["pause", "resume"]))
        def pause_or_resume(self, which: int, action: str) -> None:
            posting_id = offers[which].id
            actor = Actor.for_user(session, owners[posting_id])
            self.act(
                lambda: postings.change_status(
                    session=session, actor=actor, posting_id=posting_id, action=action
                )
            )

        @rule(which=st.sampled_from([0, 1]), kilos=st.integers(min_value=100, max_value=900))
        def edit(self, which: int, kilos: int) -> None:
            posting_id = offers[which].id
            actor = Actor.for_user(session, owners[posting_id])
            text = f"Ca. {kilos} kg Blech 1.4301 in 2 mm, Tafeln 1000×2000."
            self.act(
                lambda: postings.update_posting(
                    session=session,
                    actor=actor,
                    posting_id=posting_id,
                    changes={"description": text},
                )
            )

        @rule()
        def rematch(self) -> None:
            self.act(lambda: matches.rematch_all(session, index))

        @invariant()
        def only_need_offer_pairs_without_self_matches_or_duplicates(self) -> None:
            session.expire_all()
            rows = session.execute(select(Match)).scalars().all()
            pairs = [(m.need_id, m.offer_id) for m in rows]
            assert len(pairs) == len(set(pairs))
            for match in rows:
                assert match.need_id != match.offer_id
                assert session.get(Posting, match.need_id).kind == "need"  # type: ignore[union-attr]
                assert session.get(Posting, match.offer_id).kind == "offer"  # type: ignore[union-attr]

        @invariant()
        def no_introduction_before_approval(self) -> None:
            for match in session.execute(
                select(Match).where(Match.status == "introduced")
            ).scalars():
                steps = [
                    event.action
                    for event in session.execute(
                        select(MatchEvent)
                        .where(MatchEvent.match_id == match.id)
                        .order_by(MatchEvent.id)
                    ).scalars()
                ]
                assert "approve" in steps
                assert steps.index("approve") < steps.index("introduce")
                assert match.introduced_at is not None
            assert (
                session.execute(
                    select(func.count())
                    .select_from(Match)
                    .where(Match.outcome.is_not(None), Match.status != "introduced")
                ).scalar_one()
                == 0
            )

        @invariant()
        def managers_see_only_their_networks_matches(self) -> None:
            for who in ("a", "b"):
                actor = Actor.for_user(session, managers[who])
                page = queue.review_queue(
                    session=session,
                    actor=actor,
                    filters=queue.QueueFilters(status="all"),
                    per_page=100,
                )
                for match in page.items:
                    networks = {
                        network.id
                        for posting in (match.need, match.offer)
                        for network in posting.company.networks
                    }
                    assert networks & actor.network_ids
                visible = session.execute(
                    select(func.count()).select_from(Match).where(visible_matches_clause(actor))
                ).scalar_one()
                assert visible == page.total

        @invariant()
        def contacts_hidden_before_an_introduction(self) -> None:
            for member in (world.member_a1, world.member_b1, world.member_a2):
                actor = Actor.for_user(session, member)
                for company in session.execute(select(Company)).scalars():
                    if company.id == member.company_id:
                        continue
                    introduced = any(
                        {m.need.company_id, m.offer.company_id} == {company.id, member.company_id}
                        for m in session.execute(
                            select(Match).where(Match.status == "introduced")
                        ).scalars()
                    )
                    assert may_see_contact(actor, company) is introduced

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_the_match_lifecycle_keeps_its_invariants(
    app: Flask, session: Session, world: World
) -> None:
    with app.app_context():
        run_lifecycle(app, session, world)
