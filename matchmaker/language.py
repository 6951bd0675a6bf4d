"""Which language a posting is written in (German or English), when the author did not say."""

from __future__ import annotations

from functools import cache
from typing import Any

MIN_CONFIDENCE = 0.75


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["de", "en"])
    return identifier


def detect_language(text: str, *, fallback: str = "de") -> str:
    """``de`` or ``en``; short or mixed texts below the confidence bar get ``fallback``."""
    if not text.strip():
        return fallback
    language, confidence = _identifier().classify(text)
    return str(language) if confidence >= MIN_CONFIDENCE else fallback
