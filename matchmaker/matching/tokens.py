"""Tokens and word forms shared by the text pipeline, negation and material grades: folding,
stop and intent words, raw tokens, stemming, language detection, character n-grams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

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
