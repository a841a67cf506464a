"""Conversions, flags and bands: pure functions, no database."""

from decimal import Decimal as D

import pytest

from labs import units
from labs.catalogue import ANALYTES
from labs.units import Conversion

SPEC = {a["key"]: a for a in ANALYTES}


def conversions(key):
    return {unit: Conversion(D(m), D(d)) for unit, (m, d) in SPEC[key]["units"].items()}


def canonical(key, value, unit):
    return units.to_canonical(D(value), unit, conversions(key))


def test_b12_in_pmol_per_litre_becomes_pg_per_ml_exactly():
    assert canonical("b12", "300", "pmol/L") == D("406.5")
    assert canonical("b12", "100", "pmol/L") == D("135.5")


def test_b12_in_ng_per_litre_is_the_same_number_in_pg_per_ml():
    assert canonical("b12", "250", "ng/L") == D("250.0")


def test_haemoglobin_in_g_per_litre_is_divided_by_ten():
    assert canonical("hb", "123", "g/L") == D("12.3")


def test_haemoglobin_in_mmol_per_litre_uses_the_1_611_factor():
    assert canonical("hb", "7.5", "mmol/L") == D("12.0825")  # exact: no rounding to 12.1
    assert canonical("hb", "8", "mmol/L") == D("12.888")


def test_folate_in_nmol_per_litre_is_divided_by_2_266_keeping_ten_decimals():
    assert canonical("folate", "22.66", "nmol/L") == D("10")
    assert canonical("folate", "20", "nmol/L") == D("8.8261253310")  # 8.82612533098...


def test_mma_in_micromol_per_litre_is_multiplied_by_a_thousand():
    assert canonical("mma", "0.35", "µmol/L") == D("350")
    assert canonical("mma", "0.35", "umol/l") == D("350")


def test_potassium_in_meq_per_litre_equals_mmol_per_litre():
    assert canonical("potassium", "3.4", "mEq/L") == D("3.4")


def test_unit_spelling_is_forgiven_but_an_unknown_unit_is_refused():
    assert canonical("b12", "300", " PMOL/l ") == D("406.5")
    with pytest.raises(units.UnknownUnit, match="pg/mL, ng/L, pmol/L"):
        canonical("b12", "300", "mg/dL")


@pytest.mark.parametrize("text", ["-1", "abc", "", "NaN", "Infinity"])
def test_it_refuses_negative_or_non_numeric_input(text):
    with pytest.raises(units.LabValueError):
        units.parse_value(text)


def test_a_decimal_comma_is_read_as_a_decimal_point():
    assert units.parse_value("12,5") == D("12.5")


def test_an_absurd_magnitude_is_refused_with_the_unit_in_the_message():
    with pytest.raises(units.LabValueError, match="far higher than any real Hb"):
        units.check_plausible(D("120"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")


@pytest.mark.parametrize("value, expected", [
    ("3.4", units.LOW), ("3.5", units.NORMAL), ("5.1", units.NORMAL), ("5.2", units.HIGH),
    ("2.4", units.CRITICAL_LOW), ("2.5", units.LOW), ("6.5", units.HIGH),
    ("6.6", units.CRITICAL_HIGH),
])
def test_potassium_flags_follow_the_range_and_critical_limits(value, expected):
    assert units.flag(D(value), ref_low=D("3.5"), ref_high=D("5.1"), critical_low=D("2.5"),
                      critical_high=D("6.5")) == expected


def test_without_a_range_there_is_no_flag():
    assert units.flag(D("5")) == ""


@pytest.mark.parametrize("value, label", [
    ("179.9", "Deficiency likely"), ("180", "Indeterminate"), ("350", "Indeterminate"),
    ("350.1", "Deficiency unlikely"),
])
def test_b12_decision_bands_follow_nice_ng239(value, label):
    assert units.band(D(value), SPEC["b12"]["bands"]) == label


def test_a_qualitative_answer_other_than_the_expected_one_is_abnormal():
    assert units.qualitative_flag("positive", "negative") == units.ABNORMAL
    assert units.qualitative_flag("negative", "negative") == units.NORMAL
