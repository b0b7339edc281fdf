"""The timeline chart of a report: clocks and messages over time, as inline SVG, with a legend.

Sizes are in SVG units; the chart is drawn at the width of an A4 page's text (18 cm, about
510 pt), so a font size of FONT_SIZE units prints at FONT_SIZE × 510 / WIDTH points: at least
8 pt, as the legibility check of the reports asserts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape

from crisis.domain.vocabulary import ClockName
from crisis.french import compact_datetime, short_time
from crisis.labels import CLOCK_SHORT_LABELS, purpose_label
from crisis.reporting.report_models import TimingReport

WIDTH = 760
LEFT = 215
RIGHT = 24
ROW = 32
TOP = 24
FONT_SIZE = 14
LEGEND_ROW = 24
LABEL_WIDTH = 64  # room for a tick label such as « 22 h 30 »
PRINTED_WIDTH_PT = 510  # A4 (210 mm) less 2 × 1.5 cm of margin

# However long the span, the axis has at most this many ticks (a decision entered centuries
# back must not draw one line per hour).
MAX_TICKS = 16
_TICK_STEPS = tuple(
    timedelta(minutes=m) for m in (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200, 525600)
)

COLOURS = {"met": "#18753c", "met_late": "#b34000", "breached": "#ce0500", "running": "#6a6af4"}
FACTUAL, OTHER = "#000091", "#b34000"


def printed_font_size_pt() -> float:
    return FONT_SIZE * PRINTED_WIDTH_PT / WIDTH


def _short_label(name: str, label: str) -> str:
    try:
        return CLOCK_SHORT_LABELS[ClockName(name)]
    except ValueError:
        return label


def _circle(cx: float, cy: float, colour: str, title: str = "") -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}">{tip}</circle>'


def _cross(cx: float, cy: float) -> str:
    return (
        f'<path d="M{cx - 5:.1f},{cy - 5:.1f} l10,10 m0,-10 l-10,10" stroke="#ce0500" '
        'stroke-width="2.5"/>'
    )


def _diamond(cx: float, cy: float, colour: str, title: str = "") -> str:
    tip = f"<title>{escape(title)}</title>" if title else ""
    return f'<path d="M{cx:.1f},{cy - 9:.1f} l6,9 l-6,9 l-6,-9 z" fill="{colour}">{tip}</path>'


def _bar(x: float, y: float, width: float) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 1):.1f}" height="14" '
        'fill="#e3e3fd" stroke="#000091"/>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


LEGEND = (
    ("bar", "délai de l'engagement (lancement → échéance)"),
    ("met", "objectif tenu"),
    ("met_late", "objectif tenu en retard"),
    ("breached", "échéance dépassée"),
    ("factual", "message d'information factuelle"),
    ("other", "autre message (appel, alerte…)"),
)


def _legend(top: float) -> list[str]:
    parts = [_text(20, top + 4, "Légende :")]
    for index, (mark, words) in enumerate(LEGEND):
        column, row = index % 2, index // 2
        x = 40 + column * 410
        y = top + (row + 1) * LEGEND_ROW
        if mark == "bar":
            parts.append(_bar(x - 14, y - 7, 28))
        elif mark in ("met", "met_late"):
            parts.append(_circle(x, y, COLOURS[mark]))
        elif mark == "breached":
            parts.append(_cross(x, y))
        else:
            parts.append(_diamond(x, y, FACTUAL if mark == "factual" else OTHER))
        parts.append(_text(x + 22, y + 5, words))
    return parts


def _first_tick(start: datetime, tick: timedelta) -> datetime:
    """The first round time (:00, :15, :30…) at or after the start, for ticks under a day."""
    if tick >= timedelta(days=1):
        return start
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    late = timedelta(seconds=(start - midnight).total_seconds() % tick.total_seconds())
    return start if not late else start + (tick - late)


def timeline_svg(report: TimingReport) -> str:
    if not report.clocks:
        return ""
    start = min(c.started_at for c in report.clocks)
    instants = [c.deadline for c in report.clocks] + [c.met_at for c in report.clocks if c.met_at]
    instants += [m.created_at for m in report.messages]
    end = max(instants) + timedelta(minutes=5)
    span = max((end - start).total_seconds(), 60.0)

    def x(at: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (at - start).total_seconds() / span

    rows = len(report.clocks) + 1
    axis = TOP + rows * ROW + 20
    legend_top = axis + 20
    height = legend_top + (len(LEGEND) // 2 + 1) * LEGEND_ROW + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        'style="width:100%;height:auto" role="img" '
        'aria-label="Chronologie des horloges et des messages, avec sa légende" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{FONT_SIZE}" fill="#161616">'
    ]
    tick = tick_step(span)
    label = short_time if tick < timedelta(days=1) else compact_datetime
    # Grid lines at every tick; labels only as often as they fit side by side.
    tick_width = (WIDTH - LEFT - RIGHT) * tick.total_seconds() / span
    label_width = LABEL_WIDTH if tick < timedelta(days=1) else 2 * LABEL_WIDTH
    every = max(1, math.ceil(label_width / tick_width))
    first = _first_tick(start, tick)
    for index in range(MAX_TICKS + 1):
        at = first + index * tick
        if at > end:
            break
        parts.append(
            f'<line x1="{x(at):.1f}" y1="{TOP - 8}" x2="{x(at):.1f}" y2="{axis - 16}" '
            'stroke="#ddd"/>'
        )
        if index % every == 0:
            parts.append(_text(x(at), axis, label(at), "middle"))
    for index, clock in enumerate(report.clocks):
        y = TOP + index * ROW
        parts.append(_text(LEFT - 8, y + 16, _short_label(clock.name, clock.label), "end"))
        parts.append(_bar(x(clock.started_at), y + 4, x(clock.deadline) - x(clock.started_at)))
        if clock.met_at is not None:
            colour = COLOURS.get(clock.state, "#666")
            title = f"{clock.label} : {short_time(clock.met_at)}"
            parts.append(_circle(x(clock.met_at), y + 11, colour, title))
        if clock.breach_raised_at is not None:
            parts.append(_cross(x(clock.deadline), y + 11))
    y = TOP + len(report.clocks) * ROW
    parts.append(_text(LEFT - 8, y + 16, "Messages", "end"))
    for message in report.messages:
        fill = FACTUAL if message.purpose == "factual" else OTHER
        title = f"{purpose_label(message.purpose)} : {short_time(message.created_at)}"
        parts.append(_diamond(x(message.created_at), y + 11, fill, title))
    parts += _legend(legend_top)
    parts.append("</svg>")
    return "".join(parts)


def tick_step(span_seconds: float) -> timedelta:
    """The first round step that keeps the axis within MAX_TICKS, else an even division."""
    for step in _TICK_STEPS:
        if span_seconds / step.total_seconds() <= MAX_TICKS:
            return step
    return timedelta(seconds=span_seconds / MAX_TICKS)
