"""Every range badge and decision band at its boundary and one step either side, on the value
as entered converted exactly (CLINICAL.md: "< 180", "180–350", "> 350", "< 3.5" ...)."""

from decimal import Decimal as D

import pytest

from labs import units
from labs.catalogue import ANALYTES
from labs.units import Conversion

SPEC = {a["key"]: a for a in ANALYTES}


def flag_of(key, value, sex=""):
    spec = SPEC[key]
    low, high = spec.get("ref_low"), spec.get("ref_high")
    if sex and (spec.get(f"ref_low_{sex}") or spec.get(f"ref_high_{sex}")):
        low, high = spec.get(f"ref_low_{sex}"), spec.get(f"ref_high_{sex}")

    def dec(text):
        return D(text) if text else None
    return units.flag(D(value), ref_low=dec(low), ref_high=dec(high),
                      critical_low=dec(spec.get("critical_low")),
                      critical_high=dec(spec.get("critical_high")))


def band_of(key, value):
    return units.band(D(value), SPEC[key]["bands"])


def canonical(key, value, unit):
    conversions = {u: Conversion(D(m), D(d)) for u, (m, d) in SPEC[key]["units"].items()}
    return units.to_canonical(D(value), unit, conversions)


@pytest.mark.parametrize("value, label", [
    ("179.9999", "Deficiency likely"), ("180", "Indeterminate"), ("180.0001", "Indeterminate"),
    ("349.9999", "Indeterminate"), ("350", "Indeterminate"),
    ("350.0001", "Deficiency unlikely"),
])
def test_b12_bands_are_below_180_then_180_to_350_then_above_350(value, label):
    assert band_of("b12", value) == label


@pytest.mark.parametrize("value, label", [
    ("24.9999", "Deficiency likely"), ("25", "Indeterminate"), ("25.0001", "Indeterminate"),
    ("69.9999", "Indeterminate"), ("70", "Indeterminate"), ("70.0001", "Deficiency unlikely"),
])
def test_holotranscobalamin_bands_are_below_25_then_25_to_70_then_above_70(value, label):
    assert band_of("holotc", value) == label


@pytest.mark.parametrize("value, label", [
    ("97.9999", "Not macrocytic"), ("98", "Not macrocytic"), ("98.0001", "Macrocytosis"),
])
def test_macrocytosis_is_an_mcv_above_98(value, label):
    assert band_of("mcv", value) == label


@pytest.mark.parametrize("sex, value, expected", [
    ("male", "12.9999", units.LOW), ("male", "13", units.NORMAL),
    ("male", "13.0001", units.NORMAL),
    ("female", "11.9999", units.LOW), ("female", "12", units.NORMAL),
    ("female", "12.0001", units.NORMAL),
])
def test_anaemia_is_hb_below_13_in_men_and_below_12_in_women(sex, value, expected):
    assert flag_of("hb", value, sex) == expected


@pytest.mark.parametrize("value, expected", [
    ("7.9999", units.CRITICAL_LOW), ("8", units.LOW), ("8.0001", units.LOW),
])
def test_hb_is_critically_low_below_8_not_at_8(value, expected):
    assert flag_of("hb", value, "female") == expected


@pytest.mark.parametrize("value, expected", [
    ("3.4999", units.LOW), ("3.5", units.NORMAL), ("3.5001", units.NORMAL),
    ("5.0999", units.NORMAL), ("5.1", units.NORMAL), ("5.1001", units.HIGH),
    ("2.4999", units.CRITICAL_LOW), ("2.5", units.LOW),
    ("6.5", units.HIGH), ("6.5001", units.CRITICAL_HIGH),
])
def test_potassium_is_low_below_3_5_and_critical_beyond_its_limits(value, expected):
    assert flag_of("potassium", value) == expected


@pytest.mark.parametrize("value, expected", [
    ("97.9999", units.NORMAL), ("98", units.NORMAL), ("98.0001", units.HIGH),
    ("79.9999", units.LOW), ("80", units.NORMAL),
])
def test_mcv_range_is_80_to_98(value, expected):
    assert flag_of("mcv", value) == expected


def test_a_potassium_of_3_45_stays_3_45_and_is_low():
    value = canonical("potassium", "3.45", "mmol/L")
    assert value == D("3.45")
    assert units.flag(value, ref_low=D("3.5")) == units.LOW
    assert units.display_number(value, 1) == "3.45"


def test_a_converted_b12_just_under_180_is_not_rounded_up_into_the_next_band():
    value = canonical("b12", "132.8413", "pmol/L")  # × 1.355 = 179.9999615
    assert value == D("179.9999615")
    assert band_of("b12", value) == "Deficiency likely"


def test_a_haemoglobin_in_g_per_litre_of_80_is_exactly_8_and_not_critical():
    value = canonical("hb", "80", "g/L")
    assert value == 8
    assert flag_of("hb", value, "male") == units.LOW
    assert flag_of("hb", canonical("hb", "79.9", "g/L"), "male") == units.CRITICAL_LOW


@pytest.mark.parametrize("value, places, text", [
    (D("3.4500000000"), 1, "3.45"), (D("406.5"), 1, "406.5"), (D("12"), 1, "12"),
    (D("8.8261253310"), 1, "8.8"), (D("338.75"), 1, "338.75"), (D("0.00005"), 0, "0"),
])
def test_display_keeps_exact_values_and_rounds_only_a_long_conversion_tail(value, places, text):
    assert units.display_number(value, places) == text


def test_comparisons_read_as_clinical_md_writes_them():
    assert units.below(D("3.4999"), "3.5") and not units.below(D("3.5"), "3.5")
    assert units.above(D("48.0001"), 48) and not units.above(D("48"), 48)
