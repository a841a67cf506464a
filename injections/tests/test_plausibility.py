"""Guard rails on doses and their timing: each limit, and one step either side."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from injections import plausibility as p
from injections import scheduling
from injections.models import Product

LONDON = zoneinfo.ZoneInfo("Europe/London")
T = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
D = Decimal


def codes(findings):
    return [f.code for f in findings]


def test_every_product_has_a_range_in_the_catalogue():
    assert set(p.CATALOGUE) == set(Product.values)


@pytest.mark.parametrize(("dose", "unit", "refused"), [
    ("4.99", "mg", False), ("5", "mg", False), ("5.01", "mg", True),
    ("4999", "microgram", False), ("5000", "microgram", False), ("5001", "microgram", True),
    ("0", "mg", True), ("0.01", "mg", False), ("-1", "mg", True),
])
def test_a_dose_is_refused_only_above_5_mg_or_when_not_above_0(dose, unit, refused):
    for product in p.CATALOGUE:
        refusal = p.dose_refusal(product=product, dose=D(dose), unit=unit)
        assert (refusal is not None) is refused, (product, dose, unit)


def test_a_refused_mg_dose_that_is_plausible_in_micrograms_suggests_the_unit():
    refusal = p.dose_refusal(product="hydroxocobalamin", dose=D(1000), unit="mg")
    assert refusal.message == ("1000 mg is far above any hydroxocobalamin injection (at most "
                               "5 mg). Check the dose and the unit. Did you mean 1000 µg?")
    assert "Did you mean" not in p.dose_refusal(product="hydroxocobalamin", dose=D(6000),
                                                unit="mg").message


@pytest.mark.parametrize(("dose", "unit", "unusual"), [
    ("0.99", "mg", True), ("1", "mg", False), ("1.01", "mg", True),
    ("999", "microgram", True), ("1000", "microgram", False), ("1001", "microgram", True),
])
def test_hydroxocobalamin_outside_1_mg_needs_confirmation(dose, unit, unusual):
    found = p.dose_findings(product="hydroxocobalamin", dose=D(dose), unit=unit)
    assert ("dose_unusual" in codes(found)) is unusual
    assert all(f.kind == p.CONFIRM for f in found)


@pytest.mark.parametrize(("dose", "unit", "unusual"), [
    ("99", "microgram", True), ("100", "microgram", False), ("101", "microgram", False),
    ("0.999", "mg", False), ("1", "mg", False), ("1.01", "mg", True),
])
def test_cyanocobalamin_outside_100_micrograms_to_1_mg_needs_confirmation(dose, unit, unusual):
    found = p.dose_findings(product="cyanocobalamin", dose=D(dose), unit=unit)
    assert ("dose_unusual" in codes(found)) is unusual


def test_a_dose_other_than_the_phases_is_named_with_how_many_times_it_is():
    found = p.dose_findings(product="hydroxocobalamin", dose=D(2), unit="mg",
                            usual=(D(1), "mg"))
    assert found[0].message == "2 mg is 2× your usual 1 mg. Is that right?"
    smaller = p.dose_findings(product="cyanocobalamin", dose=D(100), unit="microgram",
                              usual=(D(1), "mg"))
    assert smaller[0].message == "100 µg is less than your usual 1 mg. Is that right?"


def test_the_same_dose_in_another_unit_is_the_phases_dose():
    assert p.dose_findings(product="hydroxocobalamin", dose=D(1000), unit="microgram",
                           usual=(D(1), "mg")) == []
    one_more = p.dose_findings(product="cyanocobalamin", dose=D("1000.01"), unit="microgram",
                               usual=(D(1), "mg"))
    assert codes(one_more) == ["dose_differs", "dose_unusual"]


@pytest.mark.parametrize(("gap", "window", "asks"), [
    (dt.timedelta(hours=24) - dt.timedelta(minutes=1), None, True),
    (dt.timedelta(hours=24), None, False),
    (dt.timedelta(hours=24, minutes=1), None, False),
    (dt.timedelta(hours=28) - dt.timedelta(minutes=1), dt.timedelta(hours=28), True),
    (dt.timedelta(hours=28), dt.timedelta(hours=28), False),
    (dt.timedelta(hours=23), dt.timedelta(hours=12), True),  # never under 24 hours
])
def test_a_second_injection_closer_than_24_hours_or_the_window_needs_confirmation(
    gap, window, asks
):
    for other in (T - gap, T + gap):
        found = p.gap_finding(taken_at=T, other=other, window=window, tz=LONDON)
        assert (found is not None) is asks, (gap, window, other)


def test_the_close_injection_is_named_in_the_patients_zone():
    found = p.gap_finding(taken_at=T, other=T - dt.timedelta(hours=2), window=None, tz=LONDON)
    assert found.message.startswith("An injection is already logged on Tue 24 Nov at 07:00, "
                                    "2 hours before this one.")


@pytest.mark.parametrize(("before_window_opens", "asks"), [
    (dt.timedelta(minutes=1), True), (dt.timedelta(0), False), (-dt.timedelta(minutes=1), False),
])
def test_an_injection_more_than_a_window_before_the_next_dose_asks_early_or_extra(
    before_window_opens, asks
):
    window = dt.timedelta(days=28)
    due = T + window + before_window_opens
    found = p.early_finding(taken_at=T, matched=False, next_due=due, next_window=window,
                            tz=LONDON)
    assert (found is not None) is asks
    assert p.early_finding(taken_at=T, matched=True, next_due=due, next_window=window,
                           tz=LONDON) is None


def test_the_signature_names_what_was_confirmed():
    two = p.verdict(*p.dose_findings(product="hydroxocobalamin", dose=D(2), unit="mg",
                                     usual=(D(1), "mg")))
    three = p.verdict(*p.dose_findings(product="hydroxocobalamin", dose=D(3), unit="mg",
                                       usual=(D(1), "mg")))
    assert two.signature and two.signature != three.signature
    assert p.verdict().signature == ""


@pytest.mark.parametrize(("now", "due"), [
    (T - dt.timedelta(hours=28) - dt.timedelta(seconds=1), False),
    (T - dt.timedelta(hours=28), True),
    (T + dt.timedelta(hours=28), True),
    (T + dt.timedelta(hours=28, seconds=1), True),  # overdue (grace passed), still to log
])
def test_a_dose_is_due_from_its_window_opening_and_while_overdue(now, due):
    window = dt.timedelta(hours=28)
    assert scheduling.is_due(T, window_end=T + window, grace_end=T + dt.timedelta(days=1),
                             now=now) is due
