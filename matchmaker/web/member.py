"""Pages of the member area."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker.models import Role
from matchmaker.web.common import role_required

bp = Blueprint("member", __name__, url_prefix="/my")


@bp.get("/")
@role_required(Role.MEMBER)
def dashboard() -> str:
    return render_template("member/dashboard.html")
