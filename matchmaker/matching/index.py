"""The per-kind index: a main segment, pending rows added since, and per-row metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .features import CHAR_BITS, WORD_BITS, Analysis, SparseVec
from .geo import coordinates
from .negation import Marks
from .semantic import DenseRows
from .sparse import Column, Rows, csr_of
from .structure import UNITS, category_index, unit_scale
from .types import PostingDoc

__all__ = ["Meta", "Query", "Segment", "Side", "posting_meta"]


@dataclass(frozen=True)
class Meta:
    cat: int
    lat: float
    lon: float
    radius: float
    qty: float
    unit: int
    start: float
    end: float
    owner: int = -1  # code of the posting's owner; -1: none


def posting_meta(doc: PostingDoc, owners: dict[int | str, int]) -> Meta:
    """Structural facts of a posting; ``owners`` numbers the owners (shared by both sides)."""
    coord = coordinates(doc.postal_code)
    scale = unit_scale(doc.unit)
    qty = float(doc.quantity) * scale[1] if doc.quantity and scale else math.nan
    unit = UNITS.index(scale[0]) if scale and scale[0] in UNITS else -1
    return Meta(
        cat=category_index(doc.category),
        lat=coord[0] if coord else math.nan,
        lon=coord[1] if coord else math.nan,
        radius=float(doc.radius_km) if doc.radius_km else math.nan,
        qty=qty,
        unit=unit,
        start=float(doc.available_from.toordinal()) if doc.available_from else -math.inf,
        end=float(doc.available_until.toordinal()) if doc.available_until else math.inf,
        owner=-1 if doc.owner is None else owners.setdefault(doc.owner, len(owners)),
    )


class Segment:
    """Word and char matrices (CSC, for query-time column access) and concepts (CSR) of rows."""

    def __init__(self, word: sp.csr_matrix, char: sp.csr_matrix, concept: sp.csr_matrix) -> None:
        self.word = word.tocsc()
        self.char = char.tocsc()
        self.concept = concept.tocsr()
        self.concept_sum = np.maximum(np.asarray(self.concept.sum(axis=1)).ravel(), 1e-9)
        self.n = word.shape[0]

    def rows_csr(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        return self.word.tocsr(), self.char.tocsr(), self.concept


@dataclass
class Side:
    """All indexed postings of one kind: main segment + pending rows, per-row metadata."""

    n_concepts: int
    ids: list[int | str] = field(default_factory=list)
    docs: list[PostingDoc | None] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    senses: dict[int, dict[str, str]] = field(default_factory=dict)
    marks: dict[int, Marks] = field(default_factory=dict)  # rows naming grades or negations
    row_of: dict[int | str, int] = field(default_factory=dict)
    main: Segment | None = None
    pending_word: list[SparseVec] = field(default_factory=list)
    pending_char: list[SparseVec] = field(default_factory=list)
    pending_concept: list[SparseVec] = field(default_factory=list)
    delta: Segment | None = None
    dead: int = 0
    windows: int = 0  # rows with an availability window (lets queries skip the date check)
    owners: dict[int | str, int] = field(default_factory=dict)  # owner -> code, shared by sides
    dense: DenseRows | None = None  # sentence vectors (float16), only with an encoder

    def __post_init__(self) -> None:
        self.alive = Column(np.bool_)
        self.cat = Column(np.int16)
        self.lat = Column(np.float64)
        self.lon = Column(np.float64)
        self.radius = Column(np.float64)
        self.qty = Column(np.float64)
        self.unit = Column(np.int16)
        self.start = Column(np.float64)
        self.end = Column(np.float64)
        self.owner = Column(np.int64)

    @property
    def n_main(self) -> int:
        return self.main.n if self.main is not None else 0

    def __len__(self) -> int:
        return len(self.row_of)

    def append(
        self,
        doc: PostingDoc,
        word: SparseVec,
        char: SparseVec,
        concept: SparseVec,
        senses: dict[str, str],
        fuzzy_text: str,
        marks: Marks | None = None,
        vec: NDArray[np.floating] | None = None,
    ) -> None:
        row = len(self.ids)
        self.ids.append(doc.id)
        self.docs.append(doc)
        self.fuzzy.append(fuzzy_text)
        if senses:
            self.senses[row] = dict(senses)
        if marks is not None:
            self.marks[row] = marks
        self.row_of[doc.id] = row
        m = posting_meta(doc, self.owners)
        if not (math.isinf(m.start) and math.isinf(m.end)):
            self.windows += 1
        self.alive.append(True)
        for col, v in (
            (self.cat, m.cat),
            (self.lat, m.lat),
            (self.lon, m.lon),
            (self.radius, m.radius),
            (self.qty, m.qty),
            (self.unit, m.unit),
            (self.start, m.start),
            (self.end, m.end),
            (self.owner, m.owner),
        ):
            col.append(v)
        self.pending_word.append(word)
        self.pending_char.append(char)
        self.pending_concept.append(concept)
        if self.dense is not None:
            assert vec is not None, "an engine with an encoder indexes a vector per posting"
            self.dense.append(vec)
        self.delta = None

    def remove(self, doc_id: int | str) -> bool:
        row = self.row_of.pop(doc_id, None)
        if row is None:
            return False
        self.alive.data[row] = False
        self.docs[row] = None
        self.fuzzy[row] = ""
        self.senses.pop(row, None)
        self.marks.pop(row, None)
        self.dead += 1
        return True

    def delta_segment(self) -> Segment | None:
        if not self.pending_word:
            return None
        if self.delta is None:
            self.delta = Segment(
                csr_of(self.pending_word, 1 << WORD_BITS),
                csr_of(self.pending_char, 1 << CHAR_BITS),
                csr_of(self.pending_concept, max(self.n_concepts, 1)),
            )
        return self.delta

    def build_main(self) -> None:
        """Merge pending rows into the main segment and drop removed rows (no re-analysis)."""
        parts_w, parts_c, parts_k = [], [], []
        if self.main is not None:
            w, c, k = self.main.rows_csr()
            parts_w.append(w)
            parts_c.append(c)
            parts_k.append(k)
        if self.pending_word:
            parts_w.append(csr_of(self.pending_word, 1 << WORD_BITS))
            parts_c.append(csr_of(self.pending_char, 1 << CHAR_BITS))
            parts_k.append(csr_of(self.pending_concept, max(self.n_concepts, 1)))
        if not parts_w:
            return
        keep = np.flatnonzero(self.alive.view())
        w = sp.vstack(parts_w, format="csr")[keep]
        c = sp.vstack(parts_c, format="csr")[keep]
        k = sp.vstack(parts_k, format="csr")[keep]
        self.main = Segment(w, c, k)
        self.pending_word, self.pending_char, self.pending_concept = [], [], []
        self.delta = None
        old_senses = self.senses
        new_index = {int(old): new for new, old in enumerate(keep)}
        self.ids = [self.ids[i] for i in keep]
        self.docs = [self.docs[i] for i in keep]
        self.fuzzy = [self.fuzzy[i] for i in keep]
        self.senses = {new_index[r]: s for r, s in old_senses.items() if r in new_index}
        self.marks = {new_index[r]: m for r, m in self.marks.items() if r in new_index}
        self.row_of = {doc_id: i for i, doc_id in enumerate(self.ids)}
        if self.dense is not None:
            self.dense.keep(keep.astype(np.int64))
        for col in (
            self.alive,
            self.cat,
            self.lat,
            self.lon,
            self.radius,
            self.qty,
            self.unit,
            self.start,
            self.end,
            self.owner,
        ):
            col.replace(col.view()[keep])
        self.dead = 0

    def needs_compaction(self, ratio: float) -> bool:
        total = len(self.ids)
        return total > 0 and (self.dead + len(self.pending_word)) > max(64, ratio * total)

    def concept_rows(self, rows: NDArray[np.int64]) -> Rows:
        """Concept rows of sorted row numbers (main segment rows come first)."""
        n_main = self.n_main
        parts = []
        main_rows = rows[rows < n_main]
        delta_rows = rows[rows >= n_main] - n_main
        if len(main_rows) and self.main is not None:
            parts.append(Rows.gather(self.main.concept, main_rows))
        delta = self.delta_segment()
        if len(delta_rows) and delta is not None:
            parts.append(Rows.gather(delta.concept, delta_rows))
        if not parts:
            return Rows(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        return Rows.concat(parts)


@dataclass
class Query:
    doc: PostingDoc
    word: SparseVec
    char: SparseVec
    concept: SparseVec
    meta: Meta
    senses: dict[str, str]
    fuzzy_text: str
    analysis: Analysis | None = None  # None when built from the index (re-analysed on demand)
    marks: Marks | None = None
    vec: NDArray[np.float32] | None = None  # unit sentence vector (with an encoder)
