"""Free-text search over postings that behaves the same on SQLite and PostgreSQL.

Postings keep a folded copy of their text (``Posting.search_text``); queries are folded the same
way, so "Kuehlung" finds "Kühlung" and "STRASSE" finds "Straße" on every backend. The umlaut
rules are the matching library's (:func:`matchmaker.matching.text.fold`), so search and matching
read a word the same way.
"""

from __future__ import annotations

import re
import unicodedata

from matchmaker.matching.text import fold as fold_spelling

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TERMS = 8


def fold(text: str) -> str:
    """The matching library's fold, without other accents and with single spaces."""
    text = fold_spelling(text)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _SPACE.sub(" ", text).strip()


def terms(query: str) -> list[str]:
    """The words of a query, folded; at most :data:`MAX_TERMS` of them."""
    words = [w for w in re.split(r"[\W_]+", fold(query)) if w]
    return words[:MAX_TERMS]


def has_control_characters(text: str) -> bool:
    """Such a value matches no stored name or slug, and PostgreSQL refuses NUL in parameters."""
    return _CONTROL.search(text) is not None


def clean_query(text: str) -> str:
    """A typed search text without control characters (PostgreSQL refuses NUL in parameters)."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
