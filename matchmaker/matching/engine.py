"""The matching engine: an incremental index of postings and the need-offer score.

Score of a need-offer pair (all parts in [0, 1]; see README for the weights)::

    text  = weighted mean of text_word, text_char, concept, fuzzy
            (concept left out when neither posting names a thesaurus concept)
    score = text * category * distance * quantity * availability * (1 - penalty)

Ranking is two-stage: sparse products of the query with the opposite side's matrices give word,
character and concept scores for every indexed posting at once, the structural factors are applied
vectorised, and the best ``candidate_pool`` postings are scored exactly (concept coverage, exclusive
group conflicts, wrong word sense, fuzzy ratio). Pairs beyond the radius are filtered out.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from .concepts import ConceptTagger
from .encoder import CachedEncoder, Encoder, normalise
from .explain import Explanation, PairFacts, build_explanation
from .features import CHAR_BITS, WORD_BITS, Analysis, Featurizer, HashedIdf, SparseVec
from .geo import coordinates
from .semantic import DenseRows
from .structure import UNITS, category_factor_table, category_index, unit_scale
from .text import CompoundSplitter, TextAnalyzer
from .thesaurus import Thesaurus

__all__ = ["ENGINE_VERSION", "Candidate", "Engine", "EngineConfig", "PostingDoc"]

ENGINE_VERSION = "1.0.0"

_KM_PER_DEG = math.pi * 6371.0 / 180.0

KINDS = ("need", "offer")
PUBLIC_COMPONENTS = (
    "text_word",
    "text_char",
    "concept",
    "fuzzy",
    "semantic",
    "text",
    "category",
    "distance",
    "quantity",
    "availability",
    "penalty",
)
HIDDEN_COMPONENTS = ("_wrong_material", "_too_far", "_distance_km", "_quantity_known")


@dataclass(frozen=True)
class PostingDoc:
    """What the engine knows of a posting."""

    id: int | str
    kind: str
    title: str
    description: str = ""
    category: str | None = None
    postal_code: str | None = None
    radius_km: float | None = None
    quantity: float | None = None
    unit: str | None = None
    available_from: date | None = None
    available_until: date | None = None
    language: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One suggested partner posting with its score, score parts and explanation."""

    id: int | str
    score: float
    components: dict[str, float]
    explanation: Explanation


@dataclass(frozen=True)
class EngineConfig:
    """Weights and limits of the score; tuned on the development needs and STS-de train."""

    w_word: float = 0.30
    w_char: float = 0.20
    w_concept: float = 0.30
    w_fuzzy: float = 0.10
    # similarity() (symmetric text similarity, e.g. STS): own weights
    s_word: float = 0.40
    s_char: float = 0.40
    s_concept: float = 0.10
    s_fuzzy: float = 0.10
    # semantic component (sentence encoder; only with an encoder): its weight in the text mean,
    # and the cosine below which it counts 0 (rescaled linearly to [0, 1] above)
    w_semantic: float = 0.50
    s_semantic: float = 0.60
    semantic_floor: float = 0.0
    dense_candidates: int = 200  # dense nearest rows merged with the lexical candidates
    exact_dense_limit: int = 2048  # sides up to this size get the exact cosine for every row
    title_weight: float = 2.0
    part_weight: float = 0.5
    number_weight: float = 0.3
    word_max_df: float = 0.25
    char_max_df: float = 0.2
    char_ngram_min: int = 4
    char_ngram_max: int = 4
    # concept score = need_coverage * w + offer_coverage * (1 - w)
    need_coverage_weight: float = 0.75
    category_mismatch: float = 0.6
    distance_scale_km: float = 300.0
    distance_weight: float = 0.1
    quantity_weight: float = 0.4
    window_mismatch: float = 0.6
    too_far: float = 0.3
    wrong_material: float = 0.3
    wrong_sense: float = 0.5
    candidate_pool: int = 40
    prefilter: int = 300
    compact_ratio: float = 0.25
    min_corpus_word_df: int = 2
    typo_min_df: int = 3


