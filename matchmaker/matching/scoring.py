"""The exact score of candidate rows: concept coverage, exclusive-group conflicts, wrong word
sense, the fuzzy ratio, the weighted text mean and the structural factors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from .factors import structure_factors
from .fitting import FittedModel
from .grades import conflicting_grades
from .index import Query, Side
from .negation import word_keys
from .sparse import Rows, reduce_rows

__all__ = ["Scoring"]


class Scoring(FittedModel):
    """Second-stage scoring of a query against chosen rows of the opposite side."""

    def _structure(
        self, q: Query, side: Side, rows: NDArray[np.int64] | slice
    ) -> dict[str, NDArray[np.float64]]:
        return structure_factors(self.config, self._cat_table, q, side, rows)

    def _concept_exact(
        self, q: Query, cand: Rows
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Exact concept score and wrong-material severity of the query against candidate rows.

        Returns (concept score, conflict severity, mask of rows where either side has concepts).
        """
        m = cand.n
        cfg = self.config
        has_q = len(q.concept.idx) > 0
        rowsum = cand.row_sums() if m else np.zeros(0)
        has_any = np.where((rowsum > 0) | has_q, 1.0, 0.0)
        if not has_q or m == 0 or cand.nnz == 0:
            return np.zeros(m), np.zeros(m), has_any
        qi, qw = q.concept.idx, q.concept.val.astype(np.float64)
        indptr = cand.indptr.astype(np.int64)
        ci, cw = cand.indices, cand.data.astype(np.float64)
        can_conflict = bool(self.concepts.conflicting[qi].any())
        if q.doc.kind == "need":
            rel = self.concepts.rel[qi][:, ci].astype(np.float64)  # |q| x nnz
            best_need = reduce_rows(np.maximum, rel, indptr, axis=1, empty=0.0)  # |q| x m
            need_cov = (qw[:, None] * best_need).sum(axis=0) / qw.sum()
            best_offer = rel.max(axis=0)  # per candidate entry
            offer_cov = reduce_rows(np.add, best_offer * cw, indptr, 0, 0.0) / np.maximum(
                rowsum, 1e-9
            )
            if can_conflict:
                conf = self.concepts.conflict[qi][:, ci].astype(np.float64)
                confl = reduce_rows(np.maximum, conf, indptr, axis=1, empty=0.0)
                confl = confl * (best_need < 0.5)
                # as strong as the most important need concept the offer contradicts
                severity = (qw[:, None] / qw.max() * confl).max(axis=0)
            else:
                severity = np.zeros(m)
        else:
            rel = self.concepts.rel[ci][:, qi].astype(np.float64)  # nnz x |q|
            conf_b = self.concepts.conflict[ci][:, qi]
            best_need_entry = rel.max(axis=1)
            need_cov = reduce_rows(np.add, best_need_entry * cw, indptr, 0, 0.0) / np.maximum(
                rowsum, 1e-9
            )
            best_offer = reduce_rows(np.maximum, rel, indptr, axis=0, empty=0.0)  # m x |q|
            offer_cov = (best_offer * qw[None, :]).sum(axis=1) / qw.sum()
            confl_entry = conf_b.any(axis=1) & (best_need_entry < 0.5)
            rowmax = reduce_rows(np.maximum, cw, indptr, 0, 0.0)
            severity = reduce_rows(np.maximum, confl_entry * cw, indptr, 0, 0.0) / np.maximum(
                rowmax, 1e-9
            )
        w = cfg.need_coverage_weight
        score = w * need_cov + (1.0 - w) * offer_cov
        return np.clip(score, 0.0, 1.0), np.clip(severity, 0.0, 1.0), has_any

    def _wrong_sense(
        self, q: Query, senses: Sequence[dict[str, str] | None]
    ) -> tuple[NDArray[np.float64], list[list[tuple[str, str, str]]]]:
        """Rows where a shared ambiguous word is used in another sense, and which words."""
        qs = q.senses
        flags = np.zeros(len(senses))
        which: list[list[tuple[str, str, str]]] = [[] for _ in senses]
        if not qs:
            return flags, which
        for i, s in enumerate(senses):
            if not s:
                continue
            for key, cq in qs.items():
                co = s.get(key)
                if co is None or co == cq:
                    continue
                a, b = self.concepts.index[cq], self.concepts.index[co]
                if self.concepts.rel[a, b] >= 0.3 or self.concepts.rel[b, a] >= 0.3:
                    continue
                flags[i] = 1.0
                which[i].append((key, cq, co))
        return flags, which

    def _combine(
        self,
        *,
        word: NDArray[np.float64],
        char: NDArray[np.float64],
        concept: NDArray[np.float64],
        fuzzy: NDArray[np.float64],
        has_concepts: NDArray[np.float64],
        symmetric: bool = False,
        semantic: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        cfg = self.config
        if symmetric:
            ww, wc, wk, wf = cfg.s_word, cfg.s_char, cfg.s_concept, cfg.s_fuzzy
            ws = cfg.s_semantic
        else:
            ww, wc, wk, wf = cfg.w_word, cfg.w_char, cfg.w_concept, cfg.w_fuzzy
            ws = cfg.w_semantic
        wk_eff = wk * has_concepts
        total = ww + wc + wf + wk_eff
        value = ww * word + wc * char + wk_eff * concept + wf * fuzzy
        if semantic is not None:
            total = total + ws
            value = value + ws * semantic
        return value / total

    def _semantic(self, cosine: NDArray[np.floating]) -> NDArray[np.float64]:
        """Cosine rescaled so that unrelated texts (cosine <= semantic_floor) count 0."""
        floor = self.config.semantic_floor
        return np.clip((np.asarray(cosine, np.float64) - floor) / (1.0 - floor), 0.0, 1.0)

    def _marked(
        self, q: Query, side: Side, rows: list[int], cand: Rows
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per row: 1 where the two name different grades of one system (a different material),
        and 1 where one rules out what the other names."""
        other_grade, excluded = np.zeros(len(rows)), np.zeros(len(rows))
        qm = q.marks
        q_words: frozenset[str] | None = None
        for i, r in enumerate(rows):
            cm = side.marks.get(r)
            if qm is None and cm is None:
                continue
            if qm is not None and cm is not None and conflicting_grades(qm.grades, cm.grades):
                other_grade[i] = 1.0
            if qm is not None and (qm.negated_words or qm.negated_concepts or qm.negated_grades):
                lo, hi = int(cand.indptr[i]), int(cand.indptr[i + 1])
                words = word_keys(side.fuzzy[r].split())
                grades = cm.grades if cm is not None else frozenset()
                if qm.rules_out(words, cand.indices[lo:hi].tolist(), grades):
                    excluded[i] = 1.0
            if cm is not None and (cm.negated_words or cm.negated_concepts or cm.negated_grades):
                if q_words is None:
                    q_words = word_keys(q.fuzzy_text.split())
                grades = qm.grades if qm is not None else frozenset()
                if cm.rules_out(q_words, q.concept.idx.tolist(), grades):
                    excluded[i] = 1.0
        return other_grade, excluded

    def _score_rows(
        self,
        q: Query,
        side: Side,
        rows: NDArray[np.int64],
        word: NDArray[np.float64],
        char: NDArray[np.float64],
        st: dict[str, NDArray[np.float64]] | None = None,
        k: int | None = None,
        semantic: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]], list[Any]]:
        """Exact scores of candidate rows (second stage).

        With ``k``, the fuzzy ratio is computed only for rows that can still reach the top k (it can
        add at most its weight); the others keep fuzzy = 0 and are not returned anyway.
        """
        cfg = self.config
        cand = side.concept_rows(rows)
        concept, severity, has_k = self._concept_exact(q, cand)
        row_list = rows.tolist()
        if q.senses and side.senses:
            sense_flags, sense_info = self._wrong_sense(q, [side.senses.get(r) for r in row_list])
        else:
            sense_flags, sense_info = np.zeros(len(row_list)), [[] for _ in row_list]
        if st is None:
            st = self._structure(q, side, rows)
        excluded = other_grade = np.zeros(len(row_list))
        if q.marks is not None or side.marks:
            other_grade, excluded = self._marked(q, side, row_list, cand)
        if semantic is not None:
            # dense similarity likes the wrong alternative ("Aluminium" for "Edelstahl", 1.4301 for
            # 1.4404, what the need rules out): there meaning similarity counts for nothing
            clash = np.maximum(severity, ((excluded > 0) | (other_grade > 0)).astype(np.float64))
            semantic = semantic * (1.0 - cfg.semantic_conflict * clash)
        pen_f = (1.0 - cfg.wrong_material * severity) * np.where(
            sense_flags > 0, cfg.wrong_sense, 1.0
        )
        pen_f = pen_f * np.where(excluded > 0, cfg.excluded, 1.0)
        pen_f = pen_f * np.where(other_grade > 0, cfg.wrong_grade, 1.0)
        # a company never needs its own offer: such a pair scores 0 (rank filters it out)
        pen_f = pen_f * (1.0 - st["same_owner"])
        factor = st["category"] * st["distance_f"] * st["quantity_f"] * st["availability_f"] * pen_f
        fz = np.zeros(len(rows))
        if cfg.w_fuzzy > 0 and q.fuzzy_text and row_list:
            todo = np.arange(len(rows))
            if k is not None and len(rows) > k:
                base = self._combine(
                    word=word,
                    char=char,
                    concept=concept,
                    fuzzy=fz,
                    has_concepts=has_k,
                    semantic=semantic,
                )
                total = cfg.w_word + cfg.w_char + cfg.w_fuzzy + cfg.w_concept * has_k
                if semantic is not None:
                    total = total + cfg.w_semantic
                lower = base * factor
                upper = lower + cfg.w_fuzzy / total * factor
                kth = np.partition(lower, len(lower) - k)[len(lower) - k]
                todo = np.flatnonzero(upper >= kth)
            texts = [side.fuzzy[row_list[i]] for i in todo.tolist()]
            fz[todo] = process.cdist([q.fuzzy_text], texts, scorer=fuzz.token_set_ratio)[0] / 100.0
        text = self._combine(
            word=word, char=char, concept=concept, fuzzy=fz, has_concepts=has_k, semantic=semantic
        )
        score = text * factor
        comps = {
            "text_word": word,
            "text_char": char,
            "concept": concept,
            "fuzzy": fz,
            "semantic": np.zeros(len(rows)) if semantic is None else semantic,
            "text": text,
            "category": st["category"],
            "distance": st["distance"],
            "quantity": st["quantity"],
            "availability": st["availability"],
            "penalty": 1.0 - pen_f,
            "_wrong_material": severity,
            "_wrong_sense": sense_flags,
            "_too_far": st["too_far"],
            "_same_owner": st["same_owner"],
            "_excluded": excluded,
            "_wrong_grade": other_grade,
            "_distance_km": st["distance_km"],
            "_quantity_known": st["quantity_known"],
        }
        return np.clip(score, 0.0, 1.0), comps, sense_info
