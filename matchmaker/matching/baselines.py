"""Baselines the engine is measured against, each fitted on the same texts.

* ``rapidfuzz``: ``fuzz.token_set_ratio`` of title + " " + description (rapidfuzz's default
  processor: lower case, non-alphanumerics to spaces).
* ``tfidf``: scikit-learn ``TfidfVectorizer()`` (word unigrams) and cosine.
* ``tfidf-char``: ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))`` and cosine.
* ``bm25``: ``bm25s`` (Lucene variant, k1=1.5, b=0.75) on lower-cased word tokens; the pair
score for
  similarity is the mean of both directions, normalised by each query's self-score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process, utils
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

__all__ = ["BASELINES", "Baseline", "make_baseline"]

BASELINES: tuple[str, ...] = ("rapidfuzz", "tfidf", "tfidf-char", "bm25")

_WORD = re.compile(r"\w+")


class Baseline(Protocol):
    """A text scorer fitted on a corpus: scores of queries against documents."""

    def fit(self, texts: Sequence[str]) -> None: ...

    def scores(self, queries: Sequence[str], docs: Sequence[str]) -> NDArray[np.float64]: ...


class RapidfuzzBaseline:
    def fit(self, texts: Sequence[str]) -> None:
        """Nothing to fit."""

    def scores(self, queries: Sequence[str], docs: Sequence[str]) -> NDArray[np.float64]:
        return (
            np.asarray(
                process.cdist(
                    queries,
                    docs,
                    scorer=fuzz.token_set_ratio,
                    processor=utils.default_process,
                    dtype=np.float32,
                ),
                np.float64,
            )
            / 100.0
        )


class TfidfBaseline:
    def __init__(self, *, char: bool = False) -> None:
        if char:
            self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))
        else:
            self.vec = TfidfVectorizer()

    def fit(self, texts: Sequence[str]) -> None:
        self.vec.fit(texts)

    def scores(self, queries: Sequence[str], docs: Sequence[str]) -> NDArray[np.float64]:
        return np.asarray(
            linear_kernel(self.vec.transform(queries), self.vec.transform(docs)), np.float64
        )


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Bm25Baseline:
    """BM25 with the corpus statistics of the fitted texts (documents = fitted texts)."""

    def fit(self, texts: Sequence[str]) -> None:
        import bm25s

        self.texts = list(texts)
        self.position = {t: i for i, t in enumerate(self.texts)}
        self.model = bm25s.BM25()
        self.model.index([_tokens(t) or [""] for t in self.texts], show_progress=False)

    def _row(self, query: str) -> NDArray[np.float64]:
        toks = [t for t in _tokens(query) if t in self.model.vocab_dict]
        if not toks:
            return np.zeros(len(self.texts))
        return np.asarray(self.model.get_scores(toks), np.float64)

    def scores(self, queries: Sequence[str], docs: Sequence[str]) -> NDArray[np.float64]:
        cols = np.array([self.position[d] for d in docs], np.int64)
        return np.vstack([self._row(q)[cols] for q in queries]) if queries else np.zeros((0, 0))

    def pair(self, a: str, b: str) -> float:
        """Symmetric pair score in [0, 1]: each direction divided by the query's self-score."""
        ra, rb = self._row(a), self._row(b)
        ia, ib = self.position[a], self.position[b]
        sa = ra[ib] / ra[ia] if ra[ia] > 0 else 0.0
        sb = rb[ia] / rb[ib] if rb[ib] > 0 else 0.0
        return float((sa + sb) / 2.0)


def make_baseline(name: str) -> RapidfuzzBaseline | TfidfBaseline | Bm25Baseline:
    """A fresh baseline by name (see BASELINES)."""
    if name == "rapidfuzz":
        return RapidfuzzBaseline()
    if name == "tfidf":
        return TfidfBaseline()
    if name == "tfidf-char":
        return TfidfBaseline(char=True)
    if name == "bm25":
        return Bm25Baseline()
    raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