@dataclass(frozen=True)
class _Meta:
    cat: int
    lat: float
    lon: float
    radius: float
    qty: float
    unit: int
    start: float
    end: float


def _meta(doc: PostingDoc) -> _Meta:
    coord = coordinates(doc.postal_code)
    scale = unit_scale(doc.unit)
    qty = float(doc.quantity) * scale[1] if doc.quantity and scale else math.nan
    unit = UNITS.index(scale[0]) if scale and scale[0] in UNITS else -1
    return _Meta(
        cat=category_index(doc.category),
        lat=coord[0] if coord else math.nan,
        lon=coord[1] if coord else math.nan,
        radius=float(doc.radius_km) if doc.radius_km else math.nan,
        qty=qty,
        unit=unit,
        start=float(doc.available_from.toordinal()) if doc.available_from else -math.inf,
        end=float(doc.available_until.toordinal()) if doc.available_until else math.inf,
    )


class _Column:
    """A growable numpy column (amortised O(1) append)."""

    def __init__(self, dtype: Any) -> None:
        self.data = np.zeros(64, dtype)
        self.n = 0

    def append(self, value: Any) -> None:
        if self.n == len(self.data):
            self.data = np.concatenate([self.data, np.zeros_like(self.data)])
        self.data[self.n] = value
        self.n += 1

    def view(self) -> NDArray[Any]:
        return self.data[: self.n]

    def replace(self, values: NDArray[Any]) -> None:
        self.data = np.array(values, dtype=self.data.dtype, copy=True)
        if len(self.data) == 0:
            self.data = np.zeros(64, self.data.dtype)
        self.n = len(values)


def _csr(rows: Sequence[SparseVec], ncols: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, np.int64)
    if rows:
        indptr[1:] = np.cumsum([len(r.idx) for r in rows])
        idx = np.concatenate([r.idx for r in rows]) if indptr[-1] else np.zeros(0, np.int32)
        val = np.concatenate([r.val for r in rows]) if indptr[-1] else np.zeros(0, np.float32)
    else:
        idx, val = np.zeros(0, np.int32), np.zeros(0, np.float32)
    return sp.csr_matrix((val, idx, indptr), shape=(len(rows), ncols))


@dataclass(frozen=True)
class _Rows:
    """Bare CSR arrays of a few rows (cheaper to build than a scipy matrix per query)."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    data: NDArray[np.float32]

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def row_sums(self) -> NDArray[np.float64]:
        return _reduce_rows(np.add, self.data.astype(np.float64), self.indptr, 0, 0.0)

    @staticmethod
    def of(vec: SparseVec) -> _Rows:
        return _Rows(np.array([0, len(vec.idx)], np.int64), vec.idx, vec.val)

    @staticmethod
    def gather(mat: sp.csr_matrix, rows: NDArray[np.int64]) -> _Rows:
        starts = mat.indptr[rows].astype(np.int64)
        lens = mat.indptr[rows + 1].astype(np.int64) - starts
        indptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lens, out=indptr[1:])
        total = int(indptr[-1])
        offsets = np.repeat(starts - indptr[:-1], lens) + np.arange(total)
        return _Rows(indptr, mat.indices[offsets], mat.data[offsets])

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        if len(parts) == 1:
            return parts[0]
        indptr = [np.zeros(1, np.int64)]
        base = 0
        for p in parts:
            indptr.append(p.indptr[1:] + base)
            base += p.nnz
        return _Rows(
            np.concatenate(indptr),
            np.concatenate([p.indices for p in parts]),
            np.concatenate([p.data for p in parts]),
        )


class _Segment:
    """Word and char matrices (CSC, for query-time column access) and concepts (CSR) of rows."""

    def __init__(self, word: sp.csr_matrix, char: sp.csr_matrix, concept: sp.csr_matrix) -> None:
        self.word = word.tocsc()
        self.char = char.tocsc()
        self.concept = concept.tocsr()
        self.concept_sum = np.maximum(np.asarray(self.concept.sum(axis=1)).ravel(), 1e-9)
        self.n = word.shape[0]

    def rows_csr(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        return self.word.tocsr(), self.char.tocsr(), self.concept


def _col_scores(mat: sp.csc_matrix, q: SparseVec) -> NDArray[np.float64]:
    """mat @ q for a sparse q, touching only q's columns of the CSC matrix."""
    n = mat.shape[0]
    if not len(q.idx) or n == 0:
        return np.zeros(n)
    starts = mat.indptr[q.idx].astype(np.int64)
    lens = mat.indptr[q.idx + 1].astype(np.int64) - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(n)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
    weights = mat.data[offsets].astype(np.float64) * np.repeat(q.val.astype(np.float64), lens)
    return np.bincount(mat.indices[offsets], weights=weights, minlength=n).astype(np.float64)


