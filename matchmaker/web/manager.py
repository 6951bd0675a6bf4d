"""Pages of the manager area."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker.models import Role
from matchmaker.web.common import role_required

bp = Blueprint("manager", __name__, url_prefix="/manage")


@bp.get("/")
@role_required(Role.MANAGER, Role.ADMIN)
def dashboard() -> str:
    return render_template("manager/dashboard.html")
