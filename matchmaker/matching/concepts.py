"""Concept tagging: which thesaurus concepts a posting talks about, and in which sense.

Terms are matched on folded and stemmed tokens (both German and English stems of every term, so an
English word in a German posting still matches), multi-word terms as phrases, and compound parts
when the whole word is not a term (``Hochregallager`` -> ``Lager``). A term that belongs to several
concepts (``Lager``: warehouse or bearing) is resolved by the concept's ``context`` cue words
found in
the posting, the posting's category and the other concepts of the posting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .text import STOPWORDS, AnalyzedToken, raw_tokens, stem
from .thesaurus import Thesaurus

__all__ = ["ConceptHit", "ConceptTagger", "Tagging", "TermRef"]

# Weight of a concept found in a whole word, in a hyphen part, in a compound head, in a modifier.
W_WORD = 1.0
W_HYPHEN = 1.0
W_HEAD = 1.0
W_MODIFIER = 0.8


@dataclass(frozen=True, slots=True)
class TermRef:
    """A thesaurus term of a concept; ``case`` is set for short abbreviations that must match
    case."""

    concept: str
    term: str
    type: str  # de | en | abbr
    case: str | None = None


@dataclass(slots=True)
class ConceptHit:
    """A concept found in a posting, with the term as the user typed it."""

    concept: str
    weight: float
    term: str
    term_type: str
    surface: str
    ambiguous: bool = False


@dataclass(slots=True)
class Tagging:
    """Concepts of one posting and the sense chosen for each ambiguous word."""

    hits: dict[str, ConceptHit] = field(default_factory=dict)
    senses: dict[str, str] = field(default_factory=dict)  # ambiguous word key -> concept id

    def add(self, hit: ConceptHit) -> None:
        prev = self.hits.get(hit.concept)
        if prev is None or hit.weight > prev.weight:
            self.hits[hit.concept] = hit


def _term_keys(term: str) -> list[tuple[str, ...]]:
    """Match keys of a term: its token sequence folded, and stemmed in German and in English."""
    toks = [t for t in raw_tokens(term) if t.norm not in STOPWORDS or len(raw_tokens(term)) == 1]
    if not toks:
        return []
    variants: list[list[str]] = [[t.norm for t in toks]]
    if any(t.parts for t in toks):
        split: list[str] = []
        for t in toks:
            split.extend(t.parts or (t.norm,))
        variants.append(split)
    keys: set[tuple[str, ...]] = set()
    for v in variants:
        keys.add(tuple(v))
        keys.add(tuple(stem(w, "de") for w in v))
        keys.add(tuple(stem(w, "en") for w in v))
    return sorted(keys)


def _ambiguous_number(term: str) -> bool:
    """Bare numbers of up to three digits (20, 40') read as quantities far more often than codes."""
    toks = raw_tokens(term)
    return len(toks) == 1 and toks[0].norm.isdigit() and len(toks[0].norm) <= 3


def _needs_case(term: str) -> str | None:
    """Letter-only abbreviations (IT, MAG, Al, VA) only match as written or in capitals.

    Many collide with ordinary lower-case words; codes with digits (1.4301, FFP2) do not.
    """
    letters = term.replace(" ", "").replace("-", "")
    if letters.isalpha():
        return term
    return None


class ConceptTagger:
    """Finds thesaurus concepts in analysed posting tokens."""

    def __init__(self, thesaurus: Thesaurus) -> None:
        self.thesaurus = thesaurus
        self._index: dict[str, list[tuple[tuple[str, ...], list[TermRef]]]] = {}
        phrases: dict[tuple[str, ...], list[TermRef]] = {}
        for c in thesaurus.concepts.values():
            for term, ttype in c.terms():
                if ttype == "abbr" and _ambiguous_number(term):
                    continue
                case = _needs_case(term) if ttype == "abbr" else None
                ref = TermRef(c.id, term, ttype, case)
                for key in _term_keys(term):
                    refs = phrases.setdefault(key, [])
                    if all(r.concept != c.id for r in refs):
                        refs.append(ref)
        for key, refs in phrases.items():
            self._index.setdefault(key[0], []).append((key, refs))
        for lst in self._index.values():
            lst.sort(key=lambda kr: -len(kr[0]))
        # single-word keys that name more than one concept
        self.ambiguous: dict[str, tuple[str, ...]] = {
            key[0]: tuple(sorted({r.concept for r in refs}))
            for key, refs in phrases.items()
            if len(key) == 1 and len({r.concept for r in refs}) > 1
        }
        self._context: dict[str, frozenset[str]] = {}
        for c in thesaurus.concepts.values():
            ks: set[str] = set()
            for cue in c.context:
                for key in _term_keys(cue):
                    ks.update(key)
            self._context[c.id] = frozenset(ks)
        self._linked: dict[str, frozenset[str]] = {}
        for c in thesaurus.concepts.values():
            linked = set(thesaurus.ancestors(c.id)) | set(thesaurus.children(c.id))
            linked.update(c.related)
            self._linked[c.id] = frozenset(linked)
        for c in thesaurus.concepts.values():
            for r in c.related:
                self._linked[r] = self._linked[r] | {c.id}
        self.vocabulary: frozenset[str] = frozenset(
            w
            for c in thesaurus.concepts.values()
            for term, _ in c.terms()
            for t in raw_tokens(term)
            for w in (t.norm, *t.parts)
            if w.isalpha()
        )

    def _refs_at(
        self, tokens: list[AnalyzedToken], keys: list[set[str]], i: int
    ) -> tuple[int, list[TermRef]] | None:
        """Longest term starting at token i (all senses of it when several concepts share it)."""
        best_n = 0
        best: list[TermRef] = []
        for first in sorted(keys[i]):
            for key, refs in self._index.get(first, ()):
                n = len(key)
                if n < best_n or i + n > len(tokens):
                    continue
                if all(key[k] in keys[i + k] for k in range(1, n)):
                    ok = [r for r in refs if r.case is None or _case_ok(r.case, tokens, i, n)]
                    if not ok:
                        continue
                    if n > best_n:
                        best_n, best = n, []
                    for r in ok:
                        if all(b.concept != r.concept for b in best):
                            best.append(r)
        return (best_n, best) if best else None

    def _lookup_word(self, word: str, lang: str, typed: str | None = None) -> list[TermRef]:
        """Single-word terms of a word; case-sensitive ones only if ``typed`` has their case."""
        for key in (word, stem(word, lang)):
            for k, refs in self._index.get(key, ()):
                if len(k) == 1:
                    return [
                        r
                        for r in refs
                        if r.case is None
                        or (typed is not None and typed in (r.case, r.case.upper()))
                    ]
        return []

    def tag(self, tokens: list[AnalyzedToken], category: str | None = None) -> Tagging:
        """Concepts of a posting's content tokens."""
        keys = [_token_keys(t) for t in tokens]
        doc_keys: set[str] = set()
        for t, ks in zip(tokens, keys, strict=True):
            doc_keys.update(ks)
            doc_keys.update(t.parts)
            doc_keys.update(t.part_stems)
        # (refs, weight, surface, word key or None, keys of the matched words themselves)
        found: list[tuple[list[TermRef], float, str, str | None, frozenset[str]]] = []
        covered = [False] * len(tokens)
        i = 0
        while i < len(tokens):
            m = self._refs_at(tokens, keys, i)
            if m is not None:
                n, refs = m
                surface = " ".join(t.surface for t in tokens[i : i + n])
                own = frozenset().union(*keys[i : i + n])
                found.append((refs, W_WORD, surface, tokens[i].stem if n == 1 else None, own))
                for k in range(i, i + n):
                    covered[k] = True
                i += n
            else:
                i += 1
        for idx, t in enumerate(tokens):
            if covered[idx] or not t.parts:
                continue
            hyphen = "-" in t.surface or "+" in t.surface
            n = len(t.parts)
            # longest tail compound first (Edel|stahl|rohr -> stahlrohr), then the single parts
            for j in range(1, n):
                tail = "".join(t.parts[j:])
                last = re.split(r"[-+]", t.surface)[-1] if hyphen and j == n - 1 else None
                refs = self._lookup_word(tail, t.lang, last)
                if refs:
                    w = W_HYPHEN if hyphen else W_HEAD
                    key = stem(tail, t.lang)
                    own = frozenset({tail, key})
                    found.append((refs, w, t.surface, key if j == n - 1 else None, own))
                    break
            typed = re.split(r"[-+]", t.surface) if hyphen else []
            for pi, part in enumerate(t.parts[:-1]):
                piece = typed[pi] if len(typed) == n else None
                refs = self._lookup_word(part, t.lang, piece)
                if refs:
                    w = W_HYPHEN if hyphen else W_MODIFIER
                    key = stem(part, t.lang)
                    found.append((refs, w, t.surface, key, frozenset({part, key})))
        tagging = Tagging()
        certain = {refs[0].concept for refs, *_ in found if len({r.concept for r in refs}) == 1}
        for refs, weight, surface, word_key, own in found:
            cue_keys = doc_keys - own
            concepts = list(dict.fromkeys(r.concept for r in refs))
            if len(concepts) == 1:
                ref = refs[0]
                c = self.thesaurus[ref.concept]
                if (
                    c.context
                    and ref.type != "abbr"
                    and " " not in surface
                    and len(ref.term) <= 8
                    and not (self._context[c.id] & cue_keys)
                    and (category is None or category not in c.categories)
                ):
                    # everyday word with a non-domain sense (Mutter, Feder) and nothing confirms it
                    weight *= 0.6
                tagging.add(ConceptHit(ref.concept, weight, ref.term, ref.type, surface))
                continue
            chosen = self._resolve(concepts, cue_keys, category, certain)
            # undecided: keep every sense, weighted low, rather than guess one
            share = weight / len(chosen) if len(chosen) == 1 else 0.5 * weight / len(chosen)
            for cid in chosen:
                ref = next(r for r in refs if r.concept == cid)
                tagging.add(
                    ConceptHit(cid, share, ref.term, ref.type, surface, ambiguous=len(chosen) > 1)
                )
            if word_key is not None and len(chosen) == 1:
                tagging.senses[word_key] = chosen[0]
        self._compound_senses(tokens, tagging)
        return tagging

    def _resolve(
        self, concepts: list[str], doc_keys: set[str], category: str | None, certain: set[str]
    ) -> list[str]:
        """Pick the sense(s) of an ambiguous term: context cues, category, related concepts."""
        scores: dict[str, float] = {}
        for cid in concepts:
            c = self.thesaurus[cid]
            s = 2.0 * len(self._context[cid] & doc_keys)
            if category is not None and category in c.categories:
                s += 1.5
            s += 1.0 * len(self._linked[cid] & certain)
            scores[cid] = s
        best = max(scores.values())
        return [cid for cid in concepts if scores[cid] == best]

    def _compound_senses(self, tokens: Iterable[AnalyzedToken], tagging: Tagging) -> None:
        """Sense of an ambiguous word inside a tagged compound (Kugellager: Lager = bearing)."""
        for t in tokens:
            for part, pstem in zip(t.parts, t.part_stems, strict=True):
                cands = self.ambiguous.get(pstem) or self.ambiguous.get(part)
                if not cands or pstem in tagging.senses:
                    continue
                for hit in tagging.hits.values():
                    if hit.surface != t.surface:
                        continue
                    anc = self.thesaurus.ancestors(hit.concept)
                    match = [c for c in cands if c == hit.concept or c in anc]
                    if len(match) == 1:
                        tagging.senses[pstem] = match[0]
                        break
                else:
                    known = [
                        c for c in cands if c in tagging.hits and not tagging.hits[c].ambiguous
                    ]
                    if len(known) == 1:
                        tagging.senses[pstem] = known[0]

    def sense_key(self, word: str, lang: str) -> str | None:
        """The key under which an ambiguous word's sense is recorded, if the word is ambiguous."""
        s = stem(word, lang)
        if s in self.ambiguous:
            return s
        if word in self.ambiguous:
            return word
        return None


def _token_keys(t: AnalyzedToken) -> set[str]:
    ks = {t.stem, t.norm}
    if t.corrected:
        ks.add(t.corrected)
    ks.add(stem(t.corrected or t.norm, "en" if t.lang == "de" else "de"))
    return ks


def _case_ok(term: str, tokens: list[AnalyzedToken], i: int, n: int) -> bool:
    typed = " ".join(t.surface for t in tokens[i : i + n])
    return typed == term or typed == term.upper()