@dataclass
class _Side:
    """All indexed postings of one kind: main segment + pending rows, per-row metadata."""

    n_concepts: int
    ids: list[int | str] = field(default_factory=list)
    docs: list[PostingDoc | None] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    senses: dict[int, dict[str, str]] = field(default_factory=dict)
    row_of: dict[int | str, int] = field(default_factory=dict)
    main: _Segment | None = None
    pending_word: list[SparseVec] = field(default_factory=list)
    pending_char: list[SparseVec] = field(default_factory=list)
    pending_concept: list[SparseVec] = field(default_factory=list)
    delta: _Segment | None = None
    dead: int = 0
    windows: int = 0  # rows with an availability window (lets queries skip the date check)
    dense: DenseRows | None = None  # sentence vectors (float16), only with an encoder

    def __post_init__(self) -> None:
        self.alive = _Column(np.bool_)
        self.cat = _Column(np.int16)
        self.lat = _Column(np.float64)
        self.lon = _Column(np.float64)
        self.radius = _Column(np.float64)
        self.qty = _Column(np.float64)
        self.unit = _Column(np.int16)
        self.start = _Column(np.float64)
        self.end = _Column(np.float64)

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
        vec: NDArray[np.floating] | None = None,
    ) -> None:
        row = len(self.ids)
        self.ids.append(doc.id)
        self.docs.append(doc)
        self.fuzzy.append(fuzzy_text)
        if senses:
            self.senses[row] = dict(senses)
        self.row_of[doc.id] = row
        m = _meta(doc)
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
        self.dead += 1
        return True

    def delta_segment(self) -> _Segment | None:
        if not self.pending_word:
            return None
        if self.delta is None:
            self.delta = _Segment(
                _csr(self.pending_word, 1 << WORD_BITS),
                _csr(self.pending_char, 1 << CHAR_BITS),
                _csr(self.pending_concept, max(self.n_concepts, 1)),
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
            parts_w.append(_csr(self.pending_word, 1 << WORD_BITS))
            parts_c.append(_csr(self.pending_char, 1 << CHAR_BITS))
            parts_k.append(_csr(self.pending_concept, max(self.n_concepts, 1)))
        if not parts_w:
            return
        keep = np.flatnonzero(self.alive.view())
        w = sp.vstack(parts_w, format="csr")[keep]
        c = sp.vstack(parts_c, format="csr")[keep]
        k = sp.vstack(parts_k, format="csr")[keep]
        self.main = _Segment(w, c, k)
        self.pending_word, self.pending_char, self.pending_concept = [], [], []
        self.delta = None
        old_senses = self.senses
        new_index = {int(old): new for new, old in enumerate(keep)}
        self.ids = [self.ids[i] for i in keep]
        self.docs = [self.docs[i] for i in keep]
        self.fuzzy = [self.fuzzy[i] for i in keep]
        self.senses = {new_index[r]: s for r, s in old_senses.items() if r in new_index}
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
        ):
            col.replace(col.view()[keep])
        self.dead = 0

    def needs_compaction(self, ratio: float) -> bool:
        total = len(self.ids)
        return total > 0 and (self.dead + len(self.pending_word)) > max(64, ratio * total)

    def concept_rows(self, rows: NDArray[np.int64]) -> _Rows:
        """Concept rows of sorted row numbers (main segment rows come first)."""
        n_main = self.n_main
        parts = []
        main_rows = rows[rows < n_main]
        delta_rows = rows[rows >= n_main] - n_main
        if len(main_rows) and self.main is not None:
            parts.append(_Rows.gather(self.main.concept, main_rows))
        delta = self.delta_segment()
        if len(delta_rows) and delta is not None:
            parts.append(_Rows.gather(delta.concept, delta_rows))
        if not parts:
            return _Rows(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
        return _Rows.concat(parts)


class _ConceptSpace:
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


def _reduce_rows(
    ufunc: np.ufunc, values: NDArray[Any], indptr: NDArray[np.int64], axis: int, empty: float
) -> NDArray[np.float64]:
    """ufunc.reduceat over CSR row segments, with ``empty`` for rows without entries."""
    n_rows = len(indptr) - 1
    shape = list(values.shape)
    shape[axis] = n_rows
    out = np.full(shape, empty, np.float64)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(nonempty):
        red = ufunc.reduceat(values, indptr[nonempty], axis=axis)
        if axis == 0:
            out[nonempty] = red
        else:
            out[:, nonempty] = red
    return out


@dataclass
class _Query:
    doc: PostingDoc
    word: SparseVec
    char: SparseVec
    concept: SparseVec
    meta: _Meta
    senses: dict[str, str]
    fuzzy_text: str
    analysis: Analysis | None = None  # None when built from the index (re-analysed on demand)
    vec: NDArray[np.float32] | None = None  # unit sentence vector (with an encoder)


class Engine:
    """Need-offer matching over an incremental index (see module docstring and README)."""

    def __init__(
        self,
        *,
        thesaurus: Thesaurus | None = None,
        config: EngineConfig | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        # the cache makes every text encoded once per process, however often it is fitted
        self.encoder: CachedEncoder | None = (
            None
            if encoder is None
            else encoder
            if isinstance(encoder, CachedEncoder)
            else CachedEncoder(encoder)
        )
        self.thesaurus = thesaurus
        self.tagger = ConceptTagger(thesaurus) if thesaurus is not None else None
        self.concepts = _ConceptSpace(thesaurus)
        self._cat_table = category_factor_table(mismatch=self.config.category_mismatch)
        self._fit_calls = 0
        self._reset_text_model([])
        self._sides = self._new_sides()

    def _new_sides(self) -> dict[str, _Side]:
        dim = self.encoder.dim if self.encoder is not None else 0
        return {k: _Side(len(self.concepts), dense=DenseRows(dim) if dim else None) for k in KINDS}

    @property
    def version(self) -> str:
        """What to store with a match: the scoring version and, if any, the encoder's name."""
        if self.encoder is None:
            return ENGINE_VERSION
        return f"{ENGINE_VERSION}+{self.encoder.name}"

    @staticmethod
    def encoder_text(doc: PostingDoc) -> str:
        """The text a posting is encoded from: title, then description."""
        return f"{doc.title}. {doc.description}" if doc.description else doc.title

    def _encode(self, docs: Sequence[PostingDoc]) -> NDArray[np.float16] | None:
        if self.encoder is None:
            return None
        return self.encoder.encode16([self.encoder_text(d) for d in docs])

    # -- text model ---------------------------------------------------------------------------
    def _reset_text_model(self, corpus_words: Iterable[str]) -> None:
        cfg = self.config
        splitter = CompoundSplitter()
        if self.tagger is not None:
            splitter.add_words(self.tagger.vocabulary)
        splitter.add_words(corpus_words)
        self.analyzer = TextAnalyzer(splitter=splitter)
        self.featurizer = Featurizer(
            self.analyzer,
            self.tagger,
            title_weight=cfg.title_weight,
            part_weight=cfg.part_weight,
            number_weight=cfg.number_weight,
            char_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        )
        self.word_idf = HashedIdf(WORD_BITS)
        self.char_idf = HashedIdf(CHAR_BITS)

    def analyze(self, doc: PostingDoc) -> Analysis:
        """Tokens, features and concepts of a posting (with the current fitted vocabulary)."""
        return self.featurizer.analyze(
            doc.title, doc.description or "", language=doc.language, category=doc.category
        )

    def _query(
        self,
        doc: PostingDoc,
        analysis: Analysis | None = None,
        vec: NDArray[np.floating] | None = None,
    ) -> _Query:
        a = analysis or self.analyze(doc)
        if vec is None:
            enc = self._encode([doc])
            vec = None if enc is None else enc[0]
        return _Query(
            doc=doc,
            word=self.word_idf.vector(a.word_tf),
            char=self.char_idf.vector_arrays(a.char_cols, a.char_tf),
            concept=self.concepts.vector(a.tagging.hits),
            meta=_meta(doc),
            senses=a.tagging.senses,
            fuzzy_text=a.fuzzy_text,
            analysis=a,
            vec=None if vec is None else normalise(np.asarray(vec, np.float32))[0],
        )

    # -- index maintenance ----------------------------------------------------------------------
    def fit(self, docs: Iterable[PostingDoc]) -> None:
        """Full refit: compound dictionary, typo vocabulary, IDF; then index all docs."""
        from .text import raw_tokens

        self._fit_calls += 1
        docs = [d for d in docs if d.kind in KINDS]
        df: Counter[str] = Counter()
        for d in docs:
            words: set[str] = set()
            for t in raw_tokens(f"{d.title} {d.description or ''}"):
                words.add(t.norm)
                words.update(t.parts)
            df.update(w for w in words if w.isalpha())
        cfg = self.config
        self._reset_text_model(w for w, n in df.items() if n >= cfg.min_corpus_word_df)
        typo_vocab: dict[str, int] = {w: n for w, n in df.items() if n >= cfg.typo_min_df}
        if self.tagger is not None:
            for w in self.tagger.vocabulary:
                typo_vocab.setdefault(w, 1)
        self.analyzer.typo_vocab = typo_vocab
        # pass 1: analyse, keep only what the index needs (not the token lists)
        lite = []
        word_df = np.zeros(1 << WORD_BITS, np.int64)
        char_df = np.zeros(1 << CHAR_BITS, np.int64)
        concept_df: Counter[str] = Counter()
        for d in docs:
            a = self.analyze(d)
            wcols = np.fromiter(a.word_tf.keys(), np.int32, len(a.word_tf))
            wtf = np.fromiter(a.word_tf.values(), np.float32, len(a.word_tf))
            word_df[wcols] += 1
            char_df[a.char_cols] += 1
            hits = {c: h.weight for c, h in a.tagging.hits.items()}
            concept_df.update(hits.keys())
            lite.append((wcols, wtf, a.char_cols, a.char_tf, hits, a.tagging.senses, a.fuzzy_text))
        self.word_idf.fit_df(word_df, len(docs), max_df=cfg.word_max_df)
        self.char_idf.fit_df(char_df, len(docs), max_df=cfg.char_max_df)
        self.concepts.fit_idf(concept_df, len(docs))
        del word_df, char_df
        # sentence vectors in one batch (texts seen before come from the cache)
        vecs = self._encode(docs)
        # pass 2: weighted, normalised rows into the per-kind index
        self._sides = self._new_sides()
        for i, (d, (wcols, wtf, ccols, ctf, hits, senses, fz)) in enumerate(
            zip(docs, lite, strict=True)
        ):
            self._sides[d.kind].append(
                d,
                self.word_idf.vector_arrays(wcols, wtf),
                self.char_idf.vector_arrays(ccols, ctf),
                self.concepts.vector(hits),
                senses,
                fz,
                None if vecs is None else vecs[i],
            )
        del lite
        for side in self._sides.values():
            side.build_main()

    def _append(self, doc: PostingDoc, analysis: Analysis | None = None) -> None:
        if doc.kind not in KINDS:
            raise ValueError(
                f"posting {doc.id!r}: kind must be 'need' or 'offer', not {doc.kind!r}"
            )
        q = self._query(doc, analysis)
        side = self._sides[doc.kind]
        for other in self._sides.values():
            other.remove(doc.id)
        side.append(doc, q.word, q.char, q.concept, q.senses, q.fuzzy_text, q.vec)

    def add(self, doc: PostingDoc) -> None:
        """Index one posting with the fixed IDF (no refit, no rescan); replaces a same-id
        posting."""
        self._append(doc)
        self._maybe_compact()

    def update(self, doc: PostingDoc) -> None:
        """Re-index a changed posting (incremental)."""
        self._append(doc)
        self._maybe_compact()

    def remove(self, doc_id: int | str) -> None:
        """Drop a posting from the index (its row is marked dead, compacted later)."""
        for side in self._sides.values():
            side.remove(doc_id)
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        for side in self._sides.values():
            if side.needs_compaction(self.config.compact_ratio):
                side.build_main()

    def __len__(self) -> int:
        return sum(len(s) for s in self._sides.values())

    def __contains__(self, doc_id: object) -> bool:
        return any(doc_id in s.row_of for s in self._sides.values())

    # -- scoring ---------------------------------------------------------------------------------
    def _stage1(self, q: _Query, side: _Side) -> dict[str, NDArray[np.float64]]:
        """Word, char and approximate concept scores against every row of a side."""
        query_is_need = q.doc.kind == "need"
        exp = self.concepts.expansion(q.concept, query_is_need=query_is_need)
        words, chars, concepts = [], [], []
        for seg in (side.main, side.delta_segment()):
            if seg is None:
                continue
            words.append(_col_scores(seg.word, q.word))
            chars.append(_col_scores(seg.char, q.char))
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

    def _semantic(self, cosine: NDArray[np.floating]) -> NDArray[np.float64]:
        """Cosine rescaled so that unrelated texts (cosine <= semantic_floor) count 0."""
        floor = self.config.semantic_floor
        return np.clip((np.asarray(cosine, np.float64) - floor) / (1.0 - floor), 0.0, 1.0)

    def _structure(
        self, q: _Query, side: _Side, rows: NDArray[np.int64] | slice
    ) -> dict[str, NDArray[np.float64]]:
        """Category, distance, quantity and availability factors for rows of a side."""
        cfg = self.config
        m = q.meta
        cat = self._cat_table[m.cat, side.cat.view()[rows]]
        n = len(cat)
        if math.isnan(m.lat):
            dist = np.full(n, np.nan)
        else:
            # equirectangular approximation: < 1 % error at the scale of Germany, and cheap
            lat, lon = side.lat.view()[rows], side.lon.view()[rows]
            kx = math.cos(math.radians(m.lat)) * _KM_PER_DEG
            dist = np.hypot((lon - m.lon) * kx, (lat - m.lat) * _KM_PER_DEG)
        radius_other = side.radius.view()[rows]
        if q.doc.kind == "need":
            radius = np.full(n, m.radius) if not math.isnan(m.radius) else radius_other
        else:
            radius = np.where(np.isnan(radius_other), m.radius, radius_other)
        with np.errstate(invalid="ignore"):
            too_far = (dist > radius) & ~np.isnan(dist) & ~np.isnan(radius)
        closeness = np.where(
            np.isnan(dist),
            1.0,
            1.0 - np.minimum(dist, cfg.distance_scale_km) / cfg.distance_scale_km,
        )
        dist_f = 1.0 - cfg.distance_weight * (1.0 - closeness)
        dist_f = np.where(too_far, dist_f * cfg.too_far, dist_f)
        if math.isnan(m.qty) or m.unit < 0:
            ratio = np.full(n, np.nan)
        else:
            qty_o, unit_o = side.qty.view()[rows], side.unit.view()[rows]
            with np.errstate(invalid="ignore", divide="ignore"):
                if q.doc.kind == "need":
                    ratio = np.where(unit_o == m.unit, np.minimum(1.0, qty_o / m.qty), np.nan)
                else:
                    ratio = np.where(unit_o == m.unit, np.minimum(1.0, m.qty / qty_o), np.nan)
        qty_f = np.where(np.isnan(ratio), 1.0, 1.0 - cfg.quantity_weight * (1.0 - ratio))
        if math.isinf(m.start) and math.isinf(m.end) and side.windows == 0:
            overlap = np.ones(n, np.bool_)
        else:
            start_o, end_o = side.start.view()[rows], side.end.view()[rows]
            overlap = np.maximum(start_o, m.start) <= np.minimum(end_o, m.end)
        avail_f = np.where(overlap, 1.0, cfg.window_mismatch)
        return {
            "category": cat,
            "distance": closeness,
            "distance_f": dist_f,
            "distance_km": dist,
            "too_far": too_far.astype(np.float64),
            "quantity": np.where(np.isnan(ratio), 1.0, ratio),
            "quantity_f": qty_f,
            "quantity_known": (~np.isnan(ratio)).astype(np.float64),
            "availability": overlap.astype(np.float64),
            "availability_f": avail_f,
        }

    def _concept_exact(
        self, q: _Query, cand: _Rows
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
            best_need = _reduce_rows(np.maximum, rel, indptr, axis=1, empty=0.0)  # |q| x m
            need_cov = (qw[:, None] * best_need).sum(axis=0) / qw.sum()
            best_offer = rel.max(axis=0)  # per candidate entry
            offer_cov = _reduce_rows(np.add, best_offer * cw, indptr, 0, 0.0) / np.maximum(
                rowsum, 1e-9
            )
            if can_conflict:
                conf = self.concepts.conflict[qi][:, ci].astype(np.float64)
                confl = _reduce_rows(np.maximum, conf, indptr, axis=1, empty=0.0)
                confl = confl * (best_need < 0.5)
                # as strong as the most important need concept the offer contradicts
                severity = (qw[:, None] / qw.max() * confl).max(axis=0)
            else:
                severity = np.zeros(m)
        else:
            rel = self.concepts.rel[ci][:, qi].astype(np.float64)  # nnz x |q|
            conf_b = self.concepts.conflict[ci][:, qi]
            best_need_entry = rel.max(axis=1)
            need_cov = _reduce_rows(np.add, best_need_entry * cw, indptr, 0, 0.0) / np.maximum(
                rowsum, 1e-9
            )
            best_offer = _reduce_rows(np.maximum, rel, indptr, axis=0, empty=0.0)  # m x |q|
            offer_cov = (best_offer * qw[None, :]).sum(axis=1) / qw.sum()
            confl_entry = conf_b.any(axis=1) & (best_need_entry < 0.5)
            rowmax = _reduce_rows(np.maximum, cw, indptr, 0, 0.0)
            severity = _reduce_rows(np.maximum, confl_entry * cw, indptr, 0, 0.0) / np.maximum(
                rowmax, 1e-9
            )
        w = cfg.need_coverage_weight
        score = w * need_cov + (1.0 - w) * offer_cov
        return np.clip(score, 0.0, 1.0), np.clip(severity, 0.0, 1.0), has_any

    def _wrong_sense(
        self, q: _Query, senses: Sequence[dict[str, str] | None]
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

    def _score_rows(
        self,
        q: _Query,
        side: _Side,
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
        if semantic is not None:
            # dense similarity likes the wrong alternative ("Aluminium" for "Edelstahl"): where
            # the offer names a conflicting alternative, meaning similarity counts for nothing
            semantic = semantic * (1.0 - severity)
        pen_f = (1.0 - cfg.wrong_material * severity) * np.where(
            sense_flags > 0, cfg.wrong_sense, 1.0
        )
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
            "_distance_km": st["distance_km"],
            "_quantity_known": st["quantity_known"],
        }
        return np.clip(score, 0.0, 1.0), comps, sense_info

    def rank(self, doc: PostingDoc, k: int = 10, *, min_score: float = 0.0) -> list[Candidate]:
        """Best postings of the opposite kind for ``doc`` (which need not be indexed)."""
        if doc.kind not in KINDS:
            raise ValueError(f"kind must be 'need' or 'offer', not {doc.kind!r}")
        other = self._sides["offer" if doc.kind == "need" else "need"]
        if len(other) == 0 or k <= 0:
            return []
        return self._rank_query(self._query(doc), other, k, min_score)

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
        side: _Side,
        other: _Side,
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
                q = _Query(
                    doc=doc,
                    word=row_vec(w, r),
                    char=row_vec(c, r),
                    concept=row_vec(kk, r),
                    meta=_meta(doc),
                    senses=side.senses.get(r, {}),
                    fuzzy_text=side.fuzzy[r],
                    vec=None if qvecs is None else qvecs[r - start],
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
        other: _Side,
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

    def _rank_query(
        self,
        q: _Query,
        other: _Side,
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

    def _merged_semantic(
        self, q: _Query, other: _Side, lexical: NDArray[np.float64], s1: Mapping[str, Any]
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

    def _candidate(
        self,
        q: _Query,
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
        )
        return self._make_candidate(q, other, score, public, hidden, senses)

    def _make_candidate(
        self,
        q: _Query,
        other: PostingDoc,
        score: float,
        public: dict[str, float],
        hidden: Sequence[float],
        senses: list[tuple[str, str, str]],
    ) -> Candidate:
        def build() -> dict[str, Any]:
            wrong_material, too_far, dist, qty_known = hidden
            need, offer = (q.doc, other) if q.doc.kind == "need" else (other, q.doc)
            facts = PairFacts(
                score=score,
                components=public,
                wrong_material=wrong_material,
                wrong_sense=senses,
                too_far=bool(too_far),
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

    def score_pair(self, need: PostingDoc, offer: PostingDoc) -> Candidate:
        """Full score, components and explanation for one need-offer pair (no filtering)."""
        if need.kind != "need" or offer.kind != "offer":
            raise ValueError("score_pair expects a need and an offer")
        q = self._query(need)
        o = self._query(offer)
        side = _Side(len(self.concepts))
        side.append(offer, o.word, o.char, o.concept, o.senses, o.fuzzy_text)
        rows = np.array([0], np.int64)
        word = np.array([q.word.dot(o.word)])
        char = np.array([q.char.dot(o.char)])
        semantic = None
        if q.vec is not None and o.vec is not None:
            semantic = self._semantic(np.array([float(q.vec @ o.vec)]))
        score, comps, sense_info = self._score_rows(q, side, rows, word, char, semantic=semantic)
        return self._candidate(q, offer, float(score[0]), comps, 0, sense_info[0])

    def similarity(self, text_a: str, text_b: str) -> float:
        """Symmetric text similarity in [0, 1] (word, char, concepts both ways, fuzzy)."""
        a = self._query(PostingDoc(id="a", kind="need", title=text_a))
        b = self._query(PostingDoc(id="b", kind="need", title=text_b))
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

    def _symmetric_concepts(self, a: _Query, b: _Query) -> tuple[float, float]:
        if not len(a.concept.idx) and not len(b.concept.idx):
            return 0.0, 0.0
        if not len(a.concept.idx) or not len(b.concept.idx):
            return 0.0, 1.0
        cb, ca = _Rows.of(b.concept), _Rows.of(a.concept)
        s1, _, _ = self._concept_exact(a, cb)
        s2, _, _ = self._concept_exact(b, ca)
        return float((s1[0] + s2[0]) / 2.0), 1.0

    @property
    def fit_count(self) -> int:
        """How many full refits happened (lets tests check that add/update/remove do none)."""
        return self._fit_calls
