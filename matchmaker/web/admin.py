"""Pages of the admin area."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker.models import Role
from matchmaker.web.common import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required(Role.ADMIN)
def dashboard() -> str:
    return render_template("admin/dashboard.html")
