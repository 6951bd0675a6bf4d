"""Material grades: recognised across spellings, never from PLC names, dimensions or years."""

from __future__ import annotations

import pytest

from matchmaker.matching.grades import conflicting_grades, grades_of
from matchmaker.matching.text import TextAnalyzer


def _grades(text: str) -> set[tuple[str, str]]:
    return set(grades_of(TextAnalyzer().analyze(text, "", "de")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Edelstahlblech 1.4404", {("number", "1.4404")}),
        ("Bleche V2A", {("number", "1.4301")}),
        ("Träger S355J2+N", {("steel", "s355")}),
        ("Profile EN AW-6060 oder 6082", {("aw", "6060"), ("aw", "6082")}),
        ("Aluminium 7075 T6", {("aw", "7075")}),
        ("Rohre SS316L", {("aisi", "316l")}),
        ("Rohre AISI 316L", {("aisi", "316l")}),
        ("SPS S7-300 und S7-1500", set()),
        ("Aluminiumtafeln 1250x2500, 2024 gekauft, 4000 kg", set()),
    ],
)
def test_grades_are_recognised(text: str, expected: set[tuple[str, str]]) -> None:
    assert _grades(text) == expected


def test_only_grades_of_one_system_without_a_common_grade_conflict() -> None:
    v4a, g1_4404 = (
        grades_of(TextAnalyzer().analyze("V4A", "", "de")),
        frozenset({("number", "1.4404")}),
    )
    assert conflicting_grades(g1_4404, v4a) == []  # V4A covers 1.4404
    assert conflicting_grades(g1_4404, frozenset({("number", "1.4301")})) == [
        (["1.4404"], ["1.4301"])
    ]
    assert conflicting_grades(g1_4404, frozenset({("aisi", "304")})) == []  # other system
