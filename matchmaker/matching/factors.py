"""Structural factors of a pair: category, distance and radius, quantity, availability window.

They only lower a score (each factor is at most 1), which lets ranking prefilter on text.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .index import Query, Side
from .types import EngineConfig

__all__ = ["structure_factors"]

_KM_PER_DEG = math.pi * 6371.0 / 180.0


def structure_factors(
    cfg: EngineConfig,
    cat_table: NDArray[np.float64],
    q: Query,
    side: Side,
    rows: NDArray[np.int64] | slice,
) -> dict[str, NDArray[np.float64]]:
    """Category, distance, quantity and availability factors for rows of a side."""
    m = q.meta
    cat = cat_table[m.cat, side.cat.view()[rows]]
    n = len(cat)
    if math.isnan(m.lat):
        dist = np.full(n, np.nan)
    else:
        # equirectangular approximation: < 1 % error at the scale of Germany, and cheap
        lat, lon = side.lat.view()[rows], side.lon.view()[rows]
        kx = math.cos(math.radians(m.lat)) * _KM_PER_DEG
        dist = np.hypot((lon - m.lon) * kx, (lat - m.lat) * _KM_PER_DEG)
    radius_other = side.radius.view()[rows]
    if q.doc.kind == "need":
        radius = np.full(n, m.radius) if not math.isnan(m.radius) else radius_other
    else:
        radius = np.where(np.isnan(radius_other), m.radius, radius_other)
    with np.errstate(invalid="ignore"):
        too_far = (dist > radius) & ~np.isnan(dist) & ~np.isnan(radius)
    closeness = np.where(
        np.isnan(dist),
        1.0,
        1.0 - np.minimum(dist, cfg.distance_scale_km) / cfg.distance_scale_km,
    )
    dist_f = 1.0 - cfg.distance_weight * (1.0 - closeness)
    dist_f = np.where(too_far, dist_f * cfg.too_far, dist_f)
    if math.isnan(m.qty) or m.unit < 0:
        ratio = np.full(n, np.nan)
    else:
        qty_o, unit_o = side.qty.view()[rows], side.unit.view()[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            if q.doc.kind == "need":
                ratio = np.where(unit_o == m.unit, np.minimum(1.0, qty_o / m.qty), np.nan)
            else:
                ratio = np.where(unit_o == m.unit, np.minimum(1.0, m.qty / qty_o), np.nan)
    qty_f = np.where(np.isnan(ratio), 1.0, 1.0 - cfg.quantity_weight * (1.0 - ratio))
    if math.isinf(m.start) and math.isinf(m.end) and side.windows == 0:
        overlap = np.ones(n, np.bool_)
    else:
        start_o, end_o = side.start.view()[rows], side.end.view()[rows]
        overlap = np.maximum(start_o, m.start) <= np.minimum(end_o, m.end)
    avail_f = np.where(overlap, 1.0, cfg.window_mismatch)
    same_owner = side.owner.view()[rows] == m.owner if m.owner >= 0 else np.zeros(n, np.bool_)
    return {
        "same_owner": same_owner.astype(np.float64),
        "category": cat,
        "distance": closeness,
        "distance_f": dist_f,
        "distance_km": dist,
        "too_far": too_far.astype(np.float64),
        "quantity": np.where(np.isnan(ratio), 1.0, ratio),
        "quantity_f": qty_f,
        "quantity_known": (~np.isnan(ratio)).astype(np.float64),
        "availability": overlap.astype(np.float64),
        "availability_f": avail_f,
    }
