"""Explanation parts for grades and ruled-out terms (see ``grades`` and ``negation``)."""

from __future__ import annotations

from typing import Any

from .features import Analysis
from .grades import conflicting_grades, grades_of
from .negation import word_keys

__all__ = ["different_grades", "exclusion_penalties", "grade_penalties"]


def _penalty(code: str, de: str, en: str, value: float) -> dict[str, Any]:
    return {"code": code, "message_de": de, "message_en": en, "value": round(value, 3)}


def different_grades(need_term: str, offer_term: str) -> bool:
    """Two terms that are different grades of one designation system (never equivalent)."""
    from .text import TextAnalyzer

    an = TextAnalyzer()
    a = grades_of(an.analyze(need_term, "", "de"))
    b = grades_of(an.analyze(offer_term, "", "de"))
    return bool(a and b and conflicting_grades(a, b))


def grade_penalties(need: Analysis, offer: Analysis, value: float) -> list[dict[str, Any]]:
    out = []
    for a, b in conflicting_grades(need.grades, offer.grades):
        na, ob = ", ".join(a).upper(), ", ".join(b).upper()
        out.append(
            _penalty(
                "wrong_material",
                f"Andere Werkstoffsorte: gesucht {na}, angeboten {ob}",
                f"Different material grade: need asks for {na}, offer is {ob}",
                value,
            )
        )
    return out


def _ruled_out(rules: Analysis, other: Analysis) -> list[str]:
    words = word_keys(other.fuzzy_text.split())
    out = [
        t.surface
        for t in rules.negated
        if word_keys([t.corrected or t.norm]) & words or grades_of([t]) & other.grades
    ]
    if not out and rules.negated_concepts & set(other.tagging.hits):
        out = [t.surface for t in rules.negated]
    return out


def exclusion_penalties(need: Analysis, offer: Analysis, value: float) -> list[dict[str, Any]]:
    out = []
    if words := _ruled_out(need, offer):
        w = ", ".join(words)
        out.append(
            _penalty(
                "excluded",
                f"Der Bedarf schließt aus, was das Angebot nennt: nicht {w}",
                f"The need rules out what the offer names: not {w}",
                value,
            )
        )
    if words := _ruled_out(offer, need):
        w = ", ".join(words)
        out.append(
            _penalty(
                "excluded",
                f"Das Angebot schließt aus, was der Bedarf nennt: nicht {w}",
                f"The offer rules out what the need names: not {w}",
                value,
            )
        )
    return out
