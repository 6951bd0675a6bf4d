"""Public types of the matching engine: what it is given (postings, weights) and its constants.

Kept apart from the engine so that every part (index, scoring, explanations) can import them without
import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "ENGINE_VERSION",
    "HIDDEN_COMPONENTS",
    "KINDS",
    "PUBLIC_COMPONENTS",
    "EngineConfig",
    "PostingDoc",
]

ENGINE_VERSION = "1.3.1"

KINDS = ("need", "offer")
PUBLIC_COMPONENTS = (
    "text_word",
    "text_char",
    "concept",
    "fuzzy",
    "semantic",
    "text",
    "category",
    "distance",
    "quantity",
    "availability",
    "penalty",
)
HIDDEN_COMPONENTS = (
    "_wrong_material",
    "_too_far",
    "_distance_km",
    "_quantity_known",
    "_same_owner",
    "_excluded",
    "_wrong_grade",
)


@dataclass(frozen=True)
class PostingDoc:
    """What the engine knows of a posting."""

    id: int | str
    kind: str
    title: str
    description: str = ""
    category: str | None = None
    postal_code: str | None = None
    radius_km: float | None = None
    quantity: float | None = None
    unit: str | None = None
    available_from: date | None = None
    available_until: date | None = None
    language: str | None = None
    # who posted it (e.g. the company id): postings of one owner are never matched with each other
    owner: int | str | None = None


@dataclass(frozen=True)
class EngineConfig:
    """Weights and limits of the score; tuned on the development needs and STS-de train."""

    w_word: float = 0.30
    w_char: float = 0.20
    w_concept: float = 0.30
    w_fuzzy: float = 0.10
    # similarity() (symmetric text similarity, e.g. STS): own weights
    s_word: float = 0.40
    s_char: float = 0.40
    s_concept: float = 0.10
    s_fuzzy: float = 0.10
    # semantic component (sentence encoder; only with an encoder): its weight in the text mean,
    # and the cosine below which it counts 0 (rescaled linearly to [0, 1] above)
    w_semantic: float = 0.50
    s_semantic: float = 2.50
    semantic_floor: float = 0.0
    semantic_conflict: float = 1.0  # share of the semantic part a wrong material takes away
    dense_candidates: int = 200  # dense nearest rows merged with the lexical candidates
    exact_dense_limit: int = 2048  # sides up to this size get the exact cosine for every row
    title_weight: float = 2.0
    part_weight: float = 0.5
    number_weight: float = 0.3
    word_max_df: float = 0.25
    char_max_df: float = 0.2
    char_ngram_min: int = 4
    char_ngram_max: int = 4
    # concept score = need_coverage * w + offer_coverage * (1 - w)
    need_coverage_weight: float = 0.75
    category_mismatch: float = 0.6
    distance_scale_km: float = 300.0
    distance_weight: float = 0.1
    quantity_weight: float = 0.4
    window_mismatch: float = 0.6
    too_far: float = 0.3
    wrong_material: float = 0.3
    wrong_sense: float = 0.5
    excluded: float = 0.5  # the partner names what a posting rules out ("nicht 1.4301")
    # different grades of one designation system (1.4404 / 1.4301): a different material whose
    # code looks alike, so stronger than wrong_material
    wrong_grade: float = 0.8
    candidate_pool: int = 40
    prefilter: int = 300
    compact_ratio: float = 0.25
    min_corpus_word_df: int = 2
    typo_min_df: int = 3
