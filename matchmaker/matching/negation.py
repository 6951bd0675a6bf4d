"""Negated terms: what a posting rules out ("1.4404, NICHT 1.4301", "kein Aluminium", "without
cooling") is a conflict with a partner that names it, never a shared word.

A negation word opens a scope over the next content words, up to three, that ends at punctuation or
a conjunction ("kein Aluminium, sondern Edelstahl"). "nicht nur" / "not only" negates nothing.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .grades import Grade
from .tokens import _TOKEN, STOPWORDS, RawToken, stem

__all__ = ["NEGATIONS", "Marks", "mark_negated", "word_keys"]

NEGATIONS = frozenset(
    {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "ohne"}
    | {"not", "no", "without", "non"}
)
# "nicht nur", "not only", "nicht unbedingt": not an exclusion
_NOT_A_NEGATION_AFTER = frozenset(
    {"nur", "only", "just", "unbedingt", "zwingend", "necessarily", "mehr", "more", "less"}
)
_CONJUNCTIONS = frozenset({"und", "oder", "sondern", "aber", "and", "or", "but", "bzw"})
_SCOPE_END = re.compile(r"[.,;:!?()\[\]/\n]")
SCOPE_WORDS = 3


def mark_negated(tokens: list[RawToken], text: str) -> list[RawToken]:
    """``tokens`` (= ``raw_tokens(text)``) with the negated ones marked."""
    if not any(t.norm in NEGATIONS for t in tokens):
        return tokens
    spans = [m.span() for m in _TOKEN.finditer(unicodedata.normalize("NFKC", text))]
    if len(spans) != len(tokens):
        return tokens
    normalized = unicodedata.normalize("NFKC", text)
    out = list(tokens)
    i = 0
    while i < len(tokens):
        if tokens[i].norm not in NEGATIONS:
            i += 1
            continue
        j, left = i + 1, SCOPE_WORDS
        if j < len(tokens) and tokens[j].norm in _NOT_A_NEGATION_AFTER:
            i = j + 1
            continue
        while j < len(tokens) and left > 0:
            gap = normalized[spans[j - 1][1] : spans[j][0]]
            t = tokens[j]
            if _SCOPE_END.search(gap) or t.norm in _CONJUNCTIONS or t.norm in NEGATIONS:
                break
            if t.norm not in STOPWORDS:
                out[j] = dataclasses.replace(t, negated=True)
                left -= 1
            j += 1
        i = j
    return out


def word_keys(norms: Iterable[str]) -> frozenset[str]:
    """Folded words with their German and English stems (a ruled-out word in any form)."""
    return frozenset(k for n in norms for k in (n, stem(n, "de"), stem(n, "en")))


@dataclass(frozen=True, slots=True)
class Marks:
    """What a posting names as material grades and what it rules out (kept only when any)."""

    grades: frozenset[Grade]
    negated_words: frozenset[str]
    negated_concepts: frozenset[int]
    negated_grades: frozenset[Grade]

    def rules_out(
        self, words: frozenset[str], concepts: Iterable[int], grades: frozenset[Grade]
    ) -> bool:
        """Whether the partner names something this posting rules out."""
        return bool(
            (self.negated_words and self.negated_words & words)
            or (self.negated_grades and self.negated_grades & grades)
            or (self.negated_concepts and not self.negated_concepts.isdisjoint(concepts))
        )
