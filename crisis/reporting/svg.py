"""The timeline chart of a report: clocks and milestones over time, as inline SVG."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from crisis.french import compact_datetime, short_time
from crisis.reporting.report_models import TimingReport

WIDTH = 900
LEFT = 290
RIGHT = 30
ROW = 34
TOP = 40

# However long the span, the axis has at most this many ticks (a decision entered centuries
# back must not draw one line per hour).
MAX_TICKS = 16
_TICK_STEPS = tuple(
    timedelta(minutes=m) for m in (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200, 525600)
)

COLOURS = {"met": "#18753c", "met_late": "#b34000", "breached": "#ce0500", "running": "#6a6af4"}


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
    height = TOP + rows * ROW + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        'style="width:100%;height:auto" role="img" '
        'aria-label="Chronologie des horloges et des jalons" '
        'font-family="sans-serif" font-size="12">'
    ]
    tick = tick_step(span)
    label = short_time if tick < timedelta(days=1) else compact_datetime
    for index in range(MAX_TICKS + 1):
        at = start + index * tick
        if at > end:
            break
        parts.append(
            f'<line x1="{x(at):.1f}" y1="{TOP - 10}" x2="{x(at):.1f}" y2="{height - 25}" '
            'stroke="#ddd"/>'
            f'<text x="{x(at):.1f}" y="{height - 10}" text-anchor="middle">{label(at)}</text>'
        )
    for index, clock in enumerate(report.clocks):
        y = TOP + index * ROW
        colour = COLOURS.get(clock.state, "#666")
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 14}" text-anchor="end">{escape(clock.label)}</text>'
            f'<rect x="{x(clock.started_at):.1f}" y="{y + 4}" '
            f'width="{max(x(clock.deadline) - x(clock.started_at), 1):.1f}" height="14" '
            'fill="#e3e3fd" stroke="#000091"/>'
        )
        if clock.met_at is not None:
            parts.append(
                f'<circle cx="{x(clock.met_at):.1f}" cy="{y + 11}" r="6" fill="{colour}">'
                f"<title>{escape(clock.label)} : {short_time(clock.met_at)}</title></circle>"
            )
        if clock.breach_raised_at is not None:
            bx = x(clock.deadline)
            parts.append(
                f'<path d="M{bx - 5:.1f},{y + 6} l10,10 m0,-10 l-10,10" stroke="#ce0500" '
                'stroke-width="2"/>'
            )
    y = TOP + len(report.clocks) * ROW
    parts.append(f'<text x="{LEFT - 8}" y="{y + 14}" text-anchor="end">Messages</text>')
    for message in report.messages:
        mx = x(message.created_at)
        fill = "#000091" if message.purpose == "factual" else "#b34000"
        parts.append(
            f'<path d="M{mx:.1f},{y + 2} l6,9 l-6,9 l-6,-9 z" fill="{fill}">'
            f"<title>Message {escape(message.message_id[:8])} : "
            f"{short_time(message.created_at)}</title></path>"
        )
    parts.append("</svg>")
    return "".join(parts)


def tick_step(span_seconds: float) -> timedelta:
    """The first round step that keeps the axis within MAX_TICKS, else an even division."""
    for step in _TICK_STEPS:
        if span_seconds / step.total_seconds() <= MAX_TICKS:
            return step
    return timedelta(seconds=span_seconds / MAX_TICKS)
