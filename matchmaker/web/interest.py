"""The "we can help / we are interested" form on a posting's public page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from matchmaker.errors import DomainError, InvalidInput
from matchmaker.i18n import gettext as _
from matchmaker.models import Role
from matchmaker.review import interest
from matchmaker.web.common import actor, db, role_required

bp = Blueprint("interest", __name__, url_prefix="/postings")


@bp.post("/<int:posting_id>/interest")
@role_required(Role.MEMBER)
def express(posting_id: int) -> Response:
    raw = request.form.get("own_posting", "")
    try:
        interest.express_interest(
            session=db(),
            actor=actor(),
            posting_id=posting_id,
            own_posting_id=int(raw) if raw.isdigit() else 0,
            message=request.form.get("message", ""),
        )
        db().commit()
    except DomainError as error:
        db().rollback()
        if not isinstance(error, InvalidInput):
            raise
        flash(" ".join(str(e.message) for e in error.errors), "error")
        return redirect(url_for("public.posting_detail", posting_id=posting_id), code=303)
    flash(
        _(
            "Thank you! The network management looks at it and introduces you if it fits; the "
            "other company is not told before."
        ),
        "success",
    )
    return redirect(url_for("public.posting_detail", posting_id=posting_id), code=303)
