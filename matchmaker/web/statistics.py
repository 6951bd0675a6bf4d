"""Statistics pages for managers (their networks) and admins (all), with a CSV of each figure."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, render_template

from matchmaker.i18n import gettext as _
from matchmaker.models import Role
from matchmaker.review import statistics
from matchmaker.web.charts import bar_chart
from matchmaker.web.common import actor, db, role_required

bp = Blueprint("statistics", __name__, url_prefix="/manager/statistics")
staff_only = role_required(Role.MANAGER, Role.ADMIN)


def chart_of(figure: statistics.Figure) -> Any:
    """The bars each figure is drawn with (the table below shows every number)."""
    title = str(figure.title)
    if figure.name == "postings":
        per_month: dict[str, float] = defaultdict(float)
        kinds = {"need": _("Needs"), "offer": _("Offers")}
        for month, kind, _category, count in figure.rows:
            per_month[f"{month} {kinds.get(str(kind), kind)}"] += float(count)  # type: ignore[arg-type]
        return bar_chart(sorted(per_month.items()), title=title)
    if figure.name == "imbalance":
        return bar_chart([(str(r[0]), float(r[3])) for r in figure.rows], title=title)  # type: ignore[arg-type]
    if figure.name == "funnel":
        return bar_chart([(str(r[0]), float(r[1])) for r in figure.rows], title=title)  # type: ignore[arg-type]
    return None


@bp.get("/")
@staff_only
def overview() -> str:
    figures = statistics.all_figures(session=db(), actor=actor())
    return render_template(
        "review/statistics.html",
        figures=[(figure, chart_of(figure)) for figure in figures],
    )


@bp.get("/<name>.csv")
@staff_only
def export(name: str) -> Response:
    figures = {f.name: f for f in statistics.all_figures(session=db(), actor=actor())}
    figure = figures.get(name)
    if figure is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(cell) for cell in figure.header])
    for row in figure.rows:
        writer.writerow([str(cell) for cell in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
