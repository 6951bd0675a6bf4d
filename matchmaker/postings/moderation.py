"""Moderation: a manager (or an admin) pausing or withdrawing another company's posting.

One rule for the web page and the API alike: a reason is required, it goes into the audit
trail, and every active member of the company is told by e-mail (queued in the same
transaction, so it leaves only once the step is committed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.errors import InvalidInput
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Posting, User
from matchmaker.postings.states import MODERATION_ACTIONS

MODERATION_SUBJECTS: dict[str, Callable[[str], Any]] = {
    "pause": lambda title: _l("Your posting “%(title)s” was paused", title=title),
    "withdraw": lambda title: _l("Your posting “%(title)s” was withdrawn", title=title),
}


def is_moderation(actor: Actor, posting: Posting, action: str) -> bool:
    """A pause or withdrawal by a person who does not post for the company (the system actor
    of the CLI and the demo loader acts on the company's behalf)."""
    own = actor.is_member and actor.company_id == posting.company_id
    return action in MODERATION_ACTIONS and actor.user_id is not None and not own


def require_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput.single("reason", "missing", _l("Please give a reason."))
    return reason.strip()


def notify_company(
    *, session: Session, actor: Actor, posting: Posting, action: str, reason: str
) -> None:
    """Queue the notice to each active member of the posting's company."""
    reviewer = session.get(User, actor.user_id) if actor.user_id is not None else None
    for member in posting.company.members:
        if not member.active:
            continue
        queue_template_mail(
            session=session,
            to=member.email,
            to_name=member.name,
            language=member.language,
            template="emails/posting_moderated",
            subject=MODERATION_SUBJECTS[action](posting.title),
            kind="posting_moderated",
            recipient=member,
            posting=posting,
            action=action,
            reason=reason,
            reviewer=reviewer,
            dashboard_url=absolute_url("member.dashboard"),
        )
