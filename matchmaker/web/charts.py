"""Server-rendered SVG bar charts: no script, no third-party library, no inline styles (the
page's CSP allows neither), colours as SVG presentation attributes."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 190
BAR_WIDTH = 420
POSITIVE = "#2563eb"
NEGATIVE = "#dc2626"


def bar_chart(bars: list[tuple[str, float]], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); negative values extend to the left of zero."""
    if not bars:
        return Markup("")
    low = min(0.0, *(value for _label, value in bars))
    high = max(0.0, *(value for _label, value in bars))
    span = (high - low) or 1.0
    zero = LABEL_WIDTH + BAR_WIDTH * (-low / span)
    height = ROW * len(bars) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}" stroke="#9ca3af"/>',
    ]
    for row, (label, value) in enumerate(bars):
        y = row * ROW + 5
        length = BAR_WIDTH * abs(value) / span
        x = zero if value >= 0 else zero - length
        colour = POSITIVE if value >= 0 else NEGATIVE
        number = f"{value:g}{unit}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13" '
            f'fill="#1f2937">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{ROW - 8}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(number)}</title></rect>'
        )
        text_x = (x + length + 6) if value >= 0 else (zero + 6)  # never over the labels
        anchor = "start"
        parts.append(
            f'<text x="{text_x:.1f}" y="{y + 15}" text-anchor="{anchor}" font-size="12" '
            f'fill="#374151">{escape(number)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
