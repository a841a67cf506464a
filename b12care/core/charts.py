"""Server-side SVG trend charts (no JavaScript, no CDN), shared by the diary and labs pages.

``line_geometry`` is a pure function: dated values in, coordinates and label strings out.
The template ``core/_line_chart.svg.html`` draws that geometry as a small inline
``<svg role="img">`` with a ``<title>``/``<desc>`` and a ``<title>`` on every point (autoescaped,
like any template); ``core/_chart.html`` adds the caption, the summary and the same data as table
rows inside ``<details>`` for screen readers and for anyone who prefers numbers.
Dates are the patient's local days.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

Number = Decimal | int
Band = tuple[Decimal | None, Decimal | None]

PERIODS = (30, 90, 365)

_ids = itertools.count(1)  # element ids for aria-labelledby, unique within a page


@dataclass(frozen=True)
class Frame:
    """The fixed drawing area in SVG units; the plot sits inside the margins."""

    width: int = 360
    height: int = 170
    left: int = 34  # room for the value labels
    right: int = 352  # 8 units of margin
    top: int = 10
    bottom: int = 146  # the time axis; the date labels sit in the 24 units below it

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top

    @property
    def tick_label_x(self) -> int:
        return self.left - 4

    @property
    def date_label_y(self) -> int:
        return self.height - 4

    @property
    def marker_base_y(self) -> int:
        return self.bottom + 5

    @property
    def centre_x(self) -> float:
        return self.left + self.plot_width / 2

    @property
    def centre_y(self) -> float:
        return self.top + self.plot_height / 2


FRAME = Frame()


@dataclass(frozen=True)
class Point:
    day: dt.date
    x: float
    y: float
    text: str  # the value with its unit, as in the table: "420 pg/mL"
    label: str  # "01 Nov 2026: 420 pg/mL"


@dataclass(frozen=True)
class Tick:
    y: float
    label_y: float
    label: str


@dataclass(frozen=True)
class Marker:
    day: dt.date
    x: float
    tip_x: float  # left corner of the triangle under the axis
    label: str


@dataclass(frozen=True)
class BandRect:
    y: float
    height: float
    label: str


@dataclass(frozen=True)
class DateLabel:
    x: float
    anchor: str
    text: str


@dataclass(frozen=True)
class Geometry:
    uid: str
    title: str
    summary: str
    points: list[Point]
    ticks: list[Tick]
    markers: list[Marker]
    band: BandRect | None
    dates: tuple[DateLabel, DateLabel]
    frame: Frame = FRAME


@dataclass(frozen=True)
class Scale:
    """Maps local days to x and values to y; values outside [low, high] sit on the edge."""

    start: dt.date
    days: int
    low: Decimal
    high: Decimal

    def x(self, day: dt.date) -> float:
        return FRAME.left + FRAME.plot_width * (day - self.start).days / self.days

    def y(self, value: Decimal) -> float:
        value = min(max(value, self.low), self.high)
        return FRAME.top + FRAME.plot_height * float((self.high - value) / (self.high - self.low))


def _r(value: float) -> float:
    """One decimal is plenty for a 360-unit drawing."""
    return round(value, 1)


def _plain(value: Decimal | None) -> str:
    """A Decimal without exponent or trailing zeros: 406.5, 12, 0.35 (as labs.units.plain)."""
    return "" if value is None else f"{value.normalize():f}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


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


def _fitted_start(first_day: dt.date | None, start: dt.date, end: dt.date) -> dt.date:
    """A period much longer than the data starts shortly before the first point, so two
    months of results are not squeezed into the last sixth of a year."""
    if first_day is None or (first_day - start).days <= 14:
        return start
    return first_day - dt.timedelta(days=max(7, (end - first_day).days // 20))


def _value_range(values: list[Decimal], band: Band | None, y_min: Number | None,
                 y_max: Number | None) -> tuple[Decimal, Decimal]:
    """[low, high] of the y axis: the given limits, else the data and band with 10% room
    (not below 0 when nothing is negative)."""
    candidates = values + [b for b in band or () if b is not None]
    low = Decimal(y_min) if y_min is not None else min(candidates, default=Decimal(0))
    high = Decimal(y_max) if y_max is not None else max(candidates, default=Decimal(10))
    pad = (high - low) * Decimal("0.1") or abs(high) * Decimal("0.1") or Decimal(1)
    if y_min is None:
        low = low - pad
        if min(candidates, default=1) >= 0:
            low = max(low, Decimal(0))
    if y_max is None:
        high = high + pad
    if high == low:  # equal fixed limits would divide by zero
        high = low + 1
    return low, high


def _unit_text(unit: str) -> str:
    """How a unit follows a value: "12 g/dL", but "3/10"."""
    if not unit:
        return ""
    return unit if unit.startswith("/") else f" {unit}"


def _summary(points: list[Point], unit_text: str, band: Band | None, band_label: str,
             markers: list[Marker], marker_label: str) -> str:
    if points:
        first, last = points[0], points[-1]
        parts = [f"{_count(len(points), 'value')} from {first.day:%d %b %Y} to "
                 f"{last.day:%d %b %Y}; latest {last.text}."]
    else:
        parts = ["No values in this period."]
    if band:
        parts.append(f"Shaded: {band_label} {_plain(band[0])}–{_plain(band[1])}{unit_text}.")
    if markers:
        parts.append(f"{_count(len(markers), marker_label)} marked.")
    return " ".join(parts)


def _points(points: list[tuple[dt.date, Decimal]], scale: Scale, unit_text: str) -> list[Point]:
    out = []
    for day, value in points:
        text = f"{_plain(value)}{unit_text}"
        out.append(Point(day=day, x=_r(scale.x(day)), y=_r(scale.y(value)), text=text,
                         label=f"{day:%d %b %Y}: {text}"))
    return out


def _tick_marks(scale: Scale) -> list[Tick]:
    return [Tick(y=_r(scale.y(t)), label_y=_r(scale.y(t) + 3), label=_plain(t))
            for t in _ticks(scale.low, scale.high)]


def _markers(days: Iterable[dt.date], scale: Scale, label: str) -> list[Marker]:
    return [Marker(day=day, x=_r(scale.x(day)), tip_x=_r(scale.x(day) - 2.5),
                   label=f"{label.capitalize()} {day:%d %b %Y}") for day in days]


def _band_rect(band: Band | None, scale: Scale, label: str) -> BandRect | None:
    """The shaded range, clipped to the plot; an open end reaches the plot's edge."""
    if band is None:
        return None
    low, high = band
    top = scale.y(high if high is not None else scale.high)
    bottom = scale.y(low if low is not None else scale.low)
    return BandRect(y=_r(top), height=_r(max(bottom - top, 0)), label=label)


