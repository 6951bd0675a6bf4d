"""Multi-line text from forms: line breaks arrive as CRLF from browsers and are stored as LF."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matchmaker.schemas import DESCRIPTION_MAX, PostingInput, ReviewInput


def _posting(description: str) -> PostingInput:
    return PostingInput(
        kind="need", title="Edelstahlblech", category="material", description=description
    )


def test_crlf_and_cr_are_stored_as_lf() -> None:
    assert _posting("Zeile 1\r\nZeile 2\rZeile 3\nZeile 4").description == (
        "Zeile 1\nZeile 2\nZeile 3\nZeile 4"
    )
    assert ReviewInput(reason="Bitte\r\nergänzen").reason == "Bitte\nergänzen"


def test_a_line_break_counts_as_one_character_as_in_the_form() -> None:
    """A textarea with maxlength counts a line break once; the browser sends it as CRLF."""
    lines = "\r\n".join(["x" * 99] * 50)  # 4,950 characters and 49 line breaks
    assert len(lines) > DESCRIPTION_MAX  # as the browser sends it
    assert len(_posting(lines).description) == 4_999  # as the form counted it
    with pytest.raises(ValidationError):
        _posting("x" * DESCRIPTION_MAX + "\r\n")
