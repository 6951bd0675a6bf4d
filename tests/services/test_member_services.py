"""Service rules added for the member area: actions per status, counts, history, passwords,
profile changes."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from matchmaker import accounts, companies, postings
from matchmaker.access import Actor
from matchmaker.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from matchmaker.models import PostingStatus, User
from matchmaker.schemas import CompanyInput, PasswordInput, RenewalInput
from matchmaker.security import verify_password
from matchmaker.validation import parse
from tests.factories import PASSWORD, World, make_posting


def actor_of(session: Session, user: User) -> Actor:
    return Actor.for_user(session, user)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ("edit", "publish", "withdraw")),
        ("active", ("edit", "pause", "fulfil", "renew", "withdraw")),
        ("paused", ("edit", "resume", "fulfil", "renew", "withdraw")),
        ("expired", ("edit", "fulfil", "renew", "withdraw")),
        ("fulfilled", ()),
        ("withdrawn", ()),
    ],
)
def test_available_actions_follow_the_lifecycle(status: str, expected: tuple[str, ...]) -> None:
    assert postings.available_actions(status) == expected


def test_every_offered_action_is_allowed_by_the_service(session: Session, world: World) -> None:
    """What the pages offer for a status is exactly what the service then accepts."""
    actor = actor_of(session, world.member_a1)
    for status in PostingStatus:
        offered = set(postings.available_actions(status))
        for action in postings.TRANSITIONS:
            posting = make_posting(session, world.member_a1, publish=False)
            posting.status = status.value
            session.add(posting)
            session.flush()
            allowed = True
            try:
                with session.begin_nested():
                    postings.change_status(
                        session=session, actor=actor, posting_id=posting.id, action=action
                    )
            except Conflict:
                allowed = False
            assert allowed is (action in offered), (status, action)
        posting = make_posting(session, world.member_a1, publish=False)
        posting.status = status.value
        session.add(posting)
        session.flush()
        try:
            with session.begin_nested():
                postings.renew_posting(session=session, actor=actor, posting_id=posting.id)
            renewed = True
        except Conflict:
            renewed = False
        assert renewed is ("renew" in offered), status


def test_status_counts_are_scoped(session: Session, world: World) -> None:
    company = world.company_a1.id
    assert company is not None
    own = postings.status_counts(
        session=session, actor=actor_of(session, world.member_a1), company_id=company
    )
    assert own == {
        "draft": 1,
        "active": 1,
        "paused": 0,
        "fulfilled": 0,
        "expired": 0,
        "withdrawn": 0,
    }
    # Another company sees only what is public.
    other = postings.status_counts(
        session=session, actor=actor_of(session, world.member_a2), company_id=company
    )
    assert other["active"] == 1 and other["draft"] == 0
    assert (
        postings.status_counts(session=session, actor=Actor.anonymous(), company_id=company)[
            "draft"
        ]
        == 0
    )
    manager = postings.status_counts(
        session=session, actor=actor_of(session, world.manager_a), company_id=company
    )
    assert manager["draft"] == 1


def test_editable_posting_lookup(session: Session, world: World) -> None:
    own = actor_of(session, world.member_a1)
    assert (
        postings.get_editable_posting(session=session, actor=own, posting_id=world.draft_a1.id)
        is not None
    )
    other = actor_of(session, world.member_a2)
    with pytest.raises(PermissionDenied):
        postings.get_editable_posting(session=session, actor=other, posting_id=world.posting_a1.id)
    with pytest.raises(NotFound):
        postings.get_editable_posting(session=session, actor=other, posting_id=world.draft_a1.id)
    with pytest.raises(PermissionDenied):  # managers moderate but do not edit
        postings.get_editable_posting(
            session=session,
            actor=actor_of(session, world.manager_a),
            posting_id=world.draft_a1.id,
        )


def test_history_records_who_did_what(session: Session, world: World) -> None:
    pid = world.posting_a1.id
    assert pid is not None
    postings.change_status(
        session=session,
        actor=actor_of(session, world.manager_a),
        posting_id=pid,
        action="pause",
        reason="Bitte prüfen",
    )
    history = postings.posting_history(
        session=session, actor=actor_of(session, world.member_a1), posting_id=pid
    )
    assert [entry.action for entry in history] == ["posting.create", "posting.pause"]
    created, paused = history
    assert created.actor_name == world.member_a1.name and created.actor_role == "member"
    assert paused.actor_name == world.manager_a.name and paused.actor_role == "manager"
    assert paused.changes == {"status": ["active", "paused"], "reason": "Bitte prüfen"}
    assert created.at <= paused.at


@pytest.mark.parametrize(
    ("persona", "outcome"),
    [
        ("anonymous", NotFound),
        ("same_company", None),
        ("other_company", NotFound),
        ("manager_same_network", None),
        ("manager_other_network", NotFound),
        ("admin", None),
    ],
)
def test_history_is_for_those_who_act_on_the_posting(
    session: Session, world: World, persona: str, outcome: type[Exception] | None
) -> None:
    user = world.personas()[persona]
    actor = actor_of(session, user) if user else Actor.anonymous()
    pid = world.draft_a1.id
    assert pid is not None
    if outcome is None:
        assert postings.posting_history(session=session, actor=actor, posting_id=pid)
    else:
        with pytest.raises(outcome):
            postings.posting_history(session=session, actor=actor, posting_id=pid)


def test_history_of_a_public_posting_is_not_public(session: Session, world: World) -> None:
    pid = world.posting_a1.id
    assert pid is not None
    for actor in (Actor.anonymous(), actor_of(session, world.member_a2)):
        with pytest.raises(PermissionDenied):
            postings.posting_history(session=session, actor=actor, posting_id=pid)


def test_change_password_needs_the_current_one(session: Session, world: World) -> None:
    user = session.get(User, world.member_a1.id)
    assert user is not None
    data = PasswordInput(
        password="ein neues langes Passwort", password_repeat="ein neues langes Passwort"
    )
    with pytest.raises(InvalidInput) as info:
        accounts.change_password(session=session, user=user, current_password="falsch", data=data)
    assert set(info.value.by_field()) == {"current_password"}
    assert user.session_version == 0 and verify_password(user.password_hash, PASSWORD)
    accounts.change_password(session=session, user=user, current_password=PASSWORD, data=data)
    assert user.session_version == 1
    assert verify_password(user.password_hash, "ein neues langes Passwort")


def test_members_cannot_change_their_networks(session: Session, world: World) -> None:
    values = companies.company_values(world.company_a1)
    company_id = world.company_a1.id
    assert company_id is not None
    for networks in (["netz-nord", "netz-sued"], ["netz-sued"]):
        with pytest.raises(InvalidInput) as info:
            companies.update_company(
                session=session,
                actor=actor_of(session, world.member_a1),
                company_id=company_id,
                data=CompanyInput(**{**values, "networks": networks}),
            )
        assert "networks" in info.value.by_field()
    # The same networks in another order are no change.
    companies.update_company(
        session=session,
        actor=actor_of(session, world.member_a1),
        company_id=company_id,
        data=CompanyInput(**{**values, "networks": ["netz-nord", "netz-nord"]}),
    )
    # Admins arrange network changes.
    changed = companies.update_company(
        session=session,
        actor=actor_of(session, world.admin),
        company_id=company_id,
        data=CompanyInput(**{**values, "networks": ["netz-nord", "netz-sued"]}),
    )
    assert sorted(n.slug for n in changed.networks) == ["netz-nord", "netz-sued"]


@pytest.mark.parametrize(
    ("raw", "valid"),
    [("", True), ("2027-01-31", True), ("31.01.2027", False), ("2027-02-30", False)],
)
def test_renewal_input(raw: str, valid: bool) -> None:
    if valid:
        data = parse(RenewalInput, {"valid_until": raw})
        assert (data.valid_until is None) is (raw == "")
    else:
        with pytest.raises(InvalidInput) as info:
            parse(RenewalInput, {"valid_until": raw})
        assert set(info.value.by_field()) == {"valid_until"}
