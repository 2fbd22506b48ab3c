"""Server-rendered SVG charts (no chart library in the browser): accessible, escaped, small."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 28
GAP = 8
LABEL_WIDTH = 120
WIDTH = 360
COLOR = "#b4232a"


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, unit: str = "") -> Markup:
    """A horizontal bar chart: one labelled bar per item, scaled to the largest value."""
    height = max(1, len(items)) * (BAR_HEIGHT + GAP) + GAP
    largest = max((value for _, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 56
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append(f'<text x="{GAP}" y="{BAR_HEIGHT - 8}" font-size="14">—</text>')
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = max(2.0, room * value / largest) if value else 0
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.68:.1f}" font-size="14" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'rx="3" fill="{COLOR}"><title>{escape(label)}: {_number(value)}{escape(unit)}'
            "</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.68:.1f}" '
            f'font-size="14">{_number(value)}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_bar(title: str, shares: Sequence[tuple[str, float, str]]) -> Markup:
    """One stacked bar of shares (label, fraction 0–1, colour) with a legend."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 64" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    x = 0.0
    legend_x = 0.0
    for label, fraction, color in shares:
        width = WIDTH * max(0.0, min(1.0, fraction))
        text = f"{escape(label)} {fraction:.0%}"
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="28" fill="{color}">'
            f"<title>{text}</title></rect>"
            f'<rect x="{legend_x:.1f}" y="40" width="12" height="12" fill="{color}"/>'
            f'<text x="{legend_x + 16:.1f}" y="51" font-size="13">{text}</text>'
        )
        x += width
        legend_x += WIDTH / max(1, len(shares))
    parts.append("</svg>")
    return Markup("".join(parts))
