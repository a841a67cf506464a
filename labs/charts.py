"""Server-side SVG trend charts (no JavaScript, no CDN), shared by the diary and labs pages.

A chart is a small inline ``<svg role="img">`` with a ``<title>``/``<desc>`` and a ``<title>`` on
every point, plus the same data as table rows that templates render inside ``<details>`` for
screen readers and for anyone who prefers numbers. Dates are the patient's local days.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .units import plain

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 24
LINE = "#0b5e7a"
BAND = "#d6f0dd"
MARKER = "#8a4fb5"
GRID = "#d9dee3"
TEXT = "#495057"

_ids = itertools.count(1)


@dataclass
class Chart:
    title: str
    svg: SafeString
    rows: list[tuple[dt.date, str]] = field(default_factory=list)
    markers: list[dt.date] = field(default_factory=list)
    summary: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


def _ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    """About ``count`` round tick values covering [low, high]."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = Decimal(10) ** (raw.adjusted())
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = (low / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks, value = [], first
    while value <= high:
        ticks.append(value)
        value += step
    return ticks


def _num(value: float) -> str:
    return f"{value:.1f}"


def line_chart(
    *, title: str, points: list[tuple[dt.date, Decimal | int]], start: dt.date, end: dt.date,
    unit: str = "", y_min: Decimal | int | None = None, y_max: Decimal | int | None = None,
    band: tuple[Decimal | None, Decimal | None] | None = None, band_label: str = "usual range",
    markers: list[dt.date] = (), marker_label: str = "injection", fit: bool = True,
) -> Chart:
    """A line of ``points`` (oldest first) between ``start`` and ``end``, with an optional
    shaded ``band`` (reference range) and vertical ``markers`` (e.g. injection days).
    With ``fit``, a period much longer than the data starts shortly before the first point,
    so two months of results are not squeezed into the last sixth of a year."""
    points = [(day, Decimal(value)) for day, value in points if start <= day <= end]
    if fit and points and (points[0][0] - start).days > 14:
        start = points[0][0] - dt.timedelta(days=max(7, (end - points[0][0]).days // 20))
    markers = sorted({m for m in markers if start <= m <= end})
    values = [v for _, v in points]
    band_low, band_high = band if band else (None, None)
    candidates = values + [b for b in (band_low, band_high) if b is not None]
    low = Decimal(y_min) if y_min is not None else min(candidates, default=Decimal(0))
    high = Decimal(y_max) if y_max is not None else max(candidates, default=Decimal(10))
    if y_min is None or y_max is None:
        pad = (high - low) * Decimal("0.1") or abs(high) * Decimal("0.1") or Decimal(1)
        low = low - pad if y_min is None else low
        high = high + pad if y_max is None else high
        if y_min is None and min(candidates, default=1) >= 0:
            low = max(low, Decimal(0))
    days = max((end - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + plot_w * (day - start).days / days

    def y(value: Decimal) -> float:
        value = min(max(value, low), high)
        return TOP + plot_h * float((high - value) / (high - low))

    uid = f"chart{next(_ids)}"
    unit_text = (unit if unit.startswith("/") else f" {unit}") if unit else ""
    if points:
        last_day, last_value = points[-1]
        summary = (f"{len(points)} value{'s' if len(points) != 1 else ''} from "
                   f"{points[0][0]:%d %b %Y} to {last_day:%d %b %Y}; latest "
                   f"{plain(last_value)}{unit_text}.")
    else:
        summary = "No values in this period."
    if band and (band_low is not None or band_high is not None):
        summary += (f" Shaded: {band_label} {plain(band_low) if band_low is not None else ''}"
                    f"–{plain(band_high) if band_high is not None else ''}{unit_text}.")
    if markers:
        summary += f" {len(markers)} {marker_label}{'s' if len(markers) != 1 else ''} marked."

    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
        f'font-size="10">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(summary)}</desc>',
    ]
    if band and (band_low is not None or band_high is not None):
        top = y(band_high if band_high is not None else high)
        bottom = y(band_low if band_low is not None else low)
        parts.append(f'<rect class="chart-band" x="{LEFT}" y="{_num(top)}" width="{plot_w}" '
                     f'height="{_num(max(bottom - top, 0))}" fill="{BAND}">'
                     f'<title>{escape(band_label)}</title></rect>')
    for tick in _ticks(low, high):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(ty)}" y2="{_num(ty)}" '
                     f'stroke="{GRID}" stroke-width="0.5"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{_num(ty + 3)}" text-anchor="end" '
                     f'fill="{TEXT}">{escape(plain(tick))}</text>')
    for day in markers:
        mx = x(day)
        parts.append(
            f'<g class="chart-marker"><title>{escape(marker_label.capitalize())} '
            f'{day:%d %b %Y}</title><line x1="{_num(mx)}" x2="{_num(mx)}" y1="{TOP}" '
            f'y2="{TOP + plot_h}" stroke="{MARKER}" stroke-width="0.75" stroke-opacity="0.55" '
            f'stroke-dasharray="2 3"/><path d="M{_num(mx - 2.5)} {TOP + plot_h + 5} l2.5 -4 '
            f'l2.5 4 z" fill="{MARKER}"/></g>'
        )
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
                 f'y2="{TOP + plot_h}" stroke="{TEXT}" stroke-width="0.75"/>')
    for day, anchor in ((start, "start"), (end, "end")):
        parts.append(f'<text x="{_num(x(day))}" y="{HEIGHT - 4}" text-anchor="{anchor}" '
                     f'fill="{TEXT}">{day:%d %b %Y}</text>')
    if len(points) > 1:
        coords = " ".join(f"{_num(x(d))},{_num(y(v))}" for d, v in points)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" '
                     f'stroke-width="1.75" stroke-linejoin="round"/>')
    for day, value in points:
        parts.append(f'<circle class="chart-point" cx="{_num(x(day))}" cy="{_num(y(value))}" '
                     f'r="2.75" fill="{LINE}"><title>{day:%d %b %Y}: '
                     f'{escape(plain(value))}{escape(unit_text)}</title></circle>')
    if not points:
        parts.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" '
                     f'text-anchor="middle" fill="{TEXT}">No values in this period</text>')
    parts.append("</svg>")
    rows = [(day, f"{plain(value)}{unit_text}") for day, value in points]
    return Chart(title=title, svg=mark_safe("".join(parts)), rows=rows,  # every text part escaped
                 markers=markers, summary=summary)


def period_start(end: dt.date, days: int) -> dt.date:
    return end - dt.timedelta(days=days)


PERIODS = (30, 90, 365)


def period_from(request_value: str | None, default: int = 90) -> int:
    """The chart period a page asks for (?days=30|90|365); anything else is the default."""
    try:
        days = int(request_value or default)
    except ValueError:
        return default
    return days if days in PERIODS else default
