"""Batch rematch: every indexed posting of a kind against the other side, from stored vectors,
in blocks of sparse matrix products."""

from __future__ import annotations

import gc

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .candidates import Candidate
from .features import SparseVec
from .index import Query, Side, posting_meta
from .retrieval import Retrieval
from .types import KINDS

__all__ = ["Rematch"]


class Rematch(Retrieval):
    """``rank_all``."""

    def rank_all(
        self, kind: str = "need", k: int = 10, *, min_score: float = 0.0
    ) -> dict[int | str, list[Candidate]]:
        """Rematch: every indexed posting of ``kind`` against the other side.

        Uses the stored vectors of the indexed postings (no text analysis), so a full rematch costs
        only the scoring. Pending rows are merged into the main segment first (no refit).
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be 'need' or 'offer', not {kind!r}")
        side = self._sides[kind]
        other = self._sides["offer" if kind == "need" else "need"]
        side.build_main()
        out: dict[int | str, list[Candidate]] = {}
        if side.main is None or len(other) == 0 or k <= 0:
            return {doc_id: [] for doc_id in side.row_of}
        w, c, kk = side.main.rows_csr()
        block = max(1, min(256, 2_000_000 // max(len(other.ids), 1)))
        # many small objects, no cycles among them: pause the cyclic collector meanwhile
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._rank_blocks(side, other, w, c, kk, kind, k, min_score, block, out)
        finally:
            if gc_was_enabled:
                gc.enable()
        return out

    def _rank_blocks(
        self,
        side: Side,
        other: Side,
        w: sp.csr_matrix,
        c: sp.csr_matrix,
        kk: sp.csr_matrix,
        kind: str,
        k: int,
        min_score: float,
        block: int,
        out: dict[int | str, list[Candidate]],
    ) -> None:
        alive = side.alive.view()
        dense = side.dense if self.encoder is not None else None
        other_vecs = (
            other.dense.as_float32()
            if dense is not None and other.dense is not None and other.dense.n
            else None
        )

        def row_vec(m: sp.csr_matrix, r: int) -> SparseVec:
            lo, hi = m.indptr[r], m.indptr[r + 1]
            return SparseVec(m.indices[lo:hi].astype(np.int32), m.data[lo:hi])

        for start in range(0, len(side.ids), block):
            stop = min(start + block, len(side.ids))
            qvecs = None
            if dense is not None and other_vecs is not None:
                qvecs = dense.view()[start:stop].astype(np.float32)
            s1 = self._stage1_block(
                w[start:stop], c[start:stop], kk[start:stop], kind, other, qvecs, other_vecs
            )
            for r in range(start, stop):
                doc = side.docs[r]
                if not alive[r] or doc is None:
                    continue
                q = Query(
                    doc=doc,
                    word=row_vec(w, r),
                    char=row_vec(c, r),
                    concept=row_vec(kk, r),
                    meta=posting_meta(doc, side.owners),
                    senses=side.senses.get(r, {}),
                    fuzzy_text=side.fuzzy[r],
                    vec=None if qvecs is None else qvecs[r - start],
                    marks=side.marks.get(r),
                )
                i = r - start
                row_s1 = {name: arr[i] for name, arr in s1.items()}
                out[side.ids[r]] = self._rank_query(q, other, k, min_score, row_s1)

    def _stage1_block(
        self,
        word: sp.csr_matrix,
        char: sp.csr_matrix,
        concept: sp.csr_matrix,
        kind: str,
        other: Side,
        qvecs: NDArray[np.float32] | None = None,
        other_vecs: NDArray[np.float32] | None = None,
    ) -> dict[str, NDArray[np.float64]]:
        """Stage-1 scores of a block of indexed queries at once (sparse matrix products)."""
        if len(self.concepts) and concept.nnz:
            rel = self.concepts.rel if kind == "need" else self.concepts.rel.T
            weights = sp.diags(1.0 / np.maximum(np.asarray(concept.sum(axis=1)).ravel(), 1e-9))
            exp = np.asarray((weights @ concept) @ rel)  # block x concepts
        else:
            exp = None
        words, chars, concepts = [], [], []
        for seg in (other.main, other.delta_segment()):
            if seg is None:
                continue
            words.append((word @ seg.word.T).toarray())
            chars.append((char @ seg.char.T).toarray())
            if exp is not None:
                concepts.append(np.asarray(seg.concept @ exp.T).T / seg.concept_sum[None, :])
            else:
                concepts.append(np.zeros((word.shape[0], seg.n)))
        if not words:
            z = np.zeros((word.shape[0], 0))
            return {"word": z, "char": z, "concept": z}
        cfg = self.config
        if len(words) == 1:
            w_all, c_all, k_all = words[0], chars[0], concepts[0]
        else:
            w_all, c_all, k_all = np.hstack(words), np.hstack(chars), np.hstack(concepts)
        wk = np.where(np.diff(concept.indptr) > 0, cfg.w_concept, 0.0)[:, None]
        # in place, float32: these are block x side arrays
        text = np.multiply(w_all, cfg.w_word, dtype=np.float32)
        text += np.multiply(c_all, cfg.w_char, dtype=np.float32)
        text += (wk * k_all).astype(np.float32)
        total = cfg.w_word + cfg.w_char + wk
        sem = None
        if qvecs is not None and other_vecs is not None:
            sem = self._semantic(qvecs @ other_vecs.T)
            text += np.multiply(sem, cfg.w_semantic, dtype=np.float32)
            total = total + cfg.w_semantic
        text /= total.astype(np.float32)
        text[:, ~other.alive.view()] = -1.0
        out = {"word": w_all, "char": c_all, "text": text}
        if sem is not None:
            out["semantic"] = sem
        width = max(cfg.prefilter, cfg.candidate_pool)
        if text.shape[1] > width:
            out["top"] = np.argpartition(-text, width - 1, axis=1)[:, :width]
        return out
