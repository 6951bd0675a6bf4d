"""Structural fit of a need and an offer beside their text: category, distance, quantity, dates.

Each part is a factor in (0, 1] that multiplies the text similarity; 1 means "no objection".
Only the
radius is a filter (see README): a pair farther apart than the radius is never suggested.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .thesaurus import CATEGORIES

__all__ = [
    "CATEGORY_COMPATIBILITY",
    "UNITS",
    "category_factor_table",
    "quantity_ratio",
    "unit_scale",
]

UNITS: tuple[str, ...] = (
    "piece",
    "kg",
    "t",
    "m",
    "m2",
    "m3",
    "l",
    "pallet",
    "pallet_space",
    "hour",
    "shift",
    "day",
    "week",
    "month",
    "person",
    "lot",
)

# Cross-category pairs that often solve each other (symmetric): factor applied to the score.
CATEGORY_COMPATIBILITY: dict[frozenset[str], float] = {
    frozenset({"personnel", "services"}): 0.85,
    frozenset({"production_capacity", "equipment"}): 0.85,
    frozenset({"production_capacity", "services"}): 0.85,
    frozenset({"logistics", "storage"}): 0.85,
    frozenset({"know_how", "services"}): 0.85,
    frozenset({"know_how", "personnel"}): 0.8,
    frozenset({"equipment", "services"}): 0.8,
    frozenset({"logistics", "services"}): 0.8,
    frozenset({"storage", "services"}): 0.8,
    frozenset({"material", "production_capacity"}): 0.75,
    frozenset({"production_capacity", "personnel"}): 0.75,
    frozenset({"know_how", "production_capacity"}): 0.75,
    frozenset({"know_how", "equipment"}): 0.75,
    frozenset({"storage", "equipment"}): 0.7,
}

# Mass units convert into each other; every other unit only compares with itself.
_SCALE: dict[str, tuple[str, float]] = {"kg": ("kg", 1.0), "t": ("kg", 1000.0)}


def unit_scale(unit: str | None) -> tuple[str, float] | None:
    """(base unit, factor to base) of a unit, None if unknown."""
    if unit is None:
        return None
    return _SCALE.get(unit, (unit, 1.0))


def quantity_ratio(
    need_qty: float | None, need_unit: str | None, offer_qty: float | None, offer_unit: str | None
) -> float | None:
    """Share of the needed quantity the offer covers (capped at 1), None if not comparable."""
    if not need_qty or not offer_qty or need_qty <= 0 or offer_qty <= 0:
        return None
    a, b = unit_scale(need_unit), unit_scale(offer_unit)
    if a is None or b is None or a[0] != b[0]:
        return None
    return min(1.0, (offer_qty * b[1]) / (need_qty * a[1]))


def category_factor_table(*, mismatch: float, unknown: float = 1.0) -> NDArray[np.float64]:
    """(len(CATEGORIES)+1)^2 table of category factors; the last index is "no category"."""
    n = len(CATEGORIES)
    table = np.full((n + 1, n + 1), mismatch, dtype=np.float64)
    for i, a in enumerate(CATEGORIES):
        for j, b in enumerate(CATEGORIES):
            if i == j:
                table[i, j] = 1.0
            else:
                table[i, j] = CATEGORY_COMPATIBILITY.get(frozenset({a, b}), mismatch)
    table[n, :] = unknown
    table[:, n] = unknown
    return table


def category_index(category: str | None) -> int:
    """Row of a category in the factor table (unknown categories count as none)."""
    try:
        return CATEGORIES.index(category) if category is not None else len(CATEGORIES)
    except ValueError:
        return len(CATEGORIES)
