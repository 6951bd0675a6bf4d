"""From a posting to weighted features: word stems, character n-grams, concepts.

Features are hashed into a fixed number of columns (CRC32, stable across processes). There is no
vocabulary dictionary to grow or refit: the IDF of every column is computed at
:meth:`Engine.fit` and
then kept fixed, and a word first seen after the fit lands in a column whose IDF is the maximum
(as if
it occurred in no fitted posting), so postings added later that share a new word still match
each other.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .concepts import ConceptTagger, Tagging
from .grades import Grade, grades_of
from .text import AnalyzedToken, TextAnalyzer, char_ngrams, detect_language

__all__ = ["Analysis", "Featurizer", "HashedIdf", "SparseVec"]

WORD_BITS = 20
CHAR_BITS = 20


def _hash(s: str, bits: int) -> int:
    return zlib.crc32(s.encode("utf-8")) & ((1 << bits) - 1)


@dataclass(frozen=True, slots=True)
class SparseVec:
    """A sparse row: sorted column indices and float32 values."""

    idx: NDArray[np.int32]
    val: NDArray[np.float32]

    @staticmethod
    def empty() -> SparseVec:
        return SparseVec(np.zeros(0, np.int32), np.zeros(0, np.float32))

    def dot(self, other: SparseVec) -> float:
        if not len(self.idx) or not len(other.idx):
            return 0.0
        common, ia, ib = np.intersect1d(
            self.idx, other.idx, assume_unique=True, return_indices=True
        )
        if not len(common):
            return 0.0
        return float(np.dot(self.val[ia], other.val[ib]))


@dataclass(slots=True)
class Analysis:
    """Everything the engine derives from one posting's text."""

    lang: str
    tokens: list[AnalyzedToken]
    word_tf: dict[int, float]
    char_cols: NDArray[np.int32]  # unique hashed character n-gram columns
    char_tf: NDArray[np.float32]  # their (title-weighted) counts
    tagging: Tagging
    fuzzy_text: str
    grades: frozenset[Grade] = frozenset()  # material grades named (not negated)
    negated: list[AnalyzedToken] = field(default_factory=list)  # ruled-out words, no features
    negated_concepts: frozenset[str] = frozenset()


