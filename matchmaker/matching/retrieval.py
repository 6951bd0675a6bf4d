"""Retrieval: candidate generation for one query (sparse column products over the opposite side,
prefilter on text, radius filter) and the exact score of the best candidates; ``score_pair``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .candidates import Candidate, Explaining
from .index import Query, Side
from .sparse import column_scores, reduce_rows
from .types import HIDDEN_COMPONENTS, KINDS, PUBLIC_COMPONENTS, PostingDoc

__all__ = ["Retrieval"]


class Retrieval(Explaining):
    """``rank`` and ``score_pair``."""

    def _stage1(self, q: Query, side: Side) -> dict[str, NDArray[np.float64]]:
        """Word, char and approximate concept scores against every row of a side."""
        query_is_need = q.doc.kind == "need"
        exp = self.concepts.expansion(q.concept, query_is_need=query_is_need)
        words, chars, concepts = [], [], []
        for seg in (side.main, side.delta_segment()):
            if seg is None:
                continue
            words.append(column_scores(seg.word, q.word))
            chars.append(column_scores(seg.char, q.char))
            if len(self.concepts) and len(q.concept.idx):
                concepts.append(np.asarray(seg.concept @ exp).ravel() / seg.concept_sum)
            else:
                concepts.append(np.zeros(seg.n))
        if not words:
            z = np.zeros(0)
            return {"word": z, "char": z, "concept": z}
        out = {
            "word": np.concatenate(words),
            "char": np.concatenate(chars),
            "concept": np.concatenate(concepts),
        }
        dense = side.dense
        if q.vec is not None and dense is not None and dense.n:
            if dense.n <= self.config.exact_dense_limit:
                out["semantic"] = self._semantic(dense.cosine_all(q.vec))
            else:
                out["dense_rows"] = dense.nearest(q.vec, self.config.dense_candidates)
        return out

    def _merged_semantic(
        self, q: Query, other: Side, lexical: NDArray[np.float64], s1: Mapping[str, Any]
    ) -> NDArray[np.float64]:
        """Semantic values of a large side: exact for the dense nearest rows merged with the best
        lexical rows, 0 (a lower bound) elsewhere, so a pair with no shared word is still found."""
        assert q.vec is not None and other.dense is not None
        cfg = self.config
        semantic = np.zeros(len(lexical))
        width = min(max(cfg.prefilter, cfg.candidate_pool), len(lexical))
        best = np.argpartition(-lexical, width - 1)[:width] if width else np.zeros(0, np.int64)
        rows = np.union1d(best.astype(np.int64), s1.get("dense_rows", np.zeros(0, np.int64)))
        semantic[rows] = self._semantic(other.dense.cosine(q.vec, rows))
        return semantic

    def rank(self, doc: PostingDoc, k: int = 10, *, min_score: float = 0.0) -> list[Candidate]:
        """Best postings of the opposite kind for ``doc`` (which need not be indexed)."""
        if doc.kind not in KINDS:
            raise ValueError(f"kind must be 'need' or 'offer', not {doc.kind!r}")
        other = self._sides["offer" if doc.kind == "need" else "need"]
        if len(other) == 0 or k <= 0:
            return []
        return self._rank_query(self._query(doc), other, k, min_score)

    def _rank_query(
        self,
        q: Query,
        other: Side,
        k: int,
        min_score: float,
        s1: dict[str, NDArray[np.float64]] | None = None,
    ) -> list[Candidate]:
        cfg = self.config
        if s1 is None:
            s1 = self._stage1(q, other)
        n = len(s1["word"])
        semantic = s1.get("semantic")
        if "text" in s1:
            text = s1["text"]
        else:
            # pre-score: the text parts without fuzzy (computed for the candidates only)
            wk = cfg.w_concept if len(q.concept.idx) else 0.0
            text = cfg.w_word * s1["word"] + cfg.w_char * s1["char"]
            if wk:
                text += wk * s1["concept"]
            total = cfg.w_word + cfg.w_char + wk
            if q.vec is not None and other.dense is not None:
                if semantic is None:
                    semantic = self._merged_semantic(q, other, text, s1)
                text += cfg.w_semantic * semantic
                total += cfg.w_semantic
            text /= total
            text[~other.alive.view()] = -1.0
        if q.doc.id in other.row_of:
            text[other.row_of[q.doc.id]] = -1.0
        if q.meta.owner >= 0:
            text[other.owner.view() == q.meta.owner] = -1.0  # never the poster's own postings
        pool = max(cfg.candidate_pool, k)
        # structure factors only lower scores: rank the best text matches first, widen if the
        # radius filter leaves too few of them
        width = max(cfg.prefilter, pool)
        top: NDArray[np.int64] | None = None
        if width == max(cfg.prefilter, cfg.candidate_pool) and "top" in s1:
            top = s1["top"].astype(np.int64)
        while True:
            if top is not None:
                rows = top
                top = None
            elif n > width:
                rows = np.argpartition(-text, width - 1)[:width].astype(np.int64)
            else:
                rows = np.arange(n, dtype=np.int64)
            rows = rows[text[rows] >= 0]
            st = self._structure(q, other, rows)
            pre = text[rows] * st["category"] * st["distance_f"] * st["quantity_f"]
            pre = pre * st["availability_f"]
            ok = st["too_far"] == 0
            if int(ok.sum()) >= pool or len(rows) >= int((text >= 0).sum()):
                break
            width *= 4
        keep = np.flatnonzero(ok)
        if len(keep) > pool:
            keep = keep[np.argpartition(-pre[keep], pool - 1)[:pool]]
        keep = keep[np.argsort(rows[keep])]
        rows = rows[keep]
        if not len(rows):
            return []
        st_rows = {name: arr[keep] for name, arr in st.items()}
        score, comps, sense_info = self._score_rows(
            q,
            other,
            rows,
            s1["word"][rows],
            s1["char"][rows],
            st_rows,
            k,
            None if semantic is None else semantic[rows],
        )
        extra = self._may_beat(q, other, s1, text, rows, score, k)
        if len(extra):
            # rows outside the pool whose upper bound reaches the k-th score: score them too, so
            # the top k is the same as scoring every pair
            rows = np.union1d(rows, extra)
            score, comps, sense_info = self._score_rows(
                q,
                other,
                rows,
                s1["word"][rows],
                s1["char"][rows],
                None,
                k,
                None if semantic is None else semantic[rows],
            )
        order = np.lexsort((rows, -score))[:k]
        order = order[score[order] >= min_score]
        table = np.round(np.stack([comps[c][order] for c in PUBLIC_COMPONENTS], axis=1), 6)
        hidden = np.stack([comps[c][order] for c in HIDDEN_COMPONENTS], axis=1).tolist()
        out: list[Candidate] = []
        for pos, (i, r, sc) in enumerate(
            zip(order.tolist(), rows[order].tolist(), score[order].tolist(), strict=True)
        ):
            cdoc = other.docs[r]
            assert cdoc is not None
            public = dict(zip(PUBLIC_COMPONENTS, table[pos].tolist(), strict=True))
            out.append(self._make_candidate(q, cdoc, sc, public, hidden[pos], sense_info[i]))
        return out

    def _may_beat(
        self,
        q: Query,
        other: Side,
        s1: dict[str, NDArray[np.float64]],
        text: NDArray[np.float64],
        scored: NDArray[np.int64],
        score: NDArray[np.float64],
        k: int,
    ) -> NDArray[np.int64]:
        """Unscored rows whose score could reach the k-th best score found so far."""
        n = len(text)
        if len(scored) >= int((text >= 0).sum()):
            return np.zeros(0, np.int64)
        kth = float(np.sort(score)[-k]) if len(score) >= k else -1.0
        ub = self._text_upper_bound(q, other, s1)
        ub[text < 0] = -1.0
        ub[scored] = -1.0
        cand = np.flatnonzero(ub >= kth).astype(np.int64)
        if not len(cand) or n == 0:
            return cand
        st = self._structure(q, other, cand)
        factor = st["category"] * st["distance_f"] * st["quantity_f"] * st["availability_f"]
        ok = (ub[cand] * factor >= kth) & (st["too_far"] == 0)
        return cand[ok]

    def _text_upper_bound(
        self, q: Query, side: Side, s1: dict[str, NDArray[np.float64]]
    ) -> NDArray[np.float64]:
        """Per row, a bound no exact text score exceeds: fuzzy <= 1 and a concept bound.

        Coverage takes the best relation per concept; the sum of the relations bounds it.
        """
        cfg = self.config
        has_q = len(q.concept.idx) > 0
        is_need = q.doc.kind == "need"
        rel = self.concepts.rel
        bounds, has_row = [], []
        for seg in (side.main, side.delta_segment()):
            if seg is None:
                continue
            mat = seg.concept
            has_row.append(np.diff(mat.indptr) > 0)
            if not has_q or not len(self.concepts):
                bounds.append(np.zeros(seg.n))
                continue
            exp = self.concepts.expansion(q.concept, query_is_need=is_need).astype(np.float64)
            q_side = np.minimum(1.0, reduce_rows(np.add, exp[mat.indices], mat.indptr, 0, 0.0))
            v = rel[q.concept.idx].sum(axis=0) if is_need else rel[:, q.concept.idx].sum(axis=1)
            row_side = np.asarray(mat @ np.minimum(1.0, v)).ravel() / seg.concept_sum
            need_b, offer_b = (q_side, row_side) if is_need else (row_side, q_side)
            w = cfg.need_coverage_weight
            bounds.append(np.minimum(1.0, w * need_b + (1.0 - w) * offer_b))
        if not bounds:
            return np.zeros(0)
        concept = np.concatenate(bounds)
        has_any = np.concatenate(has_row) | has_q
        wk = cfg.w_concept * has_any
        total = cfg.w_word + cfg.w_char + cfg.w_fuzzy + wk
        fuzzy = cfg.w_fuzzy if q.fuzzy_text else 0.0
        up = cfg.w_word * s1["word"] + cfg.w_char * s1["char"] + wk * concept + fuzzy
        return np.asarray(up / total + 1e-6, np.float64)

    def score_pair(self, need: PostingDoc, offer: PostingDoc) -> Candidate:
        """Full score, components and explanation for one need-offer pair (no filtering)."""
        if need.kind != "need" or offer.kind != "offer":
            raise ValueError("score_pair expects a need and an offer")
        q = self._query(need)
        o = self._query(offer)
        side = Side(len(self.concepts), owners=self._owners)
        side.append(offer, o.word, o.char, o.concept, o.senses, o.fuzzy_text, o.marks)
        rows = np.array([0], np.int64)
        word = np.array([q.word.dot(o.word)])
        char = np.array([q.char.dot(o.char)])
        semantic = None
        if q.vec is not None and o.vec is not None:
            semantic = self._semantic(np.array([float(q.vec @ o.vec)]))
        score, comps, sense_info = self._score_rows(q, side, rows, word, char, semantic=semantic)
        return self._candidate(q, offer, float(score[0]), comps, 0, sense_info[0])
