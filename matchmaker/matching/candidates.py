"""Explanation glue: a ranked pair becomes a ``Candidate`` whose explanation is built lazily."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .explain import Explanation, PairFacts, build_explanation
from .index import Query
from .scoring import Scoring
from .types import PUBLIC_COMPONENTS, PostingDoc

__all__ = ["Candidate", "Explaining"]


@dataclass(frozen=True)
class Candidate:
    """One suggested partner posting with its score, score parts and explanation."""

    id: int | str
    score: float
    components: dict[str, float]
    explanation: Explanation


class Explaining(Scoring):
    """Turns scored rows into candidates; the explanation re-analyses both texts on first use."""

    def _candidate(
        self,
        q: Query,
        other: PostingDoc,
        score: float,
        comps: dict[str, NDArray[np.float64]],
        i: int,
        senses: list[tuple[str, str, str]],
        public: dict[str, float] | None = None,
    ) -> Candidate:
        if public is None:
            public = {k: round(float(comps[k][i]), 6) for k in PUBLIC_COMPONENTS}
        hidden = (
            float(comps["_wrong_material"][i]),
            float(comps["_too_far"][i]),
            float(comps["_distance_km"][i]),
            float(comps["_quantity_known"][i]),
            float(comps["_same_owner"][i]),
            float(comps["_excluded"][i]),
            float(comps["_wrong_grade"][i]),
        )
        return self._make_candidate(q, other, score, public, hidden, senses)

    def _make_candidate(
        self,
        q: Query,
        other: PostingDoc,
        score: float,
        public: dict[str, float],
        hidden: Sequence[float],
        senses: list[tuple[str, str, str]],
    ) -> Candidate:
        def build() -> dict[str, Any]:
            wrong_material, too_far, dist, qty_known, same_owner, excluded, wrong_grade = hidden
            need, offer = (q.doc, other) if q.doc.kind == "need" else (other, q.doc)
            facts = PairFacts(
                score=score,
                components=public,
                wrong_material=wrong_material,
                wrong_sense=senses,
                too_far=bool(too_far),
                same_owner=bool(same_owner),
                excluded=bool(excluded),
                wrong_grade=bool(wrong_grade),
                distance_km=None if math.isnan(dist) else dist,
                quantity_known=bool(qty_known),
            )
            qa = q.analysis or self.analyze(q.doc)
            oa = self.analyze(other)
            na, fa = (qa, oa) if q.doc.kind == "need" else (oa, qa)
            return build_explanation(
                need=need,
                offer=offer,
                need_analysis=na,
                offer_analysis=fa,
                facts=facts,
                thesaurus=self.thesaurus,
                word_weight=self.word_idf.weight,
            )

        return Candidate(
            id=other.id, score=round(score, 6), components=public, explanation=Explanation(build)
        )
