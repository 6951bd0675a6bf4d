"""Offline evaluation: ranking metrics on graded judgments and Spearman on sentence pairs.

Definitions (also in README):

* nDCG@10 with linear gain (gain = grade) and log2 discount; the ideal DCG is computed from all
  judged offers of the need, so relevant offers the ranking misses count against it.
* MRR: reciprocal rank of the first offer with grade >= 2 (0 if none is ranked).
* P@1: the top offer has grade >= 2.
* recall@10: share of the need's offers with grade >= 2 that are in the top 10.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from .baselines import BASELINES, Bm25Baseline, make_baseline
from .encoder import Encoder
from .engine import Engine, PostingDoc

__all__ = [
    "EvalDataError",
    "Judgments",
    "evaluate_pairs",
    "evaluate_rankings",
    "load_id_list",
    "load_judgments",
    "load_pairs",
    "load_postings",
    "mean_metrics",
    "metrics_for_ranking",
    "posting_text",
]

RELEVANT = 2
K = 10

Judgments = dict[str, dict[str, int]]  # need id -> offer id -> grade


class EvalDataError(ValueError):
    """An evaluation input file is invalid; the message names the file and line."""


def _where(path: Path, line: int) -> str:
    return f"{path}:{line}"


def load_postings(path: Path) -> list[PostingDoc]:
    """Postings from JSON lines (id, kind, title, description, category, postal_code, language)."""
    docs: list[PostingDoc] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{_where(path, no)}: invalid JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise EvalDataError(f"{_where(path, no)}: expected a JSON object")
        for key in ("id", "kind", "title", "description", "category", "postal_code", "language"):
            if key not in obj:
                raise EvalDataError(f"{_where(path, no)}: missing key {key!r}")
        pid = obj["id"]
        if not isinstance(pid, str | int) or isinstance(pid, bool) or str(pid) == "":
            raise EvalDataError(f"{_where(path, no)}: 'id' must be a non-empty string")
        pid = str(pid)
        if pid in seen:
            raise EvalDataError(f"{_where(path, no)}: duplicate id {pid!r}")
        seen.add(pid)
        if obj["kind"] not in ("need", "offer"):
            raise EvalDataError(
                f"{_where(path, no)}: unknown kind {obj['kind']!r} (expected need or offer)"
            )
        if not isinstance(obj["title"], str) or not obj["title"].strip():
            raise EvalDataError(f"{_where(path, no)}: 'title' must be a non-empty string")
        for key in ("description", "category", "postal_code", "language"):
            if obj[key] is not None and not isinstance(obj[key], str):
                raise EvalDataError(f"{_where(path, no)}: {key!r} must be a string or null")
        docs.append(
            PostingDoc(
                id=pid,
                kind=obj["kind"],
                title=obj["title"],
                description=obj["description"] or "",
                category=obj["category"],
                postal_code=obj["postal_code"],
                language=obj["language"],
            )
        )
    if not docs:
        raise EvalDataError(f"{path}: no postings")
    return docs


def load_judgments(path: Path, postings: Sequence[PostingDoc]) -> Judgments:
    """Graded judgments from JSON lines (need, offer, grade 1-3); ids must exist in postings."""
    kinds = {str(d.id): d.kind for d in postings}
    out: Judgments = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{_where(path, no)}: invalid JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise EvalDataError(f"{_where(path, no)}: expected a JSON object")
        for key in ("need", "offer", "grade"):
            if key not in obj:
                raise EvalDataError(f"{_where(path, no)}: missing key {key!r}")
        need, offer, grade = str(obj["need"]), str(obj["offer"]), obj["grade"]
        if kinds.get(need) != "need":
            raise EvalDataError(f"{_where(path, no)}: unknown need id {need!r}")
        if kinds.get(offer) != "offer":
            raise EvalDataError(f"{_where(path, no)}: unknown offer id {offer!r}")
        if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 3:
            raise EvalDataError(f"{_where(path, no)}: grade must be an integer 0-3, got {grade!r}")
        if offer in out.get(need, {}):
            raise EvalDataError(f"{_where(path, no)}: pair ({need}, {offer}) judged twice")
        out.setdefault(need, {})[offer] = grade
    return out


def load_id_list(path: Path) -> list[str]:
    """Ids one per line (blank lines and # comments ignored)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc
    return [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]


def load_pairs(path: Path) -> list[tuple[str, str, float]]:
    """Sentence pairs from a CSV without header: text_a, text_b, score."""
    out: list[tuple[str, str, float]] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for no, row in enumerate(csv.reader(fh), 1):
                if not row:
                    continue
                if len(row) != 3:
                    raise EvalDataError(
                        f"{_where(path, no)}: expected 3 columns (text_a,text_b,score), "
                        f"got {len(row)}"
                    )
                try:
                    score = float(row[2])
                except ValueError as exc:
                    raise EvalDataError(
                        f"{_where(path, no)}: score {row[2]!r} is not a number"
                    ) from exc
                if not math.isfinite(score):
                    raise EvalDataError(f"{_where(path, no)}: score {row[2]!r} is not finite")
                out.append((row[0], row[1], score))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read: {exc}") from exc
    except csv.Error as exc:
        raise EvalDataError(f"{path}: invalid CSV: {exc}") from exc
    if not out:
        raise EvalDataError(f"{path}: no pairs")
    return out


def posting_text(doc: PostingDoc) -> str:
    """Title + " " + description, the text the baselines see."""
    return f"{doc.title} {doc.description}".strip()


def metrics_for_ranking(ranked: Sequence[str], grades: Mapping[str, int]) -> dict[str, float]:
    """nDCG@10, MRR, P@1 and recall@10 of one ranked list of offer ids."""
    dcg = sum(grades.get(oid, 0) / math.log2(i + 2) for i, oid in enumerate(ranked[:K]))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:K]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = {oid for oid, g in grades.items() if g >= RELEVANT}
    rr = 0.0
    for i, oid in enumerate(ranked):
        if oid in relevant:
            rr = 1.0 / (i + 1)
            break
    return {
        "ndcg@10": dcg / idcg if idcg > 0 else 0.0,
        "mrr": rr,
        "p@1": 1.0 if ranked and ranked[0] in relevant else 0.0,
        "recall@10": len(relevant & set(ranked[:K])) / len(relevant) if relevant else 0.0,
    }


