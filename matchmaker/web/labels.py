"""Labels the pages show for stored values."""

from __future__ import annotations

from typing import Any

from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Unit

UNIT_LABELS: dict[str, Any] = {
    Unit.PIECE.value: _l("pieces"),
    Unit.KG.value: _l("kg"),
    Unit.T.value: _l("t"),
    Unit.M.value: _l("m"),
    Unit.M2.value: _l("m²"),
    Unit.M3.value: _l("m³"),
    Unit.L.value: _l("litres"),
    Unit.PALLET.value: _l("pallets"),
    Unit.PALLET_SPACE.value: _l("pallet spaces"),
    Unit.HOUR.value: _l("hours"),
    Unit.SHIFT.value: _l("shifts"),
    Unit.DAY.value: _l("days"),
    Unit.WEEK.value: _l("weeks"),
    Unit.MONTH.value: _l("months"),
    Unit.PERSON.value: _l("persons"),
    Unit.LOT.value: _l("lots"),
}
