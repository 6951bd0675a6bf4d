"""Scale benchmark of the matcher process: ``make bench-scale`` (``python -m benchmarks.scale``).

A benchmark, not a test: it prints one JSON document and asserts nothing. For each size it
generates that many live postings (``benchmarks.engine.PostingGenerator``) into a fresh SQLite
database and measures

- ``save_p95_ms``: saving and publishing a posting as a web worker does (rows only, no engine);
- ``fit_s`` and ``index_mb``: the matcher's fit and the growth of its resident memory;
- ``rank_p95_ms``: ranking one posting against the fitted index;
- ``save_to_matches_p95_ms``: from a posting's commit to its matches being stored, with the
  matcher running in a thread (SQLite: found by polling every ``--poll`` seconds; PostgreSQL
  wakes it by NOTIFY instead);
- at the largest size, today's per-request path for the ratio: the save with ranking inside the
  request (``per_request_save_p95_ms``) and the first request of a fresh worker, which fits.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from benchmarks.engine import PostingGenerator, _rss_mb, machine_info
from matchmaker import clock, match_jobs, matcher, matches, migrate, postings
from matchmaker.access import Actor
from matchmaker.db import make_engine, utcnow
from matchmaker.matching import load_thesaurus
from matchmaker.models import Category, Company, MatchJob, Posting, Role, User
from matchmaker.resources import project_root
from matchmaker.schemas import PostingCreate

SAVES = 40


def _p95(times: Sequence[float]) -> float:
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2)


def _database(size: int, workdir: Path, generator: PostingGenerator) -> tuple[DbEngine, User]:
    """A migrated SQLite database with ``size`` live postings of 500 approved companies."""
    db = make_engine(f"sqlite:///{workdir / f'scale-{size}.sqlite3'}")
    migrate.upgrade(db)
    # the generated postings exist since yesterday: the matcher's sync window sees only new ones
    now = utcnow() - timedelta(days=1)
    with Session(db) as session:
        categories = {c.slug: c.id for c in session.execute(select(Category)).scalars()}
        companies = [
            Company(
                name=f"Firma {i}",
                postal_code="99084",
                city="Erfurt",
                contact_email=f"firma{i}@example.org",
                status="approved",
                created_at=now,
                updated_at=now,
            )
            for i in range(500)
        ]
        session.add_all(companies)
        session.flush()
        member = User(email="bench@example.org", name="Bench", role=Role.MEMBER.value)
        member.company_id = companies[0].id
        session.add(member)
        session.flush()
        fallback = next(iter(categories.values()))
        rows = []
        for i, doc in enumerate(generator.postings(size)):
            rows.append(
                {
                    "company_id": companies[i % len(companies)].id,
                    "kind": doc.kind,
                    "category_id": categories.get(doc.category or "", fallback),
                    "title": doc.title[:120],
                    "description": doc.description,
                    "postal_code": doc.postal_code,
                    "radius_km": int(doc.radius_km) if doc.radius_km else None,
                    "valid_until": clock.today() + timedelta(days=60),
                    "status": "active",
                    "language": doc.language or "de",
                    "search_text": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "published_at": now,
                }
            )
            if len(rows) == 5000:
                session.execute(insert(Posting), rows)
                rows = []
        if rows:
            session.execute(insert(Posting), rows)
        session.commit()
        session.refresh(member)
        return db, member


def _save(
    db: DbEngine, member: User, doc: Any, index: matches.MatchIndex | None = None
) -> tuple[int, float]:
    """Save and publish one posting as a web request does; with ``index``, rank in the request
    as the per-request path did before the matcher process."""
    started = time.perf_counter()
    with Session(db, expire_on_commit=False) as session:
        actor = Actor.for_user(session, member)
        data = PostingCreate(
            kind=doc.kind,
            title=doc.title[:120],
            description=doc.description,
            category=doc.category or "material",
            postal_code=doc.postal_code,
        )
        posting = postings.create_posting(session=session, actor=actor, data=data, publish=True)
        if index is not None:
            session.execute(MatchJob.__table__.delete())  # type: ignore[attr-defined]
            matches.refresh_posting(session, posting, index)
        session.commit()
        assert posting.id is not None
        return posting.id, time.perf_counter() - started


def _save_p95(db: DbEngine, member: User, docs: Sequence[Any]) -> float:
    times = [_save(db, member, doc)[1] for doc in docs]
    with Session(db) as session:  # leave no backlog behind for the next measurement
        session.execute(MatchJob.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
    return _p95(times)


def bench_size(
    size: int, workdir: Path, generator: PostingGenerator, *, poll: float, per_request: bool
) -> dict[str, Any]:
    db, member = _database(size, workdir, generator)
    probes = generator.postings(SAVES * 3, start=10_000_000)
    result: dict[str, Any] = {"postings": size}
    result["save_p95_ms"] = _save_p95(db, member, probes[:SAVES])

    settings = matches.MatchSettings(thesaurus_path=project_root() / "data" / "thesaurus")
    worker = matcher.Matcher(
        db, settings, holder="bench", config=matcher.MatcherConfig(poll_seconds=poll)
    )
    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    with Session(db, expire_on_commit=False) as session:
        worker.index.refit(session)
        session.commit()
    result["fit_s"] = round(time.perf_counter() - started, 2)
    gc.collect()
    result["index_mb"] = round(_rss_mb() - rss_before, 1)

    engine = worker.index.engine
    rank_times = []
    for doc in probes[SAVES : SAVES * 2]:
        t0 = time.perf_counter()
        engine.rank(doc, k=settings.candidates, min_score=settings.threshold)
        rank_times.append(time.perf_counter() - t0)
    result["rank_p95_ms"] = _p95(rank_times)

    thread, stop = matcher.start_in_thread(worker)
    latencies = []
    try:
        for doc in probes[SAVES * 2 :]:
            posting_id, _ = _save(db, member, doc)
            committed = time.perf_counter()
            while True:
                with Session(db) as session:
                    if posting_id not in match_jobs.matching_pending(session, [posting_id]):
                        break
                time.sleep(0.005)
            latencies.append(time.perf_counter() - committed)
    finally:
        stop.set()
        thread.join()
    result["save_to_matches_p95_ms"] = _p95(latencies)
    result["save_to_matches_median_ms"] = round(statistics.median(latencies) * 1000, 2)

    if per_request:
        # Before the matcher process: each web worker ranked inside the request, after fitting
        # its own index on the first request (that fit is fit_s above, per worker).
        extra = generator.postings(SAVES, start=20_000_000)
        times = [_save(db, member, doc, worker.index)[1] for doc in extra]
        result["per_request_save_p95_ms"] = _p95(times)
        result["per_request_first_save_s"] = result["fit_s"]
    db.dispose()
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated posting counts")
    parser.add_argument("--poll", type=float, default=0.2, help="matcher poll interval (s)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    thesaurus = load_thesaurus(project_root() / "data" / "thesaurus")
    out: dict[str, Any] = {"machine": machine_info(), "poll_seconds": args.poll, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            generator = PostingGenerator(thesaurus, seed=size)
            out["sizes"].append(
                bench_size(
                    size, Path(tmp), generator, poll=args.poll, per_request=size == max(sizes)
                )
            )
    largest = out["sizes"][-1]
    out["save_p95_ratio_largest_to_smallest"] = round(
        largest["save_p95_ms"] / max(out["sizes"][0]["save_p95_ms"], 1e-9), 2
    )
    out["per_request_to_matcher_save_p95_ratio"] = round(
        largest.get("per_request_save_p95_ms", 0) / max(largest["save_p95_ms"], 1e-9), 1
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
