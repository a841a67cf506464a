"""SVG charts: accessible, escaped, band and markers drawn."""

import datetime as dt
from decimal import Decimal as D

from b12care.core import charts

START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 30)


def test_a_chart_has_a_title_a_description_and_a_point_title_per_value():
    chart = charts.line_chart(title="B12 <trend>", points=[(dt.date(2026, 10, 1), D("150")),
                                                           (dt.date(2026, 11, 1), D("420"))],
                              start=START, end=END, unit="pg/mL")
    svg = str(chart.svg)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "B12 &lt;trend&gt;" in svg and "<trend>" not in svg
    assert svg.count('class="chart-point"') == 2
    assert "01 Nov 2026: 420 pg/mL" in svg
    assert chart.rows == [(dt.date(2026, 10, 1), "150 pg/mL"), (dt.date(2026, 11, 1), "420 pg/mL")]


def test_the_reference_band_is_shaded_and_injection_days_are_marked():
    chart = charts.line_chart(title="Hb", points=[(dt.date(2026, 10, 1), D("9.1"))],
                              start=START, end=END, band=(D("12"), D("15.5")),
                              markers=[dt.date(2026, 10, 2), dt.date(2026, 10, 4),
                                       dt.date(2025, 1, 1)])
    svg = str(chart.svg)
    assert svg.count('class="chart-band"') == 1
    assert svg.count('class="chart-marker"') == 2  # the marker outside the period is left out
    assert "2 injections marked" in chart.summary


def test_an_empty_period_says_so():
    chart = charts.line_chart(title="Fatigue", points=[], start=START, end=END, y_min=0, y_max=10)
    assert chart.empty
    assert "No values in this period" in str(chart.svg)


def test_only_known_periods_are_accepted():
    assert charts.period_from("30") == 30
    assert charts.period_from("7") == 90
    assert charts.period_from("x") == 90