def line_geometry(
    *, uid: str, title: str, points: Sequence[tuple[dt.date, Number]], start: dt.date,
    end: dt.date, unit: str = "", y_min: Number | None = None, y_max: Number | None = None,
    band: Band | None = None, band_label: str = "usual range",
    markers: Iterable[dt.date] = (), marker_label: str = "injection", fit: bool = True,
) -> Geometry:
    """Where to draw a line of ``points`` (oldest first) between ``start`` and ``end``, an
    optional shaded ``band`` (reference range; either end may be open) and vertical
    ``markers`` (e.g. injection days). With ``fit``, a long period starts shortly before the
    first point. ``uid`` prefixes the element ids."""
    values = [(day, Decimal(value)) for day, value in points if start <= day <= end]
    if fit:
        start = _fitted_start(values[0][0] if values else None, start, end)
    if band is not None and band[0] is None and band[1] is None:
        band = None
    low, high = _value_range([v for _, v in values], band, y_min, y_max)
    scale = Scale(start=start, days=max((end - start).days, 1), low=low, high=high)
    unit_text = _unit_text(unit)
    drawn = _points(values, scale, unit_text)
    marks = _markers(sorted({m for m in markers if start <= m <= end}), scale, marker_label)
    return Geometry(
        uid=uid, title=title,
        summary=_summary(drawn, unit_text, band, band_label, marks, marker_label),
        points=drawn, ticks=_tick_marks(scale), markers=marks,
        band=_band_rect(band, scale, band_label),
        dates=(DateLabel(x=_r(scale.x(start)), anchor="start", text=f"{start:%d %b %Y}"),
               DateLabel(x=_r(scale.x(end)), anchor="end", text=f"{end:%d %b %Y}")),
    )


@dataclass
class Chart:
    """One chart as pages show it: ``svg``, ``summary``, and ``rows`` for the table."""

    geometry: Geometry

    @property
    def title(self) -> str:
        return self.geometry.title

    @property
    def summary(self) -> str:
        return self.geometry.summary

    @property
    def rows(self) -> list[tuple[dt.date, str]]:
        return [(p.day, p.text) for p in self.geometry.points]

    @property
    def markers(self) -> list[dt.date]:
        return [m.day for m in self.geometry.markers]

    @property
    def empty(self) -> bool:
        return not self.geometry.points

    @cached_property
    def svg(self) -> SafeString:
        return render_to_string("core/_line_chart.svg.html", {"g": self.geometry})


def line_chart(**options: Any) -> Chart:
    """A chart of ``line_geometry(**options)`` with element ids unique in this process."""
    return Chart(line_geometry(uid=f"chart{next(_ids)}", **options))


def period_start(end: dt.date, days: int) -> dt.date:
    return end - dt.timedelta(days=days)


def period_from(request_value: str | None, default: int = 90) -> int:
    """The chart period a page asks for (?days=30|90|365); anything else is the default."""
    try:
        days = int(request_value or default)
    except ValueError:
        return default
    return days if days in PERIODS else default
