"""One-click answers to an introduction's follow-up, by signed link and without login.

The link opens a page with one button (a GET never changes anything: mail scanners open links);
the button records the answer once. Forged, broken and expired links answer 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from matchmaker.errors import Conflict
from matchmaker.i18n import gettext as _
from matchmaker.review import decisions, followups
from matchmaker.web.common import db

bp = Blueprint("answers", __name__, url_prefix="/introductions")

ANSWER_LABELS: dict[str, Any] = {
    **{str(key): label for key, label in decisions.OUTCOME_LABELS.items()},
    "decline": decisions.DECLINE_LABEL,
}


@bp.get("/answer/<token>", endpoint="answer")
def show(token: str) -> str:
    answer = followups.read(db(), token)
    return render_template(
        "review/answer.html", answer=answer, token=token, labels=ANSWER_LABELS, done=False
    )


@bp.post("/answer/<token>")
def record(token: str) -> tuple[str, int]:
    try:
        answer = followups.record(db(), token)
        db().commit()
        message = _("Thank you! Your answer is recorded.")
        status = 200
    except Conflict as error:
        db().rollback()
        answer = followups.read(db(), token)
        message, status = str(error.message), 409
    return render_template(
        "review/answer.html",
        answer=answer,
        token=token,
        labels=ANSWER_LABELS,
        done=True,
        message=message,
    ), status