def mean_metrics(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    rows = list(rows)
    if not rows:
        return {"ndcg@10": 0.0, "mrr": 0.0, "p@1": 0.0, "recall@10": 0.0}
    return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}


@dataclass
class RankingResult:
    methods: dict[str, dict[str, float]]
    needs: int
    offers: int
    per_need: dict[str, dict[str, dict[str, float]]]
    # per engine scored exhaustively too: needs whose rank(k=10) is the exhaustive top 10
    rank_top10_same: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"methods": self.methods, "needs": self.needs, "offers": self.offers}
        if self.rank_top10_same:
            out["rank_top10_same_as_exhaustive"] = self.rank_top10_same
        return out


def _rank_by_scores(offer_ids: Sequence[str], scores: np.ndarray) -> list[str]:
    order = sorted(range(len(offer_ids)), key=lambda i: (-float(scores[i]), offer_ids[i]))
    return [offer_ids[i] for i in order]


ENCODER_METHOD = "encoder"
# "<engine>-exhaustive": the same fitted engine scoring every pair with score_pair (checks rank)
EXHAUSTIVE = "-exhaustive"


def _engine_factories(
    engine_factory: Callable[[], Engine] | None,
    engines: Mapping[str, Callable[[], Engine]] | None,
) -> dict[str, Callable[[], Engine]]:
    out = dict(engines or {})
    if engine_factory is not None:
        out.setdefault("engine", engine_factory)
    return out


def _default_methods(
    factories: Mapping[str, Callable[[], Engine]], encoder: Encoder | None, *, exhaustive: bool
) -> list[str]:
    engines = [m for name in factories for m in (name, name + EXHAUSTIVE)[: 2 if exhaustive else 1]]
    return [*engines, *([ENCODER_METHOD] if encoder is not None else []), *BASELINES]


def _exhaustive_ranking(
    engine: Engine, need: PostingDoc, offers: Sequence[PostingDoc]
) -> list[str]:
    """Every offer ``rank`` may return (it filters radius and own postings), by ``score_pair``."""
    allowed = {str(c.id) for c in engine.rank(need, k=len(offers))}
    scored = [(engine.score_pair(need, o).score, str(o.id)) for o in offers]
    return [oid for _, oid in sorted(scored, key=lambda t: (-t[0], t[1])) if oid in allowed]


