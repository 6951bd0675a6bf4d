"""``matchmaker rematch`` and ``matchmaker eval`` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import Match
from tests.cli.conftest import REPO, Invoke
from tests.factories import World, make_posting

STEEL_OFFER = {
    "kind": "offer",
    "title": "Edelstahlbleche 1.4301, 2 mm, Restposten abzugeben",
    "description": "Ca. 600 kg Blech 1.4301 in 2 mm, Tafeln 1000×2000, ab Lager Plauen.",
    "category": "material",
}


def test_rematch_recomputes_every_live_posting(
    invoke: Invoke, session: Session, world: World
) -> None:
    offer = make_posting(session, world.member_b1, **STEEL_OFFER)
    session.commit()
    session.execute(Match.__table__.delete())  # type: ignore[attr-defined]
    session.commit()
    result = invoke("rematch")
    assert result.exit_code == 0, result.output
    assert "Storing matches" in result.output  # the progress bar
    assert "3 live posting(s); 1 match(es) stored, 0 retired." in result.output
    pairs = {(m.need_id, m.offer_id) for m in session.execute(select(Match)).scalars()}
    assert pairs == {(world.posting_a1.id, offer.id)}
    quiet = invoke("rematch", "--quiet")
    assert quiet.exit_code == 0
    assert quiet.output.strip() == "3 live posting(s); 1 match(es) stored, 0 retired."


def test_eval_prints_the_methods_as_json(invoke: Invoke, tmp_path: Path) -> None:
    postings = tmp_path / "postings.jsonl"
    judgments = tmp_path / "judgments.jsonl"
    rows = [
        {"id": "n1", "kind": "need", "title": "Gabelstapler gesucht", "description": "3 t"},
        {"id": "o1", "kind": "offer", "title": "Flurförderzeug zu vermieten", "description": ""},
        {"id": "o2", "kind": "offer", "title": "Lagerfläche frei", "description": "200 m²"},
    ]
    for row in rows:
        row.update({"category": None, "postal_code": None, "language": None})
    postings.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    judgments.write_text(json.dumps({"need": "n1", "offer": "o1", "grade": 3}), encoding="utf-8")
    result = invoke("eval", "--postings", str(postings), "--judgments", str(judgments))
    assert result.exit_code == 0, result.output
    methods = json.loads(result.output)["methods"]
    assert set(methods) == {
        "engine",
        "engine-exhaustive",
        "engine+encoder",
        "engine+encoder-exhaustive",
        "encoder",
        "rapidfuzz",
        "tfidf",
        "tfidf-char",
        "bm25",
    }
    assert set(methods["engine"]) == {"ndcg@10", "mrr", "p@1", "recall@10"}


def test_eval_names_the_line_of_an_invalid_file(invoke: Invoke, tmp_path: Path) -> None:
    postings = tmp_path / "postings.jsonl"
    valid = {
        "id": "n1",
        "kind": "need",
        "title": "Gabelstapler gesucht",
        "description": "",
        "category": None,
        "postal_code": None,
        "language": None,
    }
    postings.write_text(json.dumps(valid) + "\nnot json\n", encoding="utf-8")
    judgments = tmp_path / "judgments.jsonl"
    judgments.write_text("", encoding="utf-8")
    result = invoke("eval", "--postings", str(postings), "--judgments", str(judgments))
    assert result.exit_code == 2
    assert f"{postings}:2:" in result.output


def test_the_projects_evaluation_set_loads(invoke: Invoke) -> None:
    """The shipped set is valid input (the figures themselves are reported, not asserted)."""
    data = REPO / "data" / "eval"
    result = invoke(
        "eval",
        "--postings",
        str(data / "postings.jsonl"),
        "--judgments",
        str(data / "judgments.jsonl"),
        "--needs",
        str(data / "heldout.txt"),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["needs"] == len((data / "heldout.txt").read_text().split())
