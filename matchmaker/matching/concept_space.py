"""The concept space: concept index and IDF, need->offer relation values and exclusive conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .features import SparseVec
from .thesaurus import Thesaurus

__all__ = ["ConceptSpace"]


class ConceptSpace:
    """Concept index, IDF, and the need->offer relation and conflict matrices."""

    def __init__(self, thesaurus: Thesaurus | None) -> None:
        self.thesaurus = thesaurus
        ids = sorted(thesaurus.concepts) if thesaurus is not None else []
        self.ids = ids
        self.index = {cid: i for i, cid in enumerate(ids)}
        n = len(ids)
        self.idf = np.ones(n, np.float32)
        # rel[need_concept, offer_concept]: how well the offer concept serves the need concept
        self.rel = np.zeros((n, n), np.float32)
        self.conflict = np.zeros((n, n), np.bool_)
        self.conflicting = np.zeros(n, np.bool_)  # concepts that conflict with some other concept
        if thesaurus is None:
            return
        np.fill_diagonal(self.rel, 1.0)
        for cid, i in self.index.items():
            for anc, d in thesaurus.ancestors(cid).items():
                j = self.index[anc]
                # need names the broader concept, the offer a narrower one: a good partial fit
                self.rel[j, i] = max(self.rel[j, i], 0.8 if d == 1 else 0.65)
                # need is specific, the offer only general: a weaker partial fit
                self.rel[i, j] = max(self.rel[i, j], {1: 0.5, 2: 0.35}.get(d, 0.2))
            for r in thesaurus.concepts[cid].related:
                j = self.index[r]
                self.rel[i, j] = max(self.rel[i, j], 0.3)
                self.rel[j, i] = max(self.rel[j, i], 0.3)
        # exclusive conflicts: different members (or their descendants) of an exclusive group
        sigs = {cid: thesaurus.exclusive_signature(cid) for cid in ids}
        by_group: dict[str, dict[str, list[int]]] = {}
        for cid, sig in sigs.items():
            for g, member in sig.items():
                by_group.setdefault(g, {}).setdefault(member, []).append(self.index[cid])
        for members in by_group.values():
            groups = list(members.values())
            for a_i, a in enumerate(groups):
                for b in groups[a_i + 1 :]:
                    for i in a:
                        for j in b:
                            if thesaurus.conflict(ids[i], ids[j]) is not None:
                                self.conflict[i, j] = True
                                self.conflict[j, i] = True
        self.conflicting = np.asarray(self.conflict.any(axis=1), np.bool_)

    def __len__(self) -> int:
        return len(self.ids)

    def fit_idf(self, df_by_concept: Mapping[str, int], n_docs: int) -> None:
        df = np.zeros(len(self.ids), np.float64)
        for cid, n in df_by_concept.items():
            df[self.index[cid]] = n
        if len(self.ids):
            self.idf = (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0).astype(np.float32)

    def vector(self, hits: Mapping[str, Any]) -> SparseVec:
        """Concept weights of a posting: hit weight x concept IDF (not normalised)."""
        if not hits:
            return SparseVec.empty()
        pairs = sorted(
            (self.index[c], h if isinstance(h, float) else h.weight) for c, h in hits.items()
        )
        idx = np.array([p[0] for p in pairs], np.int32)
        val = np.array([p[1] for p in pairs], np.float32) * self.idf[idx]
        return SparseVec(idx, val.astype(np.float32))

    def expansion(self, q: SparseVec, *, query_is_need: bool) -> NDArray[np.float32]:
        """Dense vector over concepts: best relation of each concept to the query's concepts."""
        if not len(q.idx):
            return np.zeros(len(self.ids), np.float32)
        rel = self.rel[q.idx] if query_is_need else self.rel[:, q.idx].T
        w = q.val / max(float(q.val.sum()), 1e-9)
        return np.asarray((rel * w[:, None]).sum(axis=0), np.float32)
