"""The pack's two charts as inline SVG: each event's delay against the 60-minute target, by
audience; the share within target per quarter. Colours are always doubled by text.

Drawn at print size: one unit is one point when the chart spans the text width of the PDF's
A4 page (indicators.html.j2), so a font size here is the size on paper (8 points at least).
On screen the chart stretches to its container."""

from __future__ import annotations

from html import escape

from crisis.french import compact_datetime
from crisis.reporting.indicators_model import AUDIENCES, EventRow, Indicators

# 21 cm less the two 1.5 cm margins of the PDF's pages, in points
PRINT_WIDTH_POINTS = 18 / 2.54 * 72
WIDTH = round(PRINT_WIDTH_POINTS)
FONT_SIZE = 9  # points on paper
SMALL_FONT_SIZE = 8  # the smallest text of a chart: dates, values above the bars
PANEL = 88
PANEL_GAP = 32  # the dates under a panel and the next panel's title
LEFT = 42
RIGHT = 6
TARGET = 60
COLOURS = {"met": "#18753c", "met_late": "#b34000", "breached": "#ce0500", "running": "#6a6af4"}
PANEL_TITLES = {
    "cell": "Cellule opérationnelle (engagement 47)",
    "elus": "Information des élus (engagement 48)",
    "public": "Information du public (engagement 48)",
    "media": "Information des médias (engagement 48)",
}
QUARTER_CLOCKS = {"cell": "Cellule", "elus": "Élus", "public": "Public", "media": "Médias"}
QUARTER_COLOURS = {"cell": "#000091", "elus": "#6a6af4", "public": "#009081", "media": "#b34000"}


def _svg_open(height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'style="width:100%;height:auto" role="img" aria-label="{escape(label)}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="{FONT_SIZE}">'
    )


def delays_svg(rows: list[EventRow]) -> str:
    """One panel per clock; one bar per event, the dashed line at the 60-minute target.

    A clock never met is drawn to the top of the panel and marked « non tenu »."""
    counted = [r for r in rows if r.counted and r.clocks]
    if not counted:
        return ""
    clocks = ("cell", *AUDIENCES)
    delays = [
        f.delay_minutes for r in counted for f in r.clocks.values() if f.delay_minutes is not None
    ]
    top = max([2 * TARGET, *delays]) * 1.1
    plot = WIDTH - LEFT - RIGHT
    step = plot / len(counted)
    bar = max(min(step * 0.7, 24), 1.5)
    height = len(clocks) * (PANEL + PANEL_GAP) + 24
    parts = [_svg_open(height, "Délai de chaque événement face à l'objectif d'une heure")]
    for index, clock in enumerate(clocks):
        y0 = 16 + index * (PANEL + PANEL_GAP)
        base = y0 + PANEL

        def y(minutes: float, base: float = base) -> float:
            return base - PANEL * min(minutes, top) / top

        parts.append(
            f'<text x="{LEFT}" y="{y0 - 4}" font-weight="bold">{PANEL_TITLES[clock]}</text>'
            f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#666"/>'
            f'<line x1="{LEFT}" y1="{y(TARGET):.1f}" x2="{WIDTH - RIGHT}" y2="{y(TARGET):.1f}" '
            'stroke="#ce0500" stroke-dasharray="6 4"/>'
            f'<text x="{LEFT - 6}" y="{y(TARGET) + 4:.1f}" text-anchor="end">60 min</text>'
            f'<text x="{LEFT - 6}" y="{base + 4}" text-anchor="end">0</text>'
        )
        for position, row in enumerate(counted):
            figure = row.clocks.get(clock)
            if figure is None:
                continue
            x = LEFT + position * step + (step - bar) / 2
            colour = COLOURS.get(figure.verdict, "#666")
            value = figure.delay_minutes if figure.delay_minutes is not None else top
            tip = (
                f"{escape(row.title)} ({compact_datetime(row.decided_at or figure.started_at)}) : "
                f"{figure.verdict_label}"
                + (f", {figure.delay_minutes:g} min" if figure.delay_minutes is not None else "")
            )
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{base - y(value):.1f}" fill="{colour}"'
                + (' fill-opacity="0.35"' if figure.delay_minutes is None else "")
                + f"><title>{tip}</title></rect>"
            )
            if step >= 28:
                when = compact_datetime(row.decided_at or figure.started_at).split()[0]
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{base + 10}" text-anchor="middle" '
                    f'font-size="{SMALL_FONT_SIZE}">{when}</text>'
                )
            if figure.delay_minutes is None and bar >= 8:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y0 + 10}" text-anchor="middle" '
                    f'fill="#ce0500">{"×" if figure.verdict == "breached" else "…"}</text>'
                )
    legend_y = height - 4
    legend = (
        ("met", "tenu"),
        ("met_late", "tenu en retard"),
        ("breached", "non tenu (×)"),
        ("running", "en cours (…)"),
    )
    for index, (state, text) in enumerate(legend):
        x = LEFT + index * 112
        parts.append(
            f'<rect x="{x}" y="{legend_y - 8}" width="9" height="9" fill="{COLOURS[state]}"/>'
            f'<text x="{x + 13}" y="{legend_y}">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bar_label(x: float, y: float, text: str, *, upright: bool) -> str:
    """The value above a bar: across it when it is wide enough, else turned up along it."""
    if upright:
        return (
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
            f'font-size="{SMALL_FONT_SIZE}">{text}</text>'
        )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate(-90 {x:.1f} {y:.1f})" '
        f'dominant-baseline="central" font-size="{SMALL_FONT_SIZE}">{text}</text>'
    )


