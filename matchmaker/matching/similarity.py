"""Symmetric text similarity (sentence pairs such as STS): own weights, concepts both ways."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz

from .index import Query
from .scoring import Scoring
from .sparse import Rows
from .types import PostingDoc

__all__ = ["Similarity"]


class Similarity(Scoring):
    """``similarity``."""

    def similarity(self, text_a: str, text_b: str) -> float:
        """Symmetric text similarity in [0, 1] (word, char, concepts both ways, fuzzy)."""
        # "spielt nicht Gitarre" is still about a guitar: negation only matters for matching
        da = PostingDoc(id="a", kind="need", title=text_a)
        db = PostingDoc(id="b", kind="need", title=text_b)
        a = self._query(da, self.analyze(da, rule_out=False))
        b = self._query(db, self.analyze(db, rule_out=False))
        word = a.word.dot(b.word)
        char = a.char.dot(b.char)
        concept, has_k = self._symmetric_concepts(a, b)
        fz = fuzz.token_set_ratio(a.fuzzy_text, b.fuzzy_text) / 100.0
        semantic = None
        if a.vec is not None and b.vec is not None:
            semantic = self._semantic(np.array([float(a.vec @ b.vec)]))
        val = self._combine(
            word=np.array([word]),
            char=np.array([char]),
            concept=np.array([concept]),
            fuzzy=np.array([fz]),
            has_concepts=np.array([has_k]),
            symmetric=True,
            semantic=semantic,
        )
        return float(np.clip(val[0], 0.0, 1.0))

    def _symmetric_concepts(self, a: Query, b: Query) -> tuple[float, float]:
        if not len(a.concept.idx) and not len(b.concept.idx):
            return 0.0, 0.0
        if not len(a.concept.idx) or not len(b.concept.idx):
            return 0.0, 1.0
        cb, ca = Rows.of(b.concept), Rows.of(a.concept)
        s1, _, _ = self._concept_exact(a, cb)
        s2, _, _ = self._concept_exact(b, ca)
        return float((s1[0] + s2[0]) / 2.0), 1.0
