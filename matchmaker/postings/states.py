"""The status lifecycle of a posting: which step leads from where to where, and its labels."""

from __future__ import annotations

from typing import Any

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import PostingKind, PostingStatus

OPEN_STATUSES = frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED})
CLOSED_STATUSES = frozenset({PostingStatus.FULFILLED, PostingStatus.WITHDRAWN})

# action -> (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[PostingStatus], PostingStatus]] = {
    "publish": (frozenset({PostingStatus.DRAFT}), PostingStatus.ACTIVE),
    "pause": (frozenset({PostingStatus.ACTIVE}), PostingStatus.PAUSED),
    "resume": (frozenset({PostingStatus.PAUSED}), PostingStatus.ACTIVE),
    "fulfil": (
        frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED}),
        PostingStatus.FULFILLED,
    ),
    "withdraw": (
        frozenset(
            {
                PostingStatus.DRAFT,
                PostingStatus.ACTIVE,
                PostingStatus.PAUSED,
                PostingStatus.EXPIRED,
            }
        ),
        PostingStatus.WITHDRAWN,
    ),
}
# Managers may moderate the postings of their networks with these actions only.
MODERATION_ACTIONS = frozenset({"pause", "withdraw"})
RENEWABLE = frozenset({PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED})
EDITABLE = frozenset(
    {PostingStatus.DRAFT, PostingStatus.ACTIVE, PostingStatus.PAUSED, PostingStatus.EXPIRED}
)


def available_actions(status: PostingStatus | str) -> tuple[str, ...]:
    """What the company may do with a posting in ``status``, in the order pages offer it."""
    current = PostingStatus(status)
    actions: list[str] = []
    if current in EDITABLE:
        actions.append("edit")
    actions += [
        action
        for action in ("publish", "resume", "pause", "fulfil")
        if current in TRANSITIONS[action][0]
    ]
    if current in RENEWABLE:
        actions.append("renew")
    if current in TRANSITIONS["withdraw"][0]:
        actions.append("withdraw")
    return tuple(actions)


def status_label(status: PostingStatus | str) -> Any:
    labels = {
        PostingStatus.DRAFT: _l("draft"),
        PostingStatus.ACTIVE: _l("active"),
        PostingStatus.PAUSED: _l("paused"),
        PostingStatus.FULFILLED: _l("fulfilled"),
        PostingStatus.EXPIRED: _l("expired"),
        PostingStatus.WITHDRAWN: _l("withdrawn"),
    }
    return labels[PostingStatus(status)]


def kind_label(kind: PostingKind | str) -> Any:
    return {PostingKind.NEED: _l("need"), PostingKind.OFFER: _l("offer")}[PostingKind(kind)]
