"""The renew link of the expiry reminder: works without a login, through its signed token."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from matchmaker import reminders
from matchmaker.context import csrf
from matchmaker.errors import Conflict
from matchmaker.web.common import db, settings
from matchmaker.web.member.base import limits

bp = Blueprint("renewal", __name__)


@bp.route("/postings/renew/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; the page's button posts it back
def renew(token: str) -> tuple[str, int]:
    """GET asks (mail scanners open links), POST renews."""
    found = reminders.posting_for_renew_token(db(), settings().secret_key, token)
    if found is None:
        abort(404)
    posting, member = found
    done = False
    if request.method == "POST":
        try:
            posting = reminders.renew_by_link(
                session=db(), posting=posting, member=member, limits=limits()
            )
        except Conflict:
            abort(404)  # withdrawn or fulfilled in the meantime: nothing to renew
        db().commit()
        done = True
    return render_template("renewal/renew.html", posting=posting, token=token, done=done), 200
