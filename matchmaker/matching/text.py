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

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

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

_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe"})
# ae/oe/ue -> a/o/u unless after q ("quer") or after a vowel ("Steuer", "Bauer", "neue").
_DIGRAPH = re.compile(r"(?<![aeiouyq])([aou])e")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:[-+][^\W_]+)*")


def fold(text: str) -> str:
    """Normalise a string for comparison: NFKC, casefold, umlauts, ß and their ae/oe/ue
    spellings."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_UMLAUTS)
    return _DIGRAPH.sub(r"\1", text)


def fold_words(words: str) -> frozenset[str]:
    """Folded set of the whitespace-separated words of a literal list."""
    return frozenset(fold(w) for w in words.split())


# German and English stop words (folded). Kept short: rare function words do little harm.
STOPWORDS: frozenset[str] = fold_words(
    """
    aber alle allem allen aller alles als also am an ander andere anderen anderer anderes auch
    auf aus
    bei beim bin bis bist da damit dann das dass dasselbe dazu dein deine dem den denn der des
    dessen
    deshalb dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine
    einem einen
    einer eines einige einigen einiger er es etwa etwas euch euer eure fur gegen gewesen hab habe
    haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in
    indem ins ist ja jede jedem jeden jeder jedes jene jetzt kann kein keine keinem keinen keiner
    konnen konnte machen man manche mehr mein meine mich mir mit muss musste nach nicht nichts noch
    nun nur ob oder ohne per pro sehr sein seine seinem seinen seiner sich sie sind so solche soll
    sollen sollte sondern sowie uber um und uns unser unsere unter usw viel vom von vor wahrend war
    waren warum was weil welche welchem welchen welcher welches wenn wer werde werden wie wieder wir
    wird wo wollen wurde wurden zu zum zur zwar zwischen bzw ca ggf inkl zb evtl sowohl ab
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own
    same she should so some such than that the their theirs them themselves then there these
    they this
    those through to too under until up very was we were what when where which while who whom
    why will
    with would you your yours yourself yourselves us etc e g eg ie
    """
)

# Words that only say which side a posting is on (or how urgent it is). They carry no content and
# appear on every need or every offer, so they are removed before similarity is computed.
INTENT_WORDS: frozenset[str] = fold_words(
    """
    suche suchen sucht gesucht suchend benotige benotigen benotigt bedarf brauche brauchen braucht
    gebraucht dringend dringendst kurzfristig schnellstmoglich sofort asap eilig eilt umgehend
    zeitnah
    biete bieten bietet anbieten angeboten angebot angebote verfugbar verfugbare verfugbaren
    abzugeben abgeben gebe geben frei freie freien freier ungenutzt ungenutzte ungenutzten
    vorhanden ubrig uberschuss uberschussig anfrage anfragen gerne gern bitte interesse interessiert
    melden meldet kontakt kontaktieren kontaktaufnahme verfugung stellen
    looking seeking seek need needs needed require required requires requiring urgent urgently
    wanted want wants offer offers offered offering available availability spare provide provides
    providing please contact interested immediately shortly shortterm asap search searching
    """
)

# Multi-word intent phrases (folded token sequences), removed as a whole before single words.
INTENT_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(fold(w) for w in p.split())
    for p in (
        "freie kapazitaten",
        "freie kapazitat",
        "zur verfugung",
        "ab sofort",
        "per sofort",
        "so schnell wie moglich",
        "looking for",
        "in need of",
        "we have",
        "we offer",
        "we need",
        "we are looking",
        "spare capacity",
        "free capacity",
        "free capacities",
        "can offer",
        "at short notice",
    )
)


@dataclass(frozen=True, slots=True)
class RawToken:
    """One word as typed, with its folded form and, for hyphenated words, its folded parts."""

    surface: str
    norm: str
    parts: tuple[str, ...] = ()
    in_title: bool = False
    negated: bool = False  # ruled out by the posting ("kein Aluminium"), see negation.py


def raw_tokens(text: str, *, in_title: bool = False) -> list[RawToken]:
    """Split text into word tokens (numbers like ``1.4301`` and ``Kühl-Schmierstoff`` stay
    whole)."""
    out: list[RawToken] = []
    for m in _TOKEN.finditer(unicodedata.normalize("NFKC", text)):
        surface = m.group(0)
        folded = fold(surface)
        if "-" in folded or "+" in folded:
            pieces = tuple(p for p in re.split(r"[-+]", folded) if p)
            out.append(RawToken(surface, "".join(pieces), pieces, in_title))
        else:
            out.append(RawToken(surface, folded, (), in_title))
    return out


def strip_phrases(tokens: list[RawToken], phrases: Iterable[tuple[str, ...]]) -> list[RawToken]:
    """Remove every occurrence of the given folded token sequences."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        by_first.setdefault(p[0], []).append(p)
    out: list[RawToken] = []
    i = 0
    while i < len(tokens):
        cands = by_first.get(tokens[i].norm)
        skip = 0
        if cands:
            for p in cands:
                if tuple(t.norm for t in tokens[i : i + len(p)]) == p:
                    skip = max(skip, len(p))
        if skip:
            i += skip
        else:
            out.append(tokens[i])
            i += 1
    return out


_STEMMERS: dict[str, Stemmer.Stemmer] = {}


def _stemmer(lang: str) -> Stemmer.Stemmer:
    st = _STEMMERS.get(lang)
    if st is None:
        st = Stemmer.Stemmer("english" if lang == "en" else "german")
        _STEMMERS[lang] = st
    return st


@lru_cache(maxsize=100_000)
def stem(word: str, lang: str = "de") -> str:
    """Snowball stem of a folded word; numbers and short codes are left alone."""
    if len(word) <= 3 or any(ch.isdigit() for ch in word):
        return word
    return str(_stemmer(lang).stemWord(word))


_LANG_IDENTIFIER = None


def detect_language(text: str, default: str = "de") -> str:
    """Guess de or en with py3langid (restricted to those two); short or empty text -> default."""
    global _LANG_IDENTIFIER
    if len(text.strip()) < 3:
        return default
    if _LANG_IDENTIFIER is None:
        import py3langid.langid as langid

        ident = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=False)
        ident.set_languages(["de", "en"])
        _LANG_IDENTIFIER = ident
    lang = str(_LANG_IDENTIFIER.classify(text)[0])
    return lang if lang in ("de", "en") else default


def char_ngrams(word: str, lo: int = 3, hi: int = 5) -> tuple[str, ...]:
    """Character n-grams of one folded word padded with spaces (like scikit-learn's char_wb)."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(lo, hi + 1):
        if n > len(padded):
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


# Linking elements (Fugen) allowed at the end of a compound's modifier: Arbeit-s-platz,
# Palette-n-lager.
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


@dataclass(frozen=True, slots=True)
class AnalyzedToken:
    """A content token: as typed, folded, stemmed, and the stems of its compound parts."""

    surface: str
    norm: str
    stem: str
    lang: str
    parts: tuple[str, ...] = ()  # folded parts (compound or hyphen)
    part_stems: tuple[str, ...] = ()
    in_title: bool = False
    corrected: str | None = None  # folded vocabulary word this token was read as (typo)
    negated: bool = False


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
