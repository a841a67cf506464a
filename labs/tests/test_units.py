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


def test_flags_are_stored_under_the_names_templates_and_old_rows_use():
    assert [units.NORMAL, units.LOW, units.HIGH, units.CRITICAL_LOW, units.CRITICAL_HIGH,
            units.ABNORMAL] == ["normal", "low", "high", "critical_low", "critical_high",
                                "abnormal"]


def test_each_flag_has_the_label_people_read():
    assert units.FLAG_LABELS == {
        "normal": "In range", "low": "Low", "high": "High", "critical_low": "Critically low",
        "critical_high": "Critically high", "abnormal": "Abnormal", "": "No range",
    }


@pytest.mark.parametrize("typed, unit", [
    ("ug/l", "µg/L"), ("mcg/l", "µg/L"), ("μg/l", "µg/L"), ("µg/l", "µg/L"),
    ("umol/l", "µmol/L"), ("μmol/l", "µmol/L"), ("µmol/l", "µmol/L"), ("mcmol/l", "µmol/L"),
    ("meq/l", "mEq/L"), ("mmol/l", "mmol/L"), ("nmol/l", "nmol/L"), ("pmol/l", "pmol/L"),
    ("pg/ml", "pg/mL"), ("ng/ml", "ng/mL"), ("ng/l", "ng/L"), ("g/dl", "g/dL"), ("g/l", "g/L"),
    ("fl", "fL"), ("%", "%"), ("x10^9/l", "10*9/L"), ("10^9/l", "10*9/L"),
    ("10*9/l", "10*9/L"), ("×10^9/l", "10*9/L"), ("x10*9/l", "10*9/L"), (" Mg / dl ", "Mg/dl"),
    (None, ""),
])
def test_every_spelling_of_a_unit_is_tidied_to_its_ucum_name(typed, unit):
    assert units.canonical_unit_name(typed) == unit


def test_units_are_shown_as_a_printed_report_shows_them():
    assert units.display_unit("10*9/L") == "×10⁹/L"
    assert units.display_unit("g/dL") == "g/dL"


@pytest.mark.parametrize("text, message", [
    ("", "Enter the number from your result."), (None, "Enter the number from your result."),
    ("abc", "“abc” is not a number. Type just the number, e.g. 250 or 12.5."),
    ("-0.1", "A lab result cannot be negative. Check the number you typed."),
    ("NaN", "Enter a real number."),
])
def test_a_refused_value_says_why_in_plain_words(text, message):
    with pytest.raises(units.LabValueError) as refused:
        units.parse_value(text)
    assert str(refused.value) == message


def test_a_decimal_is_taken_as_it_is_and_zero_is_a_value():
    assert units.parse_value(D("12.50")) == D("12.50")
    assert units.parse_value(" 0 ") == 0
    with pytest.raises(units.LabValueError):
        units.parse_value(D("-1"))


def test_an_unknown_unit_names_the_unit_and_the_accepted_ones():
    with pytest.raises(units.UnknownUnit) as refused:
        canonical("hb", "12", "mg/dl")
    assert str(refused.value) == ("We do not know the unit “mg/dl” for this test. Use one of: "
                                  "g/dL, g/L, mmol/L.")


def test_a_value_below_the_plausible_floor_is_refused_and_the_limits_themselves_pass():
    with pytest.raises(units.LabValueError, match=r"^1\.9 g/dL is far lower than any real Hb"):
        units.check_plausible(D("1.9"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")
    units.check_plausible(D("2"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")
    units.check_plausible(D("25"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")
    units.check_plausible(D("99"), low=None, high=None, unit="g/dL", name="Hb")


def test_a_conversion_rounds_half_up_in_its_last_kept_place():
    assert units.to_canonical(D("1"), "x", {"x": Conversion(D(1), D(8))}, places=2) == D("0.13")
    assert units.quantize(D("0.125"), 2) == D("0.13")


def test_a_value_without_any_result_has_no_flag_or_band():
    assert units.flag(None, ref_low=D("1")) == ""
    assert units.band(None, SPEC["b12"]["bands"]) == ""
    assert units.band(D("5"), [{"below": "1", "label": "x"}]) == ""
    assert units.display_number(None, 1) == ""
    assert units.plain(None) == ""


def test_a_range_with_only_one_side_still_flags():
    assert units.flag(D("5"), ref_high=D("4")) == units.HIGH
    assert units.flag(D("5"), ref_low=D("6")) == units.LOW
    assert units.flag(D("5"), critical_high=D("4")) == units.CRITICAL_HIGH
    assert units.flag(D("5"), critical_low=D("6")) == units.CRITICAL_LOW


def test_a_qualitative_result_without_an_answer_has_no_flag():
    assert units.qualitative_flag("", "negative") == ""


def test_an_implausible_value_is_refused_with_the_whole_explanation():
    with pytest.raises(units.LabValueError) as high:
        units.check_plausible(D("120"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")
    assert str(high.value) == ("120 g/dL is far higher than any real Hb result. Check the "
                               "number and the unit on your report.")
    with pytest.raises(units.LabValueError) as low:
        units.check_plausible(D("1"), low=D("2"), high=D("25"), unit="g/dL", name="Hb")
    assert str(low.value) == ("1 g/dL is far lower than any real Hb result. Check the "
                              "number and the unit on your report.")


def test_a_unit_without_factors_converts_unchanged_and_a_conversion_cannot_be_altered():
    same = Conversion()
    assert (same.multiply, same.divide) == (1, 1)
    assert units.to_canonical(D("3.45"), "x", {"x": same}) == D("3.45")
    with pytest.raises(AttributeError):
        same.multiply = D(2)


@pytest.mark.parametrize("typed, digits", [
    ("300", 3), ("30", 2), ("13.5", 3), ("0.35", 2), ("300.000", 3), ("7", 1),
])
def test_the_digits_a_patient_typed_are_counted_without_storage_zeros(typed, digits):
    assert units.significant_digits(D(typed)) == digits


@pytest.mark.parametrize("canonical, typed, text", [
    ("406.5", "300", "407"),  # 300 pmol/L of B12 is shown as 407 pg/mL, not 406.5
    ("406.5", "30", "410"), ("406.5", "3", "410"),  # never fewer than 2 significant digits
    ("0.0406500", "3.00", "0.041"), ("8.8261253310", "20", "8.8"), ("12.5", "125", "12.5"),
    ("0", "0", "0"),
])
def test_a_converted_value_shows_no_more_precision_than_was_typed(canonical, typed, text):
    assert units.converted_text(D(canonical), D(typed)) == text


@pytest.mark.parametrize("text, refused", [
    ("999999999.99", False), ("1000000000", True), ("1e308", True),
])
def test_a_value_of_a_thousand_million_or_more_is_refused_in_plain_words(text, refused):
    """10^9 is past any lab result and past what the stored value holds; 1e308 would overflow
    the conversion."""
    if refused:
        with pytest.raises(units.LabValueError) as error:
            units.parse_value(text)
        assert str(error.value) == ("That number is far too large for any lab result. Check "
                                    "the number you typed.")
    else:
        assert units.parse_value(text) == D(text)
