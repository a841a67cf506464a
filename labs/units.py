"""Lab values: parsing, unit conversion, range flags and decision bands. Pure Python, no database.

Every value is a ``Decimal``. A conversion to the canonical unit is a fraction
(``value × multiply ÷ divide``) computed exactly and stored with ``STORED_PLACES`` decimals
(exact for every multiplier; a divisor such as folate's 2.266 rounds only in the 10th place).
Flags, bands and the alert rules compare that stored value; rounding to the analyte's
reporting precision happens only for display (``display_number``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NORMAL = "normal"
LOW = "low"
HIGH = "high"
CRITICAL_LOW = "critical_low"
CRITICAL_HIGH = "critical_high"
ABNORMAL = "abnormal"  # a qualitative result other than the expected one

FLAG_LABELS = {
    NORMAL: "In range",
    LOW: "Low",
    HIGH: "High",
    CRITICAL_LOW: "Critically low",
    CRITICAL_HIGH: "Critically high",
    ABNORMAL: "Abnormal",
    "": "No range",
}

# Patients type units in many ways; these spellings mean the same unit.
UNIT_ALIASES = {
    "ug/l": "µg/L", "mcg/l": "µg/L", "μg/l": "µg/L", "µg/l": "µg/L",
    "umol/l": "µmol/L", "μmol/l": "µmol/L", "µmol/l": "µmol/L", "mcmol/l": "µmol/L",
    "meq/l": "mEq/L", "mmol/l": "mmol/L", "nmol/l": "nmol/L", "pmol/l": "pmol/L",
    "pg/ml": "pg/mL", "ng/ml": "ng/mL", "ng/l": "ng/L", "g/dl": "g/dL", "g/l": "g/L",
    "fl": "fL", "x10^9/l": "10*9/L", "10^9/l": "10*9/L", "10*9/l": "10*9/L",
    "×10^9/l": "10*9/L", "x10*9/l": "10*9/L",
}


class LabValueError(ValueError):
    """A value or unit we refuse, with a message a patient understands."""


class UnknownUnit(LabValueError):
    """The unit is not one this analyte accepts."""


@dataclass(frozen=True)
class Conversion:
    multiply: Decimal = Decimal(1)
    divide: Decimal = Decimal(1)


def canonical_unit_name(text: str) -> str:
    """Tidy a typed unit: ``"pmol/l"`` -> ``"pmol/L"``; unknown spellings are returned trimmed."""
    cleaned = (text or "").strip().replace(" ", "")
    return UNIT_ALIASES.get(cleaned.lower(), cleaned)


MAX_TYPED_VALUE = Decimal(10) ** 9  # LabResult.value_entered holds 10 whole digits


def parse_value(text) -> Decimal:
    """A typed number as a Decimal. Accepts a decimal comma; refuses anything else."""
    if isinstance(text, Decimal):
        value = text
    else:
        raw = str(text or "").strip().replace(",", ".")
        if not raw:
            raise LabValueError("Enter the number from your result.")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise LabValueError(
                f"“{text}” is not a number. Type just the number, e.g. 250 or 12.5."
            ) from None
    if not value.is_finite():
        raise LabValueError("Enter a real number.")
    if value < 0:
        raise LabValueError("A lab result cannot be negative. Check the number you typed.")
    if value >= MAX_TYPED_VALUE:  # 1e308 would overflow the conversion; no result is near it
        raise LabValueError("That number is far too large for any lab result. Check the "
                            "number you typed.")
    return value


def quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


STORED_PLACES = 10  # the decimal places of LabResult.value


def to_canonical(
    value: Decimal, unit: str, conversions: Mapping[str, Conversion], *,
    places: int = STORED_PLACES,
) -> Decimal:
    """Convert ``value`` in ``unit`` to the canonical unit (exact up to ``places`` decimals)."""
    unit = canonical_unit_name(unit)
    if unit not in conversions:
        accepted = ", ".join(conversions)
        raise UnknownUnit(f"We do not know the unit “{unit}” for this test. Use one of: "
                            f"{accepted}.")
    conv = conversions[unit]
    return quantize(value * conv.multiply / conv.divide, places)


def check_plausible(value: Decimal, *, low: Decimal | None, high: Decimal | None,
                    unit: str, name: str) -> None:
    """Refuse a canonical value no human result could have (usually a typo or a wrong unit)."""
    if high is not None and value > high:
        raise LabValueError(
            f"{plain(value)} {unit} is far higher than any real {name} result. Check the number "
            "and the unit on your report."
        )
    if low is not None and value < low:
        raise LabValueError(
            f"{plain(value)} {unit} is far lower than any real {name} result. Check the number "
            "and the unit on your report."
        )


def flag(value: Decimal | None, *, ref_low: Decimal | None = None,
         ref_high: Decimal | None = None, critical_low: Decimal | None = None,
         critical_high: Decimal | None = None) -> str:
    """normal / low / high / critical_low / critical_high, or "" without a range.
    Every limit is inclusive of the normal side: a value equal to ``ref_low`` is in range and
    a value equal to ``critical_low`` is not critical (CLINICAL.md: Hb critical "< 8 g/dL",
    the same ``below`` the alert rule uses)."""
    if value is None:
        return ""
    if critical_low is not None and below(value, critical_low):
        return CRITICAL_LOW
    if critical_high is not None and above(value, critical_high):
        return CRITICAL_HIGH
    if ref_low is None and ref_high is None:
        return ""
    if ref_low is not None and below(value, ref_low):
        return LOW
    if ref_high is not None and above(value, ref_high):
        return HIGH
    return NORMAL


def below(value: Decimal, limit) -> bool:
    """"< limit" as CLINICAL.md writes it: the limit itself is not below. Flags, bands and the
    alert rules all use this (and ``above``), so a page and a rule never disagree."""
    return value < Decimal(str(limit))


def above(value: Decimal, limit) -> bool:
    """"> limit": the limit itself is not above."""
    return value > Decimal(str(limit))


def band(value: Decimal | None, bands: Iterable[Mapping]) -> str:
    """The decision band ``value`` falls in. Bands are checked in order; each has ``below``
    (exclusive) or ``upto`` (inclusive) in the canonical unit, the last may have neither.
    NICE NG239 for B12: < 180 deficient, 180–350 indeterminate, > 350 unlikely."""
    if value is None:
        return ""
    for item in bands:
        if "below" in item and below(value, item["below"]):
            return item["label"]
        if "upto" in item and not above(value, item["upto"]):
            return item["label"]
        if "below" not in item and "upto" not in item:
            return item["label"]
    return ""


def qualitative_flag(answer: str, normal: str) -> str:
    if not answer:
        return ""
    return NORMAL if answer == normal else ABNORMAL


DISPLAY_UNITS = {"10*9/L": "×10⁹/L"}  # UCUM spelling -> what a printed report shows


def display_unit(unit: str) -> str:
    return DISPLAY_UNITS.get(unit, unit)


def display_number(value: Decimal | None, places: int) -> str:
    """A stored value for people: exactly as it is when it has at most 4 decimals (a typed
    3.45 stays 3.45, so the text agrees with its flag), else rounded to the reporting
    ``places`` (a divided conversion's long tail is not precision)."""
    if value is None:
        return ""
    if value != quantize(value, 4):
        value = quantize(value, places)
    return plain(value)


def plain(value: Decimal | None) -> str:
    """A Decimal without exponent or trailing zeros beyond what it carries: 406.5, 12, 0.35."""
    if value is None:
        return ""
    normalized = value.normalize()
    return f"{normalized:f}"


def significant_digits(entered: Decimal) -> int:
    """How many digits the patient typed, ignoring zeros after the decimal point that storage
    adds: 300 -> 3, 13.5 -> 3, 0.35 -> 2."""
    value = entered.normalize()
    if value.as_tuple().exponent > 0:
        value = value.quantize(Decimal(1))
    return len(value.as_tuple().digits)


def converted_text(canonical: Decimal, entered: Decimal) -> str:
    """A converted value with no more precision than what was typed (at least 2 significant
    digits, never more decimals than ``canonical`` has): 300 pmol/L -> "407", not "406.5"."""
    if canonical == 0:
        return plain(canonical)
    digits = max(2, significant_digits(entered))
    places = digits - 1 - canonical.adjusted()
    if places >= -canonical.as_tuple().exponent:
        return plain(canonical)
    return plain(canonical.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
