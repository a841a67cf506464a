"""Plan states and result matching: pure functions."""

import datetime as dt

from labs import monitoring
from labs.monitoring import OpenItem

D0 = dt.date(2026, 11, 24)


def day(n):
    return D0 + dt.timedelta(days=n)


def test_a_planned_lab_is_upcoming_then_due_then_overdue():
    kw = {"status": "open", "window_start": day(5), "window_end": day(10)}
    assert monitoring.state(today=day(4), **kw) == monitoring.UPCOMING
    assert monitoring.state(today=day(5), **kw) == monitoring.DUE
    assert monitoring.state(today=day(10), **kw) == monitoring.DUE
    assert monitoring.state(today=day(11), **kw) == monitoring.OVERDUE
    assert monitoring.state(today=day(11), **{**kw, "status": "done"}) == monitoring.DONE


def test_a_result_fulfils_the_item_of_its_analyte_whose_window_holds_the_sample_day():
    items = [OpenItem(1, 10, day(0), day(-30), day(1)), OpenItem(2, 10, day(7), day(5), day(10)),
             OpenItem(3, 11, day(7), day(5), day(10))]
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(6)) == 2
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(-3)) == 1
    assert monitoring.find_match(items, analyte_id=11, sampled_on=day(6)) == 3


def test_a_result_outside_every_window_fulfils_nothing():
    items = [OpenItem(2, 10, day(7), day(5), day(10))]
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(3)) is None
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(11)) is None


def test_when_windows_overlap_the_item_due_nearest_the_sample_wins():
    items = [OpenItem(1, 10, day(0), day(-30), day(8)), OpenItem(2, 10, day(7), day(5), day(10))]
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(6)) == 2
    assert monitoring.find_match(items, analyte_id=10, sampled_on=day(2)) == 1


def test_potassium_is_planned_only_for_severe_anaemia():
    potassium = next(i for i in monitoring.DEFAULT_PLAN if i.analyte_key == "potassium")
    assert monitoring.item_applies(potassium, severe_anaemia=True)
    assert not monitoring.item_applies(potassium, severe_anaemia=False)
