"""Learning from decisions: a per-network score threshold, and judgments for ``matchmaker eval``.

The threshold of a network is the score that best separates its managers' approvals (approved,
introduced) from their rejections: the cut with the highest Youden index (share of approvals
kept minus share of rejections kept). With fewer than :data:`MIN_DECISIONS` decisions, or only
one kind of them, there is nothing to learn from and the network has no threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from matchmaker.models import Match, MatchStatus, Network, Posting
from matchmaker.review.queue import touches_networks

MIN_DECISIONS = 10
POSITIVE = (MatchStatus.APPROVED.value, MatchStatus.INTRODUCED.value)
NEGATIVE = (MatchStatus.REJECTED.value,)


@dataclass(frozen=True)
class Calibration:
    network: Network
    threshold: float | None
    approvals: list[float] = field(default_factory=list)  # the scores it came from
    rejections: list[float] = field(default_factory=list)
    kept_approvals: int = 0
    kept_rejections: int = 0


def best_threshold(approvals: list[float], rejections: list[float]) -> float | None:
    """The cut maximising kept approvals minus kept rejections (as shares); ties: the lower."""
    if len(approvals) + len(rejections) < MIN_DECISIONS or not approvals or not rejections:
        return None
    best, best_j = None, -2.0
    for cut in sorted(set(approvals) | set(rejections)):
        kept_a = sum(score >= cut for score in approvals) / len(approvals)
        kept_r = sum(score >= cut for score in rejections) / len(rejections)
        if kept_a - kept_r > best_j:
            best, best_j = cut, kept_a - kept_r
    return best


def calibrate(session: Session, network: Network) -> Calibration:
    assert network.id is not None
    rows = session.execute(
        select(Match.score, Match.status).where(
            touches_networks([network.id]), Match.status.in_(POSITIVE + NEGATIVE)
        )
    ).all()
    approvals = sorted(score for score, status in rows if status in POSITIVE)
    rejections = sorted(score for score, status in rows if status in NEGATIVE)
    threshold = best_threshold(approvals, rejections)
    return Calibration(
        network=network,
        threshold=threshold,
        approvals=approvals,
        rejections=rejections,
        kept_approvals=sum(s >= threshold for s in approvals) if threshold is not None else 0,
        kept_rejections=sum(s >= threshold for s in rejections) if threshold is not None else 0,
    )


def calibrations(session: Session, networks: list[Network]) -> list[Calibration]:
    return [calibrate(session, network) for network in networks]


def thresholds(session: Session, network_ids: frozenset[int] | set[int]) -> dict[int, float]:
    """The calibrated thresholds of the given networks (those that have one)."""
    found = {}
    for network in session.execute(
        select(Network).where(Network.id.in_(sorted(network_ids)))
    ).scalars():
        threshold = calibrate(session, network).threshold
        if threshold is not None and network.id is not None:
            found[network.id] = threshold
    return found


GRADES = {"rejected": 0, "approved": 1, "introduced": 2, "deal": 3}


def grade(match: Match) -> int | None:
    """A decision as a graded judgment: rejected 0, approved 1, introduced 2, deal 3."""
    if match.status == MatchStatus.INTRODUCED.value:
        return GRADES["deal"] if match.outcome == "deal" else GRADES["introduced"]
    return GRADES.get(match.status)


def judgments(session: Session) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Every decided pair as ``judgments.jsonl`` rows and the postings they name as
    ``postings.jsonl`` rows, in the formats ``matchmaker eval`` reads."""
    decided = session.execute(
        select(Match)
        .where(Match.status.in_(POSITIVE + NEGATIVE))
        .order_by(Match.need_id, Match.offer_id)
    ).scalars()
    rows: list[dict[str, object]] = []
    postings: dict[int, Posting] = {}
    for match in decided:
        value = grade(match)
        if value is None:
            continue
        rows.append({"need": f"n{match.need_id}", "offer": f"o{match.offer_id}", "grade": value})
        postings[match.need_id] = match.need
        postings[match.offer_id] = match.offer
    docs: list[dict[str, object]] = [
        {
            "id": f"{'n' if posting.kind == 'need' else 'o'}{posting.id}",
            "kind": posting.kind,
            "title": posting.title,
            "description": posting.description,
            "category": posting.category.slug,
            "postal_code": posting.postal_code,
            "language": posting.language,
        }
        for _id, posting in sorted(postings.items())
    ]
    return docs, rows
