"""SVG charts: geometry from values, then an accessible, escaped drawing of it."""

import datetime as dt
import re
from decimal import Decimal as D

from django.utils import translation

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


def geometry(**options):
    return charts.line_geometry(uid="c", **{"title": "Hb", "start": START, "end": END} | options)


def test_values_and_days_become_coordinates_inside_the_plot():
    g = geometry(points=[(START, 0), (dt.date(2026, 10, 16), 5), (END, 10)], y_min=0, y_max=10)
    frame = g.frame
    assert [(p.x, p.y) for p in g.points] == [(frame.left, frame.bottom), (193.0, 78.0),
                                               (frame.right, frame.top)]
    assert [p.label for p in g.points] == ["01 Sep 2026: 0", "16 Oct 2026: 5", "30 Nov 2026: 10"]
    assert [(t.label, t.y) for t in g.ticks] == [("0", 146.0), ("5", 78.0), ("10", 10.0)]
    assert [(d.x, d.text) for d in g.dates] == [(34.0, "01 Sep 2026"), (352.0, "30 Nov 2026")]


def test_the_y_axis_leaves_room_above_and_below_the_values_but_not_below_zero():
    g = geometry(points=[(dt.date(2026, 10, 1), D("150")), (dt.date(2026, 11, 1), D("420"))])
    assert [t.label for t in g.ticks] == ["200", "300", "400"]
    assert [p.y for p in g.points] == [134.7, 21.3]  # axis 123-447: 10% room each side
    g = geometry(points=[(dt.date(2026, 10, 1), D("1")), (dt.date(2026, 11, 1), D("100"))])
    assert g.ticks[0].label == "0" and g.points[0].y == 144.8


def test_the_band_is_clipped_to_the_plot_and_an_open_end_reaches_its_edge():
    points = [(dt.date(2026, 10, 1), D("100")), (dt.date(2026, 11, 1), D("200"))]
    g = geometry(points=points, y_min=0, y_max=250, band=(D("180"), D("900")))
    assert (g.band.y, g.band.height) == (10.0, 38.1)  # 900 is above the plot: cut at its top
    g = geometry(points=points, y_min=0, y_max=250, band=(None, D("50")))
    assert (g.band.y, g.band.height) == (118.8, 27.2)  # from 50 down to the axis
    assert geometry(points=points, band=(None, None)).band is None


def test_an_empty_period_has_no_points_and_a_summary_that_says_so():
    g = geometry(points=[(dt.date(2025, 1, 1), 3)], y_min=0, y_max=10)
    assert g.points == [] and g.summary == "No values in this period."
    assert [t.label for t in g.ticks] == ["0", "5", "10"]


def test_one_point_is_drawn_and_fits_the_period_to_the_data():
    g = geometry(points=[(dt.date(2026, 11, 20), D("12.9"))], unit="g/dL",
                 markers=[dt.date(2026, 9, 2), dt.date(2026, 11, 21)])
    assert g.dates[0].text == "13 Nov 2026"  # a week before the only value, not 1 Sep
    assert [m.label for m in g.markers] == ["Injection 21 Nov 2026"]
    assert len(g.points) == 1 and g.points[0].label == "20 Nov 2026: 12.9 g/dL"
    assert g.summary == ("1 value from 20 Nov 2026 to 20 Nov 2026; latest 12.9 g/dL. "
                         "1 injection marked.")


def test_equal_values_or_equal_limits_still_give_a_usable_axis():
    g = geometry(points=[(dt.date(2026, 10, 1), D("5")), (dt.date(2026, 11, 1), D("5"))])
    assert [p.y for p in g.points] == [78.0, 78.0]  # 4.5-5.5: the line runs across the middle
    g = geometry(points=[(dt.date(2026, 10, 1), D("5"))], y_min=5, y_max=5)
    assert g.points[0].y == g.frame.bottom


def test_the_svg_draws_the_geometry_and_escapes_every_text():
    chart = charts.line_chart(title='Hb <script>alert("t")</script>', unit="<b>&",
                              points=[(dt.date(2026, 10, 1), D("9.1")),
                                      (dt.date(2026, 11, 1), D("12"))],
                              start=START, end=END, band=(D("12"), None),
                              band_label="<i>range</i>", markers=[dt.date(2026, 10, 2)])
    svg = str(chart.svg)
    g = chart.geometry
    first, second = g.points
    assert f'<polyline points="{first.x},{first.y} {second.x},{second.y}"' in svg
    assert f'cx="{second.x}" cy="{second.y}"' in svg
    assert f'id="{g.uid}-t">Hb &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;</title>' in svg
    assert "01 Oct 2026: 9.1 &lt;b&gt;&amp;</title>" in svg
    assert "<title>&lt;i&gt;range&lt;/i&gt;</title>" in svg
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    assert svg.count('class="chart-marker"') == 1


def test_coordinates_are_not_localised_in_a_language_with_a_decimal_comma(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override("de"):
        svg = str(charts.line_chart(title="B12", points=[(dt.date(2026, 10, 1), D("1500.5"))],
                                    start=START, end=END).svg)
    assert 'cx="67.2" cy="78.0"' in svg
    assert not re.search(r' (x|y|x1|x2|y1|y2|cx|cy|width|height)="[^"]*,', svg)