def evaluate_rankings(
    *,
    postings: Sequence[PostingDoc],
    judgments: Judgments,
    need_ids: Sequence[str] | None = None,
    engine_factory: Callable[[], Engine] | None = None,
    engines: Mapping[str, Callable[[], Engine]] | None = None,
    encoder: Encoder | None = None,
    methods: Sequence[str] | None = None,
) -> RankingResult:
    """Rank all offers for each selected need with every method; mean metrics per method.

    Methods: each named engine (``engine_factory`` is the one called ``engine``) and the same
    engine scoring every pair (``<name>-exhaustive``), the encoder alone (``encoder``: cosine of
    need and offer text) and the baselines.
    """
    factories = _engine_factories(engine_factory, engines)
    if methods is None:
        methods = _default_methods(factories, encoder, exhaustive=True)
    needs = [d for d in postings if d.kind == "need"]
    offers = [d for d in postings if d.kind == "offer"]
    if need_ids is not None:
        wanted = set(need_ids)
        needs = [d for d in needs if str(d.id) in wanted]
    offer_ids = [str(d.id) for d in offers]
    texts = [posting_text(d) for d in postings]
    per_need: dict[str, dict[str, dict[str, float]]] = {}
    fitted: dict[str, Engine] = {}
    top10_same: dict[str, int] = {}

    def engine_of(name: str) -> Engine:
        if name not in fitted:
            fitted[name] = factories[name]()
            fitted[name].fit(postings)
        return fitted[name]

    for method in methods:
        rankings: dict[str, list[str]] = {}
        if method == ENCODER_METHOD:
            assert encoder is not None, "the encoder method needs an encoder"
            vn = encoder.encode([posting_text(d) for d in needs])
            vo = encoder.encode([posting_text(d) for d in offers])
            sims = vn @ vo.T
            for i, need in enumerate(needs):
                rankings[str(need.id)] = _rank_by_scores(offer_ids, sims[i])
        elif method.endswith(EXHAUSTIVE) and method.removesuffix(EXHAUSTIVE) in factories:
            name = method.removesuffix(EXHAUSTIVE)
            engine = engine_of(name)
            same = 0
            for need in needs:
                ranked = _exhaustive_ranking(engine, need, offers)
                rankings[str(need.id)] = ranked + sorted(set(offer_ids) - set(ranked))
                same += [str(c.id) for c in engine.rank(need, k=K)] == ranked[:K]
            top10_same[name] = same
        elif method in factories:
            engine = engine_of(method)
            for need in needs:
                cands = engine.rank(need, k=len(offers))
                ranked = [str(c.id) for c in cands]
                rest = sorted(set(offer_ids) - set(ranked))
                rankings[str(need.id)] = ranked + rest
        else:
            base = make_baseline(method)
            base.fit(texts)
            scores = base.scores(
                [posting_text(d) for d in needs], [posting_text(d) for d in offers]
            )
            for i, need in enumerate(needs):
                rankings[str(need.id)] = _rank_by_scores(offer_ids, scores[i])
        for nid, ranked in rankings.items():
            per_need.setdefault(nid, {})[method] = metrics_for_ranking(
                ranked, judgments.get(nid, {})
            )
    result = {m: mean_metrics(per_need[str(n.id)][m] for n in needs) for m in methods}
    return RankingResult(result, len(needs), len(offers), per_need, top10_same)


def evaluate_pairs(
    *,
    pairs: Sequence[tuple[str, str, float]],
    engine_factory: Callable[[], Engine] | None = None,
    engines: Mapping[str, Callable[[], Engine]] | None = None,
    encoder: Encoder | None = None,
    methods: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Spearman correlation of each method's pair similarity with the gold scores.

    Works on cross-lingual files too (German first, English second): every method sees the two
    texts as they are.
    """
    factories = _engine_factories(engine_factory, engines)
    if methods is None:
        methods = _default_methods(factories, encoder, exhaustive=False)
    texts = list(dict.fromkeys([p[0] for p in pairs] + [p[1] for p in pairs]))
    gold = [p[2] for p in pairs]
    out: dict[str, dict[str, float]] = {}
    for method in methods:
        if method == ENCODER_METHOD:
            assert encoder is not None, "the encoder method needs an encoder"
            va = encoder.encode([p[0] for p in pairs])
            vb = encoder.encode([p[1] for p in pairs])
            sims = [float(x) for x in (va * vb).sum(axis=1)]
        elif method in factories:
            engine = factories[method]()
            engine.fit(
                PostingDoc(id=i, kind="need" if i % 2 == 0 else "offer", title=t)
                for i, t in enumerate(texts)
            )
            sims = [engine.similarity(a, b) for a, b, _ in pairs]
        else:
            base = make_baseline(method)
            base.fit(texts)
            if isinstance(base, Bm25Baseline):
                sims = [base.pair(a, b) for a, b, _ in pairs]
            else:
                sims = [float(base.scores([a], [b])[0, 0]) for a, b, _ in pairs]
        # a method that scores every pair alike (no shared word anywhere) has no correlation
        rho = spearmanr(sims, gold).statistic if np.ptp(sims) > 0 else 0.0
        out[method] = {"spearman": round(float(rho) if np.isfinite(rho) else 0.0, 4)}
    return {"methods": out, "pairs": len(pairs)}