class HashedIdf:
    """IDF per hashed column, fixed between fits."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.n_docs = 0
        self.idf = np.zeros(0, np.float32)
        self.unseen = 1.0

    def fit_df(self, df: NDArray[np.int64], n_docs: int, *, max_df: float = 1.0) -> None:
        """Set the IDF from document frequencies per column."""
        self.n_docs = n_docs
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        if max_df < 1.0 and n_docs >= 20:
            idf[df > max_df * n_docs] = 0.0  # too common to say anything: dropped
        self.idf = idf.astype(np.float32)
        self.unseen = float(math.log(1.0 + n_docs) + 1.0)

    def column_idf(self, cols: NDArray[np.int32]) -> NDArray[np.float64]:
        if len(self.idf):
            return self.idf[cols].astype(np.float64)
        return np.full(len(cols), self.unseen)

    def vector_arrays(self, cols: NDArray[np.int32], tf: NDArray[np.float32]) -> SparseVec:
        """Sublinear tf x idf, L2-normalised; columns with zero IDF are dropped."""
        if not len(cols):
            return SparseVec.empty()
        vals = np.log1p(tf.astype(np.float64)) * self.column_idf(cols)
        keep = vals > 0
        idx, vals = cols[keep], vals[keep]
        norm = float(np.sqrt(np.dot(vals, vals)))
        if norm == 0.0:
            return SparseVec.empty()
        order = np.argsort(idx)
        return SparseVec(idx[order].astype(np.int32), (vals[order] / norm).astype(np.float32))

    def vector(self, tf: dict[int, float]) -> SparseVec:
        if not tf:
            return SparseVec.empty()
        cols = np.fromiter(tf.keys(), np.int32, len(tf))
        vals = np.fromiter(tf.values(), np.float32, len(tf))
        return self.vector_arrays(cols, vals)

    def weight(self, col: int) -> float:
        return float(self.idf[col]) if len(self.idf) else self.unseen


class Featurizer:
    """Posting text -> :class:`Analysis` (tokens, hashed term frequencies, concepts)."""

    def __init__(
        self,
        analyzer: TextAnalyzer,
        tagger: ConceptTagger | None,
        *,
        title_weight: float = 2.0,
        part_weight: float = 0.5,
        number_weight: float = 0.3,
        char_range: tuple[int, int] = (3, 5),
    ) -> None:
        self.analyzer = analyzer
        self.tagger = tagger
        self.title_weight = title_weight
        self.part_weight = part_weight
        self.number_weight = number_weight
        self.char_range = char_range
        self._char_cache: dict[str, NDArray[np.int32]] = {}

    def char_columns(self, word: str) -> NDArray[np.int32]:
        """Hashed character n-gram columns of a word (cached; the cache is bounded)."""
        hit = self._char_cache.get(word)
        if hit is None:
            lo, hi = self.char_range
            grams = char_ngrams(word, lo, hi)
            hit = np.fromiter((_hash(g, CHAR_BITS) for g in grams), np.int32, len(grams))
            if len(self._char_cache) > 100_000:
                self._char_cache.clear()
            self._char_cache[word] = hit
        return hit

    def language(self, title: str, description: str, language: str | None) -> str:
        if language in ("de", "en"):
            return language
        return detect_language(f"{title} {description}")

    def _ruled_out(
        self, tokens: list[AnalyzedToken], category: str | None
    ) -> tuple[list[AnalyzedToken], frozenset[str]]:
        """Negated tokens that name a material grade or a thesaurus concept, and those concepts.

        Other negated words are idioms ("kein Aufwand", "no problem") and stay ordinary words.
        "NICHT 1.4301" rules out that grade, not stainless steel as such.
        """
        negated = [t for t in tokens if t.negated]
        if not negated:
            return [], frozenset()
        grades = [t for t in negated if grades_of([t])]
        words = [t for t in negated if t not in grades]
        hits = self.tagger.tag(words, category).hits if self.tagger is not None and words else {}
        named = {w for h in hits.values() for w in h.surface.split()}
        return [t for t in negated if t in grades or t.surface in named], frozenset(hits)

    def analyze(
        self,
        title: str,
        description: str = "",
        *,
        language: str | None = None,
        category: str | None = None,
        rule_out: bool = True,
    ) -> Analysis:
        lang = self.language(title, description, language)
        tokens = self.analyzer.analyze(title, description, lang)
        negated, negated_concepts = (
            self._ruled_out(tokens, category) if rule_out else ([], frozenset())
        )
        if negated:
            tokens = [t for t in tokens if t not in negated]
        word_tf: dict[int, float] = defaultdict(float)
        char_parts: list[NDArray[np.int32]] = []
        char_weights: list[float] = []
        for t in tokens:
            w = self.title_weight if t.in_title else 1.0
            if not t.norm.isalpha():
                w *= self.number_weight if t.norm.replace(".", "").isdigit() else 1.0
            word_tf[word_col(t.stem)] += w
            for ps in t.part_stems:
                if ps != t.stem:
                    word_tf[word_col(ps)] += w * self.part_weight
            if any(ch.isalpha() for ch in t.norm):
                char_parts.append(self.char_columns(t.corrected or t.norm))
                char_weights.append(w)
        if char_parts:
            allcols = np.concatenate(char_parts)
            weights = np.repeat(np.asarray(char_weights, np.float32), [len(p) for p in char_parts])
            char_cols, inverse = np.unique(allcols, return_inverse=True)
            char_tf = np.bincount(inverse, weights=weights).astype(np.float32)
        else:
            char_cols, char_tf = np.zeros(0, np.int32), np.zeros(0, np.float32)
        tagging = self.tagger.tag(tokens, category) if self.tagger is not None else Tagging()
        fuzzy_text = " ".join(t.norm for t in tokens)
        return Analysis(
            lang,
            tokens,
            dict(word_tf),
            char_cols.astype(np.int32),
            char_tf,
            tagging,
            fuzzy_text,
            grades_of(tokens),
            negated,
            negated_concepts,
        )


def word_col(stem: str) -> int:
    """Hashed column of a word stem."""
    return _hash(stem, WORD_BITS)
