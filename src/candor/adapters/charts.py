"""Server-side charts as accessible inline SVG: no JavaScript, nothing fetched from anywhere.

Each chart is an ``<svg role="img">`` whose ``<title>`` names it and whose ``<desc>`` states
every value in words, referenced by ``aria-labelledby``/``aria-describedby``, so a screen reader
gets the same facts as the picture. Every bar or marker has its own ``<title>`` (a tooltip on
hover). Colours come from CSS classes with a built-in fallback fill, so a page can restyle them
and the SVG still reads when saved on its own. Late (negative) values are drawn left of the zero
line and labelled "late by …", not only coloured, because colour alone says nothing to many.

A library (matplotlib, plotly, Vega) would draw more kinds of chart, but each either pulls in a
large native stack or needs JavaScript in the browser; these two chart kinds are a few hundred
lines we can test completely.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from candor.adapters.formatting import duration, margin
from candor.domain.metrics import MEASURE_LABELS, IncidentMetrics, ObligationState, Summary
from candor.domain.milestones import Moment

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""
FILLS = {"ok": "#2E7D32", "late": "#B3261E", "pending": "#8A6D00", "neutral": "#3A5BA0"}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float  # in the chart's unit; negative values are drawn left of zero
    display: str  # the value as people read it: "6 h", "late by 1 h"
    tone: str = "neutral"  # ok | late | pending | neutral


@dataclass(frozen=True, slots=True)
class Marker:
    at: datetime
    label: str


def _id(prefix: str, title: str) -> str:
    digest = hashlib.sha1(title.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}-{digest}"


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} font-size="{size}" '
        f"{extra}>{escape(text)}</text>"
    )


CHAR_WIDTH = 7  # a generous average width of a 12 px sans-serif character, in px


def fit(text: str, width: float) -> str:
    """The text shortened with an ellipsis to fit ``width`` pixels. The whole text stays in the
    element's <title> and the chart's <desc>, so nothing is lost to a screen reader."""
    most = max(4, int(width // CHAR_WIDTH))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _frame(
    ident: str, title: str, description: str, width: int, height: int, body: list[str]
) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" class="candor-chart" '
            f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc">',
            f'<title id="{ident}-title">{escape(title)}</title>',
            f'<desc id="{ident}-desc">{escape(description)}</desc>',
            *body,
            "</svg>",
        ]
    )


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    width: int = 640,
    label_width: int = 220,
    id_prefix: str = "chart",
    empty: str = "No values to show yet.",
) -> str:
    """Horizontal bars, one row each; a zero line when some values are negative."""
    ident = _id(id_prefix, title)
    row, top = 28, 10
    height = top * 2 + row * max(1, len(bars))
    if not bars:
        body = [_text(10, top + 18, empty, extra='fill="#555"')]
        return _frame(ident, title, f"{title}: {empty}", width, height, body)
    description = f"{title}: " + "; ".join(f"{b.label}: {b.display}" for b in bars) + "."
    low = min(0.0, *(b.value for b in bars))
    high = max(0.0, *(b.value for b in bars))
    span = (high - low) or 1.0
    # room on the right for the longest value text ("median 1 d 6 h, p90 2 d (3 incidents)")
    room = min(width // 2, max(110, CHAR_WIDTH * max(len(b.display) for b in bars) + 12))
    plot_left, plot_right = label_width, width - room
    scale = (plot_right - plot_left) / span
    zero = plot_left + (0 - low) * scale
    body = []
    for i, bar in enumerate(bars):
        y = top + i * row
        start = min(zero, zero + bar.value * scale)
        length = max(abs(bar.value) * scale, 1.0)  # a zero value still shows a hairline
        fill = FILLS.get(bar.tone, FILLS["neutral"])
        body.append(
            f'<g class="bar {escape(bar.tone)}">'
            f"<title>{escape(bar.label)}: {escape(bar.display)}</title>"
            f'<rect x="{start:.1f}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" '
            f'fill="{fill}" rx="2"/>'
            f"</g>"
        )
        body.append(
            _text(label_width - 8, y + row / 2 + 4, fit(bar.label, label_width - 12), anchor="end")
        )
        value_x = max(zero, start + length) + 6
        body.append(_text(value_x, y + row / 2 + 4, bar.display, extra='fill="#333"'))
    if low < 0:
        body.append(
            f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{height - top}" '
            'stroke="#333" stroke-width="1" stroke-dasharray="3 2"/>'
        )
    return _frame(ident, title, description, width, height, body)


def _tick_format(span: timedelta) -> str:
    return "%d %b %H:%M" if span <= timedelta(days=3) else "%d %b"


def timeline_chart(
    title: str, markers: Sequence[Marker], *, width: int = 640, id_prefix: str = "timeline"
) -> str:
    """Milestones on a UTC time axis, one row per milestone so labels never overlap."""
    ident = _id(id_prefix, title)
    ordered = sorted(markers, key=lambda m: m.at)
    row, top, axis_height = 24, 10, 30
    height = top + row * max(1, len(ordered)) + axis_height
    if not ordered:
        body = [_text(10, top + 18, "No milestones yet.", extra='fill="#555"')]
        return _frame(ident, title, f"{title}: no milestones yet.", width, height, body)
    first, last = ordered[0].at, ordered[-1].at
    span = (last - first) or timedelta(minutes=1)
    label_width = 200
    left, right = label_width + 10, width - 20
    scale = (right - left) / span.total_seconds()

    def x_of(at: datetime) -> float:
        return left + (at - first).total_seconds() * scale

    fmt = _tick_format(span)
    description = (
        f"{title}, times in UTC: "
        + "; ".join(f"{m.label} at {m.at.strftime('%Y-%m-%d %H:%M')}" for m in ordered)
        + "."
    )
    body = []
    for i, marker in enumerate(ordered):
        y = top + i * row + row / 2
        x = x_of(marker.at)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#C8CDD6" '
            'stroke-width="1"/>'
        )
        body.append(
            f'<g class="marker"><title>{escape(marker.label)}: '
            f"{marker.at.strftime('%Y-%m-%d %H:%M')} UTC</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{FILLS["neutral"]}"/></g>'
        )
        body.append(_text(label_width, y + 4, fit(marker.label, label_width - 4), anchor="end"))
    axis_y = top + row * len(ordered) + 6
    body.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="#333" '
        'stroke-width="1"/>'
    )
    for at, anchor in ((first, "start"), (last, "end")):
        body.append(
            _text(
                x_of(at),
                axis_y + 16,
                at.strftime(fmt) + " UTC",
                anchor=anchor,
                size=11,
                extra='fill="#333"',
            )
        )
    return _frame(ident, title, description, width, height, body)


# ---- charts of Candor's metrics --------------------------------------------------------------


def response_times_chart(metrics: IncidentMetrics) -> str:
    bars = [
        Bar(MEASURE_LABELS[m], span.duration.total_seconds() / 3600, duration(span.duration))
        for m, span in metrics.spans.items()
    ]
    return bar_chart(f"Response times of {metrics.key} (hours)", bars, id_prefix="times")


def obligation_margins_chart(metrics: IncidentMetrics) -> str:
    """Margins against each deadline: right of zero with time to spare, left of it when late."""
    tones = {
        ObligationState.MET: "ok",
        ObligationState.MISSED: "late",
        ObligationState.PENDING: "pending",
    }
    bars = [
        Bar(
            f"{o.name} ({o.recipient})",
            o.margin.total_seconds() / 3600,
            margin(o.margin, o.state),
            tones.get(o.state, "neutral"),
        )
        for o in metrics.obligations
        if o.margin is not None
    ]
    return bar_chart(
        f"Obligation deadlines of {metrics.key}: margin in hours",
        bars,
        id_prefix="margins",
        empty="No obligation with a deadline.",
    )


def summary_chart(summaries: Sequence[Summary]) -> str:
    bars = [
        Bar(
            MEASURE_LABELS[s.measure],
            s.median.total_seconds() / 3600,
            f"median {duration(s.median)}, p90 {duration(s.p90)} ({s.count} incidents)",
        )
        for s in summaries
    ]
    return bar_chart("Response times across incidents: median (hours)", bars, id_prefix="summary")


def milestones_chart(key: str, moments: Sequence[Moment]) -> str:
    return timeline_chart(
        f"Milestones of {key}", [Marker(m.at, m.label) for m in moments], id_prefix="milestones"
    )
