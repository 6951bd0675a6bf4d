"""The e-mails of an introduction and of its follow-up, queued in the outbox.

Each company's contact gets its mail in its language: the language of the account with the
contact address, else of the company's first member, else of its posting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from matchmaker.emails import absolute_url, queue_template_mail
from matchmaker.i18n import force_locale
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Company, Match, OutboxMessage, Posting, User

SIDES = ("need", "offer")


def recipient_language(session: Session, company: Company, posting: Posting) -> str:
    user = session.execute(
        select(User).where(User.email == company.contact_email, User.active)
    ).scalar_one_or_none()
    if user is None:
        user = (
            session.execute(
                select(User).where(User.company_id == company.id, User.active).order_by(User.id)
            )
            .scalars()
            .first()
        )
    return user.language if user is not None else posting.language


def _sides(match: Match) -> dict[str, tuple[Posting, Posting]]:
    """For each side: (its own posting, the partner's posting)."""
    return {"need": (match.need, match.offer), "offer": (match.offer, match.need)}


def default_text(session: Session, match: Match, side: str) -> tuple[str, str]:
    """The editable part of the introduction to ``side``, in its recipient's language."""
    own, partner = _sides(match)[side]
    language = recipient_language(session, own.company, own)
    with force_locale(language):
        text = _(
            "we think %(partner)s could help with your posting “%(own)s”: their posting "
            "“%(theirs)s” fits it. We introduce you to each other and suggest that you get in "
            "touch directly.",
            partner=partner.company.name,
            own=own.title,
            theirs=partner.title,
        )
    return language, text


def queue_introduction(session: Session, match: Match, texts: dict[str, str]) -> int:
    """One mail to each company's contact naming the other company, its contact, both postings."""
    for side in SIDES:
        own, partner = _sides(match)[side]
        language, default = default_text(session, match, side)
        queue_template_mail(
            session=session,
            to=own.company.contact_email,
            to_name=own.company.contact_name,
            language=language,
            template="emails/introduction",
            subject=_l("Introduction: %(company)s", company=partner.company.name),
            kind="introduction",
            dedupe_key=f"introduction:{match.id}:{side}",
            recipient=_recipient(own, language),
            **_context(own, partner, texts.get(side) or default),
        )
    return len(SIDES)


def _recipient(own: Posting, language: str) -> dict[str, str]:
    return {"name": own.company.contact_name or own.company.name, "language": language}


def _context(own: Posting, partner: Posting, message: str) -> dict[str, Any]:
    return {
        "company": own.company,
        "own": own,
        "partner": partner,
        "message": message,
        "own_url": absolute_url("member.posting_detail", posting_id=own.id),
        "partner_url": absolute_url("public.posting_detail", posting_id=partner.id),
    }


def queue_followup(session: Session, match: Match, links: dict[str, dict[str, str]]) -> int:
    """The follow-up to both companies with one-click answers; once per match and side."""
    queued = 0
    for side in SIDES:
        own, partner = _sides(match)[side]
        key = f"followup:{match.id}:{side}"
        if session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
            continue
        language = recipient_language(session, own.company, own)
        queue_template_mail(
            session=session,
            to=own.company.contact_email,
            to_name=own.company.contact_name,
            language=language,
            template="emails/introduction_followup",
            subject=_l("How did it go with %(company)s?", company=partner.company.name),
            kind="introduction_followup",
            dedupe_key=key,
            recipient=_recipient(own, language),
            own=own,
            partner=partner,
            links=links[side],
        )
        queued += 1
    return queued
