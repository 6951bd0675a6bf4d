"""Numbers as pages show them: one format for quantities, percentages and distances everywhere,
in the reader's language (Babel), and units in the plural form that fits the quantity."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_decimal, format_percent

from matchmaker.i18n import gettext as _
from matchmaker.i18n import ngettext
from matchmaker.models import Unit

Number = int | float | Decimal

# "%(amount)s" is the formatted quantity; the plural form follows the quantity ("1 Person").
_UNIT_COUNTS: dict[str, Callable[[int, str], str]] = {
    Unit.PIECE.value: lambda n, num: ngettext(
        "%(amount)s piece", "%(amount)s pieces", n, amount=num
    ),
    Unit.KG.value: lambda n, num: _("%(amount)s kg", amount=num),
    Unit.T.value: lambda n, num: _("%(amount)s t", amount=num),
    Unit.M.value: lambda n, num: _("%(amount)s m", amount=num),
    Unit.M2.value: lambda n, num: _("%(amount)s m²", amount=num),
    Unit.M3.value: lambda n, num: _("%(amount)s m³", amount=num),
    Unit.L.value: lambda n, num: ngettext("%(amount)s litre", "%(amount)s litres", n, amount=num),
    Unit.PALLET.value: lambda n, num: ngettext(
        "%(amount)s pallet", "%(amount)s pallets", n, amount=num
    ),
    Unit.PALLET_SPACE.value: lambda n, num: ngettext(
        "%(amount)s pallet space", "%(amount)s pallet spaces", n, amount=num
    ),
    Unit.HOUR.value: lambda n, num: ngettext("%(amount)s hour", "%(amount)s hours", n, amount=num),
    Unit.SHIFT.value: lambda n, num: ngettext(
        "%(amount)s shift", "%(amount)s shifts", n, amount=num
    ),
    Unit.DAY.value: lambda n, num: ngettext("%(amount)s day", "%(amount)s days", n, amount=num),
    Unit.WEEK.value: lambda n, num: ngettext("%(amount)s week", "%(amount)s weeks", n, amount=num),
    Unit.MONTH.value: lambda n, num: ngettext(
        "%(amount)s month", "%(amount)s months", n, amount=num
    ),
    Unit.PERSON.value: lambda n, num: ngettext(
        "%(amount)s person", "%(amount)s persons", n, amount=num
    ),
    Unit.LOT.value: lambda n, num: ngettext("%(amount)s lot", "%(amount)s lots", n, amount=num),
}


def number(value: Number) -> str:
    """A decimal in the reader's format: 1.234,5 in German, 1,234.5 in English."""
    return str(format_decimal(value, format="#,##0.###"))


def quantity(value: Number, unit: str | None) -> str:
    """ "1 Person", "2 Personen", "1,5 t": the unit's plural form follows the quantity."""
    shown = number(value)
    if not unit:
        return shown
    count = _UNIT_COUNTS.get(unit)
    if count is None:
        return f"{shown} {unit}"
    # Plural rules take whole numbers; any fraction reads as plural ("1,5 Stunden").
    return count(1 if Decimal(str(value)) == 1 else 2, shown)


def percent(share: float) -> str:
    """A share of 1 as a whole percentage: "61 %" in German, "61%" in English."""
    return str(format_percent(share))


def distance(km: Number) -> str:
    """Whole kilometres, rounded half to even like the figures in the matching's explanations."""
    return _("%(km)s km", km=number(round(float(km))))


def init_app(app: Flask) -> None:
    filters: dict[str, Any] = {
        "number": number,
        "percent": percent,
        "distance": distance,
    }
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals["format_quantity_unit"] = quantity
