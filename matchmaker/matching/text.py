"""Text pipeline: normalisation, tokenising, stop and intent words, stemming, compound splitting.

Everything the engine compares goes through here, so both sides of a match and the thesaurus terms
are normalised the same way:

* NFKC + casefold, then umlaut and ß folding: ``Kühlung``, ``Kuehlung`` and ``Kuhlung`` all become
  ``kuhlung`` (``ae``/``oe``/``ue`` are folded like the Snowball German stemmer does: not after
  ``q``
  and not when the ``u`` stands between vowels, so ``Steuer`` stays ``steuer``); ``Maß`` = ``Mass``.
* Tokens keep the text as typed for explanations. Hyphenated words are kept whole
(``kuhlschmierstoff``)
  and their parts become features too (``Kühl-Schmierstoff`` ~ ``Kühlschmierstoff``).
* Stop words (German + English) and intent words that only say "need" or "offer" (suchen, benötigen,
  dringend, bieten, verfügbar, abzugeben, looking for, available, spare ...) are dropped before any
  feature is built, so they cannot drive similarity.
* Snowball stemming (German or English, by posting language) folds inflection: Frästeil, Frästeile,
  Frästeilen -> ``frasteil``.
* Compounds are split by a dictionary splitter whose dictionary is the thesaurus terms plus the
words
  of the fitted corpus (see :class:`CompoundSplitter`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "INTENT_PHRASES",
    "INTENT_WORDS",
    "STOPWORDS",
    "AnalyzedToken",
    "CompoundSplitter",
    "RawToken",
    "TextAnalyzer",
    "char_ngrams",
    "detect_language",
    "fold",
    "fold_words",
    "raw_tokens",
    "stem",
]

from .tokens import (  # the shared word forms, re-exported
    INTENT_PHRASES,
    INTENT_WORDS,
    STOPWORDS,
    AnalyzedToken,
    RawToken,
    char_ngrams,
    detect_language,
    fold,
    fold_words,
    raw_tokens,
    stem,
    strip_phrases,
)

_FUGEN = ("s", "es", "n", "en", "er", "e")
# Strings that are words but also frequent affixes; never accepted as a compound part.
_BAD_PARTS = fold_words(
    "ung heit keit lich isch bar los ver ent ein aus bei ges tion ing ern ten ter der die das und"
    " mit zur zum vor nach auf"
)


class CompoundSplitter:
    """Dictionary-based German compound splitter.

    The dictionary is the folded words (and their stems) of the thesaurus terms and of the fitted
    corpus. A word is split into the fewest known parts of at least ``min_part`` letters
    (modifiers may
    end in a linking element), preferring long parts; unknown words are left whole. Library
    splitters
    were tried: compound-split needs ~350 MB of memory and 2 s to import, too much for a web worker,
    and a dictionary from the project's own vocabulary knows the domain words best.
    """

    def __init__(self, words: Iterable[str] = (), *, min_part: int = 3, min_word: int = 7) -> None:
        self.min_part = min_part
        self.min_word = min_word
        self._known: set[str] = set()
        self._cache: dict[str, tuple[str, ...]] = {}
        self.add_words(words)

    def add_words(self, words: Iterable[str]) -> None:
        """Add folded words (and their German stems) to the dictionary."""
        for w in words:
            if len(w) >= self.min_part and w.isalpha() and w not in _BAD_PARTS:
                self._known.add(w)
                s = stem(w, "de")
                if len(s) >= self.min_part and s not in _BAD_PARTS:
                    self._known.add(s)
        self._cache.clear()

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def __len__(self) -> int:
        return len(self._known)

    def _is_part(self, piece: str, *, head: bool) -> bool:
        if len(piece) < self.min_part or piece in _BAD_PARTS:
            return False
        if piece in self._known:
            return True
        if head and len(piece) > self.min_part + 1 and stem(piece, "de") in self._known:
            return True  # inflected head: Edelstahl|bleche
        if not head:
            for f in _FUGEN:
                if piece.endswith(f) and len(piece) - len(f) >= self.min_part:
                    base = piece[: -len(f)]
                    if base in self._known and base not in _BAD_PARTS:
                        return True
        return False

    def split(self, word: str) -> tuple[str, ...]:
        """Parts of a folded word (empty when it is not a compound of known words)."""
        if len(word) < self.min_word or not word.isalpha():
            return ()
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        n = len(word)
        # best[i] = (parts count, -sum of squared part lengths, parts) for word[i:]
        best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[n] = (0, 0, ())
        for i in range(n - self.min_part, -1, -1):
            cand: tuple[int, int, tuple[str, ...]] | None = None
            for j in range(i + self.min_part, n + 1):
                rest = best[j]
                if rest is None:
                    continue
                piece = word[i:j]
                if not self._is_part(piece, head=j == n):
                    continue
                score = (rest[0] + 1, rest[1] - len(piece) ** 2, (piece, *rest[2]))
                if cand is None or score[:2] < cand[:2]:
                    cand = score
            best[i] = cand
        result = best[0]
        parts = result[2] if result is not None and result[0] >= 2 else ()
        if not parts:
            # unknown modifier + known head (Kugel|lager): split off the longest known head
            for j in range(4, n - 3):
                rest = best[j]
                if rest is not None and len(word) - j >= 4 and rest[0] <= 2:
                    parts = (word[:j], *rest[2])
                    break
        self._cache[word] = parts
        return parts


@dataclass
class TextAnalyzer:
    """Turns posting text into content tokens and weighted word features.

    Holds the compound dictionary and the typo vocabulary, both fixed between fits.
    """

    splitter: CompoundSplitter = field(default_factory=CompoundSplitter)
    # folded word -> known frequent word it is a typo of (filled lazily)
    typo_vocab: Mapping[str, int] = field(default_factory=dict)
    extra_stopwords: frozenset[str] = frozenset()
    _typo_cache: dict[str, str | None] = field(default_factory=dict)
    _typo_choices: list[str] | None = None

    def content_tokens(self, text: str, *, in_title: bool = False) -> list[RawToken]:
        """Tokens with stop words and intent words/phrases removed."""
        from .negation import mark_negated

        toks = mark_negated(raw_tokens(text, in_title=in_title), text)
        toks = strip_phrases(toks, INTENT_PHRASES)
        out: list[RawToken] = []
        for t in toks:
            if t.norm in STOPWORDS or t.norm in INTENT_WORDS or t.norm in self.extra_stopwords:
                continue
            if len(t.norm) < 2 and not t.norm.isdigit():
                continue
            out.append(t)
        return out

    def correct(self, norm: str) -> str | None:
        """The frequent vocabulary word a rare word is most likely a typo of, if any."""
        if len(norm) < 6 or not norm.isalpha() or not self.typo_vocab:
            return None
        if norm in self.typo_vocab or norm in self.splitter:
            return None
        if norm in self._typo_cache:
            return self._typo_cache[norm]
        from rapidfuzz import fuzz, process

        if self._typo_choices is None:
            self._typo_choices = [w for w in self.typo_vocab if len(w) >= 5]
        found = process.extractOne(norm, self._typo_choices, scorer=fuzz.ratio, score_cutoff=87.0)
        fixed = None
        if found is not None and abs(len(found[0]) - len(norm)) <= 2:
            fixed = str(found[0])
        self._typo_cache[norm] = fixed
        return fixed

    def analyze_token(self, tok: RawToken, lang: str) -> AnalyzedToken:
        """Stem a content token, split it if it is a compound, read it as a known word if a typo."""
        norm = tok.norm
        corrected: str | None = None
        if tok.parts:
            parts: tuple[str, ...] = tuple(p for p in tok.parts if p not in STOPWORDS)
        else:
            parts = self.splitter.split(norm)
            if not parts:
                corrected = self.correct(norm)
                if corrected is not None:
                    parts = self.splitter.split(corrected)
        base = corrected or norm
        return AnalyzedToken(
            surface=tok.surface,
            norm=norm,
            stem=stem(base, lang),
            lang=lang,
            parts=parts,
            part_stems=tuple(stem(p, lang) for p in parts),
            in_title=tok.in_title,
            corrected=corrected,
            negated=tok.negated,
        )

    def analyze(self, title: str, description: str, lang: str) -> list[AnalyzedToken]:
        """Content tokens of a posting (title first)."""
        toks = self.content_tokens(title, in_title=True)
        toks += self.content_tokens(description)
        return [self.analyze_token(t, lang) for t in toks]
