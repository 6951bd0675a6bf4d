"""Statistics for managers and admins: the figures, their scope, charts and CSV exports."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlmodel import Session

from matchmaker.access import Actor
from matchmaker.models import Match
from matchmaker.review import decisions, introductions, statistics
from tests.factories import World, make_posting
from tests.helpers import text_of
from tests.web.staff_access import LOGIN_REDIRECT, client_for, status_by_persona

STAFF = {
    "anonymous": LOGIN_REDIRECT,
    "same_company": 403,
    "other_company": 403,
    "manager_same_network": 200,
    "manager_other_network": 200,
    "admin": 200,
}


@pytest.mark.parametrize("url", ["/manager/statistics/", "/manager/statistics/funnel.csv"])
def test_who_sees_statistics(app: Flask, world: World, url: str) -> None:
    assert status_by_persona(app, world, url) == STAFF


def figures(session: Session, world: World, who: str) -> dict[str, statistics.Figure]:
    actor = Actor.for_user(session, getattr(world, who))
    return {f.name: f for f in statistics.all_figures(session=session, actor=actor)}


def test_the_figures_from_posting_to_deal(
    app: Flask, session: Session, world: World, steel_match: Match
) -> None:
    lonely = make_posting(
        session,
        world.member_a2,
        title="Suche Dolmetscher Japanisch für Messe",
        description="Zwei Tage im März.",
        category="services",
    )
    session.commit()
    admin = Actor.for_user(session, world.admin)
    with app.app_context():
        decisions.approve(session=session, actor=admin, match_id=steel_match.id)  # type: ignore[arg-type]
        introductions.introduce(session=session, actor=admin, match_id=steel_match.id)  # type: ignore[arg-type]
        decisions.record_outcome(
            session=session,
            actor=admin,
            match_id=steel_match.id,  # type: ignore[arg-type]
            outcome="deal",
        )
    session.commit()
    seen = figures(session, world, "manager_a")
    assert [row[:2] for row in seen["funnel"].rows] == [[row[0], 1] for row in seen["funnel"].rows]
    assert [row[2] for row in seen["funnel"].rows] == [100.0, 100.0, 100.0, 100.0]
    unmatched = [row[0] for row in seen["unmatched"].rows]
    assert lonely.id in unmatched and world.posting_a1.id not in unmatched
    imbalance = {row[0]: row[1:] for row in seen["imbalance"].rows}
    assert imbalance["services"] == [1, 0, 1]
    assert seen["introduction_time"].rows[0][0] == 2  # both postings' introduction
    # network B's manager counts only network B's postings
    other = figures(session, world, "manager_b")
    kinds = {(row[1], row[2]) for row in other["postings"].rows}
    assert ("need", "services") not in kinds and ("offer", "material") in kinds
    page = text_of(client_for(app, world, "manager_same_network").get("/manager/statistics/"))
    assert page.count("<svg") == 3 and 'id="figure-unmatched"' in page
    for name in seen:
        response = client_for(app, world, "admin").get(f"/manager/statistics/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == 1 + len(figures(session, world, "admin")[name].rows)
    assert client_for(app, world, "admin").get("/manager/statistics/nope.csv").status_code == 404
