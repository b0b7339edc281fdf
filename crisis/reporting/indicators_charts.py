"""The pack's two charts as inline SVG: each event's delay against the 60-minute target, by
audience; the share within target per quarter. Colours are always doubled by text."""

from __future__ import annotations

from html import escape

from crisis.french import compact_datetime
from crisis.reporting.indicators_model import AUDIENCES, EventRow, Indicators

WIDTH = 900
PANEL = 150
LEFT = 60
RIGHT = 20
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
        'font-family="sans-serif" font-size="11">'
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
    bar = max(min(step * 0.7, 40), 1.5)
    height = len(clocks) * (PANEL + 34) + 40
    parts = [_svg_open(height, "Délai de chaque événement face à l'objectif d'une heure")]
    for index, clock in enumerate(clocks):
        y0 = 20 + index * (PANEL + 34)
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
            if step >= 30:
                when = compact_datetime(row.decided_at or figure.started_at).split()[0]
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{base + 12}" text-anchor="middle" '
                    f'font-size="9">{when}</text>'
                )
            if figure.delay_minutes is None and bar >= 8:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y0 + 12}" text-anchor="middle" '
                    f'fill="#ce0500">{"×" if figure.verdict == "breached" else "…"}</text>'
                )
    legend_y = height - 10
    legend = (
        ("met", "tenu"),
        ("met_late", "tenu en retard"),
        ("breached", "non tenu (×)"),
        ("running", "en cours (…)"),
    )
    for index, (state, text) in enumerate(legend):
        x = LEFT + index * 170
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[state]}"/>'
            f'<text x="{x + 18}" y="{legend_y}">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def quarters_svg(pack: Indicators) -> str:
    """Grouped bars: for each quarter, the share of events within target for each clock."""
    quarters: list[str] = []
    for item in pack.quarters:
        if item.quarter not in quarters:
            quarters.append(item.quarter)
    if not quarters or not any(s.events for s in pack.quarters):
        return ""
    height = 260
    base = 200
    plot_height = 170
    group = (WIDTH - LEFT - RIGHT) / len(quarters)
    bar = min(group / 5, 40)
    parts = [_svg_open(height, "Part des événements dans l'objectif, par trimestre")]
    for percent in (0, 50, 100):
        y = base - plot_height * percent / 100
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{percent} %</text>'
        )
    for qi, quarter in enumerate(quarters):
        gx = LEFT + qi * group + (group - 4 * bar) / 2
        parts.append(
            f'<text x="{LEFT + qi * group + group / 2:.1f}" y="{base + 18}" '
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
                f'<text x="{x + bar / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" '
                f'font-size="9">{label}</text>'
            )
    for ci, (clock, text) in enumerate(QUARTER_CLOCKS.items()):
        x = LEFT + ci * 150
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
            f'fill="{QUARTER_COLOURS[clock]}"/><text x="{x + 18}" y="{height - 12}">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
