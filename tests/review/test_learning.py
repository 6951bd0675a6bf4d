"""Learning from decisions: the calibrated threshold, its use in the queue, export-judgments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlmodel import Session

from matchmaker import clock
from matchmaker.access import Actor
from matchmaker.cli import cli
from matchmaker.eval_command import eval_command
from matchmaker.matching.evaluation import load_judgments, load_postings
from matchmaker.models import Match, Posting
from matchmaker.review import learning, queue
from tests.factories import World
from tests.helpers import text_of
from tests.web.staff_access import client_for, status_by_persona


def test_the_best_threshold_separates_approvals_from_rejections() -> None:
    approvals = [0.55, 0.6, 0.7, 0.8, 0.9, 0.35]
    rejections = [0.2, 0.25, 0.3, 0.4, 0.5, 0.22]
    assert learning.best_threshold(approvals, rejections) == 0.55
    assert learning.best_threshold(approvals[:3], rejections[:3]) is None  # too few
    assert learning.best_threshold(approvals + approvals, []) is None  # one kind only


def decided_world(session: Session, world: World) -> list[Match]:
    """Twelve offers of network B paired with the steel need, decided by score."""
    rows = []
    for number in range(12):
        offer = Posting(
            company_id=world.company_b1.id,  # type: ignore[arg-type]
            kind="offer",
            title=f"Angebot {number}",
            description="",
            category_id=world.posting_a1.category_id,
            postal_code="08523",
            valid_until=clock.today() + timedelta(days=30),
            status="active",
            language="de",
        )
        session.add(offer)
        session.flush()
        score = 0.1 + number * 0.07
        status = "approved" if score >= 0.5 else "rejected"
        if number == 11:
            status = "introduced"
        match = Match(
            need_id=world.posting_a1.id,  # type: ignore[arg-type]
            offer_id=offer.id,  # type: ignore[arg-type]
            score=score,
            engine_version="test",
            status=status,
            outcome="deal" if number == 11 else None,
            reject_reason="too_far" if status == "rejected" else None,
        )
        session.add(match)
        rows.append(match)
    session.commit()
    return rows


def test_calibration_is_shown_to_admins_with_its_data_and_orders_the_queue(
    app: Flask, session: Session, world: World
) -> None:
    rows = decided_world(session, world)
    calibration = learning.calibrate(session, world.network_a)
    assert calibration.threshold is not None
    assert 0.45 < calibration.threshold <= 0.52
    assert len(calibration.approvals) + len(calibration.rejections) == 12
    assert status_by_persona(app, world, "/manager/calibration") == {
        "anonymous": 302,
        "same_company": 403,
        "other_company": 403,
        "manager_same_network": 403,
        "manager_other_network": 403,
        "admin": 200,
    }
    page = text_of(client_for(app, world, "admin").get("/manager/calibration"))
    shown = page.replace("\xa0", " ").replace("\u202f", " ")  # Babel's no-break spaces
    assert f"{calibration.threshold * 100:.0f} %" in shown
    for match in rows[:2]:
        match.status = "suggested"
        match.reject_reason = None
    session.commit()
    queue_page = text_of(client_for(app, world, "manager_same_network").get("/manager/matches"))
    assert 'id="calibrated"' in queue_page


def test_pairs_above_their_networks_threshold_come_first(session: Session, world: World) -> None:
    low_cross = decided_world(session, world)[1]  # need in A, offer in B; score 0.17
    low_cross.status = "suggested"
    inside_a = Posting(
        company_id=world.company_a2.id,  # type: ignore[arg-type]
        kind="offer",
        title="Angebot in Netz A",
        category_id=world.posting_a1.category_id,
        postal_code="99084",
        valid_until=clock.today() + timedelta(days=30),
        status="active",
    )
    session.add(inside_a)
    session.flush()
    high_inside = Match(
        need_id=world.posting_a1.id,  # type: ignore[arg-type]
        offer_id=inside_a.id,  # type: ignore[arg-type]
        score=0.9,
        engine_version="test",
    )
    session.add(high_inside)
    session.commit()
    admin = Actor.for_user(session, world.admin)
    plain = queue.review_queue(session=session, actor=admin, filters=queue.QueueFilters())
    assert [m.id for m in plain.items] == [high_inside.id, low_cross.id]
    ranked = queue.review_queue(
        session=session,
        actor=admin,
        filters=queue.QueueFilters(thresholds=((world.network_b.id, 0.15),)),  # type: ignore[arg-type]
    )
    assert [m.id for m in ranked.items] == [low_cross.id, high_inside.id]


def test_export_judgments_writes_what_eval_reads(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    decided_world(session, world)
    result = app.test_cli_runner().invoke(cli, ["export-judgments", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docs = load_postings(tmp_path / "postings.jsonl")
    judged = load_judgments(tmp_path / "judgments.jsonl", docs)
    grades = judged[f"n{world.posting_a1.id}"]
    assert sorted(grades.values()) == [0] * 6 + [1] * 5 + [3]
    evaluated = app.test_cli_runner().invoke(
        eval_command,
        [
            "--postings",
            str(tmp_path / "postings.jsonl"),
            "--judgments",
            str(tmp_path / "judgments.jsonl"),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "ndcg" in evaluated.output.lower()
