"""Material designations (grades): 1.4404 and 1.4301, S235 and S355, EN AW-6060 and EN AW-7075 are
different materials. Two postings that name grades of the same designation system but no grade in
common want different materials, whatever concept the grades share in the thesaurus.

Recognised on folded content tokens, independent of the thesaurus:

* material numbers (EN 10027-2 and the like): ``1.4301``, ``2.4856``, ``3.7165``;
* steel names (EN 10025 / 10027-1): ``S235JR``, ``S355J2``, ``E295`` (the strength class counts);
* aluminium (EN 573): ``EN AW-6060``, ``AW 7075``, and a bare four-digit alloy number next to an
  AW designation or followed by a temper (``7075 T6``); other bare numbers are dimensions;
* AISI/SS numbers: ``AISI 304``, ``SS316L``; ``V2A`` = 1.4301, ``V4A`` = 1.4401/1.4404/1.4571.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .tokens import AnalyzedToken

__all__ = ["Grade", "conflicting_grades", "grades_of"]

Grade = tuple[str, str]  # (designation system, grade)

_NUMBER = re.compile(r"[1-3]\.\d{4}")
_STEEL = re.compile(r"([se]\d{3})(?:[a-z][a-z0-9]*)?")
_AW = re.compile(r"aw(\d{4})[a-z0-9]*")
_ALLOY = re.compile(r"[1-8]\d{3}")
_SS = re.compile(r"ss(\d{3}[a-z]?)")
_AISI_NO = re.compile(r"\d{3}[a-z]?")
_TEMPER = re.compile(r"t\d{1,4}|h\d{2,3}")
# trade names that stand for material numbers (V4A covers the acid-resistant grades)
_ALIASES: dict[str, frozenset[Grade]] = {
    "v2a": frozenset({("number", "1.4301")}),
    "v4a": frozenset({("number", "1.4401"), ("number", "1.4404"), ("number", "1.4571")}),
}


def grades_of(tokens: Sequence[AnalyzedToken]) -> frozenset[Grade]:
    """The material grades named by these tokens."""
    out: set[Grade] = set()
    norms = [t.norm for t in tokens]
    for i, n in enumerate(norms):
        prev = norms[i - 1] if i else ""
        after = norms[i + 1] if i + 1 < len(norms) else ""
        if n in _ALIASES:
            out.update(_ALIASES[n])
        elif _NUMBER.fullmatch(n):
            out.add(("number", n))
        elif m := _STEEL.fullmatch(tokens[i].parts[0] if tokens[i].parts else n):
            out.add(("steel", m.group(1)))  # S355J2+N; not S7-300 (a PLC)
        elif m := _AW.fullmatch(n):
            out.add(("aw", m.group(1)))
        elif _ALLOY.fullmatch(n) and (
            prev == "aw" or _AW.fullmatch(prev) or _TEMPER.fullmatch(after)
        ):
            out.add(("aw", n))  # "AW 7075", "EN AW-6060 oder 6082", "7075 T6"
        elif m := _SS.fullmatch(n):
            out.add(("aisi", m.group(1)))
        elif prev == "aisi" and _AISI_NO.fullmatch(n):
            out.add(("aisi", n))
    return frozenset(out)


def conflicting_grades(
    need: frozenset[Grade], offer: frozenset[Grade]
) -> list[tuple[list[str], list[str]]]:
    """Per designation system both name without a common grade: (need's grades, offer's)."""
    out = []
    for system in sorted({s for s, _ in need} & {s for s, _ in offer}):
        a = {g for s, g in need if s == system}
        b = {g for s, g in offer if s == system}
        if not a & b:
            out.append((sorted(a), sorted(b)))
    return out
