"""Evaluation: metrics on hand-computed examples, invalid input files, the eval CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from matchmaker.eval_command import eval_command
from matchmaker.matching.evaluation import (
    EvalDataError,
    evaluate_rankings,
    load_judgments,
    load_pairs,
    load_postings,
    metrics_for_ranking,
)

from .conftest import FIXTURES


def test_metrics_hand_computed() -> None:
    grades = {"a": 3, "b": 1, "c": 2}
    m = metrics_for_ranking(["x", "c", "a", "y"], grades)
    dcg = 2 / math.log2(3) + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@10"] == pytest.approx(dcg / idcg)
    assert m["mrr"] == pytest.approx(1 / 2)  # first grade >= 2 at rank 2
    assert m["p@1"] == 0.0
    assert m["recall@10"] == 1.0


def test_metrics_grade_one_is_not_relevant_for_mrr() -> None:
    m = metrics_for_ranking(["b", "a"], {"a": 2, "b": 1})
    assert m["mrr"] == 0.5
    assert m["p@1"] == 0.0
    perfect = metrics_for_ranking(["a", "b"], {"a": 2, "b": 1})
    assert perfect["ndcg@10"] == pytest.approx(1.0)


def test_recall_counts_only_top_ten() -> None:
    ranked = [f"x{i}" for i in range(10)] + ["a"]
    m = metrics_for_ranking(ranked, {"a": 3, "b": 2})
    assert m["recall@10"] == 0.0
    assert m["mrr"] == pytest.approx(1 / 11)


def _posting(pid: str, kind: str = "need", **kw: object) -> str:
    obj = {
        "id": pid,
        "kind": kind,
        "title": "T",
        "description": "",
        "category": None,
        "postal_code": None,
        "language": None,
    }
    obj.update(kw)
    return json.dumps(obj)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([_posting("n1"), "{not json"], "postings.jsonl:2: invalid JSON"),
        (
            [_posting("n1"), '{"id": "o1", "kind": "offer"}'],
            "postings.jsonl:2: missing key 'title'",
        ),
        ([_posting("n1", kind="wish")], "postings.jsonl:1: unknown kind 'wish'"),
        ([_posting("n1"), _posting("n1")], "postings.jsonl:2: duplicate id"),
    ],
)
def test_invalid_postings_name_file_and_line(
    tmp_path: Path, lines: list[str], message: str
) -> None:
    f = tmp_path / "postings.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_postings(f)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"need": "n1", "offer": "o9", "grade": 3}', "j.jsonl:2: unknown offer id 'o9'"),
        ('{"need": "o1", "offer": "o1", "grade": 3}', "j.jsonl:2: unknown need id 'o1'"),
        ('{"need": "n1", "offer": "o1", "grade": 4}', "j.jsonl:2: grade must be"),
        ('{"need": "n1", "offer": "o1"}', "j.jsonl:2: missing key 'grade'"),
        ("[1, 2]", "j.jsonl:2: expected a JSON object"),
    ],
)
def test_invalid_judgments_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    p = tmp_path / "p.jsonl"
    p.write_text(_posting("n1") + "\n" + _posting("o1", kind="offer") + "\n", encoding="utf-8")
    j = tmp_path / "j.jsonl"
    j.write_text('{"need": "n1", "offer": "o1", "grade": 1}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_judgments(j, load_postings(p))


@pytest.mark.parametrize(
    ("text", "message"),
    [("a,b,3\na,b\n", "pairs.csv:2: expected 3 columns"), ("a,b,x\n", "pairs.csv:1: score 'x'")],
)
def test_invalid_pairs_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "pairs.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_pairs(f)


EVAL = FIXTURES / "eval"
BASELINE_METHODS = {"rapidfuzz", "tfidf", "tfidf-char", "bm25"}
# with the default encoder: the engine with and without it, the encoder alone, the baselines
ENGINE_METHODS = {"engine", "engine+encoder"}
METHODS = {*ENGINE_METHODS, "encoder", *BASELINE_METHODS}
EXHAUSTIVE_METHODS = {f"{m}-exhaustive" for m in ENGINE_METHODS}


def _run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    th = ["--thesaurus", str(FIXTURES / "thesaurus")]
    res = runner.invoke(eval_command, [*args, *th])
    return res.exit_code, res.stdout, res.stderr


def test_cli_ranking_end_to_end() -> None:
    code, out, _ = _run(
        "--postings", str(EVAL / "postings.jsonl"), "--judgments", str(EVAL / "judgments.jsonl")
    )
    assert code == 0, out
    data = json.loads(out)
    assert set(data["methods"]) == METHODS | EXHAUSTIVE_METHODS
    assert data["rank_top10_same_as_exhaustive"] == {"engine": 3, "engine+encoder": 3}
    assert data["needs"] == 3 and data["offers"] == 5
    for m in data["methods"].values():
        assert set(m) == {"ndcg@10", "mrr", "p@1", "recall@10"}
        assert all(0.0 <= v <= 1.0 for v in m.values())
    assert data["methods"]["engine"]["p@1"] == 1.0


def test_cli_without_encoder_reports_the_lexical_engine_and_baselines() -> None:
    code, out, _ = _run(
        "--postings",
        str(EVAL / "postings.jsonl"),
        "--judgments",
        str(EVAL / "judgments.jsonl"),
        "--encoder",
        "none",
    )
    assert code == 0, out
    assert set(json.loads(out)["methods"]) == {"engine", "engine-exhaustive", *BASELINE_METHODS}


def test_cli_pairs_across_languages() -> None:
    """German first, English second: the encoder meets what shares no word."""
    code, out, _ = _run("--pairs", str(EVAL / "pairs-de-en.csv"))
    assert code == 0, out
    methods = json.loads(out)["methods"]
    assert set(methods) == METHODS
    assert methods["encoder"]["spearman"] > 0.5
    assert methods["engine+encoder"]["spearman"] > methods["engine"]["spearman"]


def test_cli_needs_and_exclude_needs_split_the_set() -> None:
    base = [
        "--postings",
        str(EVAL / "postings.jsonl"),
        "--judgments",
        str(EVAL / "judgments.jsonl"),
    ]
    code, out, _ = _run(*base, "--needs", str(EVAL / "heldout.txt"))
    assert code == 0 and json.loads(out)["needs"] == 1
    code, out, _ = _run(*base, "--exclude-needs", str(EVAL / "heldout.txt"))
    assert code == 0 and json.loads(out)["needs"] == 2


def test_cli_pairs_end_to_end() -> None:
    code, out, _ = _run("--pairs", str(EVAL / "pairs.csv"))
    assert code == 0, out
    data = json.loads(out)
    assert data["pairs"] == 6
    assert set(data["methods"]) == METHODS
    assert data["methods"]["engine"]["spearman"] > 0.5


def test_cli_invalid_file_exits_2_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "judgments.jsonl"
    bad.write_text('{"need": "n1", "offer": "o1", "grade": 3}\n{"need": "n1"\n', encoding="utf-8")
    code, _, err = _run("--postings", str(EVAL / "postings.jsonl"), "--judgments", str(bad))
    assert code == 2
    assert f"{bad}:2: invalid JSON" in err
    bad_csv = tmp_path / "pairs.csv"
    bad_csv.write_text("a,b,1\nc,d,e,f\n", encoding="utf-8")
    code, _, err = _run("--pairs", str(bad_csv))
    assert code == 2
    assert f"{bad_csv}:2: expected 3 columns" in err


def test_rank_gives_the_exhaustive_top_10_on_the_evaluation_set() -> None:
    from matchmaker.matching import Engine, load_thesaurus

    from .conftest import REAL_THESAURUS

    root = Path(__file__).resolve().parents[2] / "data" / "eval"
    docs = load_postings(root / "postings.jsonl")
    judged = load_judgments(root / "judgments.jsonl", docs)
    th = load_thesaurus(REAL_THESAURUS)
    result = evaluate_rankings(
        postings=docs,
        judgments=judged,
        engine_factory=lambda: Engine(thesaurus=th),
        methods=("engine", "engine-exhaustive"),
    )
    assert result.rank_top10_same == {"engine": result.needs}
    assert result.methods["engine"]["ndcg@10"] == result.methods["engine-exhaustive"]["ndcg@10"]