def quarters_svg(pack: Indicators) -> str:
    """Grouped bars: for each quarter, the share of events within target for each clock."""
    quarters: list[str] = []
    for item in pack.quarters:
        if item.quarter not in quarters:
            quarters.append(item.quarter)
    if not quarters or not any(s.events for s in pack.quarters):
        return ""
    height = 190
    base = 150  # room above the plot for a value turned up along its bar
    plot_height = 112
    group = (WIDTH - LEFT - RIGHT) / len(quarters)
    bar = min(group / 5, 26)
    parts = [_svg_open(height, "Part des événements dans l'objectif, par trimestre")]
    for percent in (0, 50, 100):
        y = base - plot_height * percent / 100
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 3}" text-anchor="end">{percent} %</text>'
        )
    for qi, quarter in enumerate(quarters):
        gx = LEFT + qi * group + (group - 4 * bar) / 2
        parts.append(
            f'<text x="{LEFT + qi * group + group / 2:.1f}" y="{base + 13}" '
            f'text-anchor="middle" font-weight="bold">{quarter}</text>'
        )
        shares = {s.clock: s for s in pack.quarters if s.quarter == quarter}
        for ci, clock in enumerate(QUARTER_CLOCKS):
            share = shares.get(clock)
            x = gx + ci * bar
            if share is None or share.share_within_target is None:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{base - 4}" text-anchor="middle">—</text>'
                )
                continue
            h = plot_height * share.share_within_target
            label = f"{round(share.share_within_target * 100)} %"
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                f'fill="{QUARTER_COLOURS[clock]}"><title>{QUARTER_CLOCKS[clock]}, {quarter} : '
                f"{share.within_target} sur {share.events}</title></rect>"
                + _bar_label(x + bar / 2, base - h - 3, label, upright=bar >= 24)
            )
    for ci, (clock, text) in enumerate(QUARTER_CLOCKS.items()):
        x = LEFT + ci * 90
        parts.append(
            f'<rect x="{x}" y="{height - 12}" width="9" height="9" '
            f'fill="{QUARTER_COLOURS[clock]}"/><text x="{x + 13}" y="{height - 4}">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
