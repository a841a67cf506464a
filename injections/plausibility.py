"""Guard rails on doses and their timing (docs/clinical.md, "Plausible doses").

Pure: no database, no HTTP. Forms and services call these functions with what they already
know (the dose typed, the phase's dose, nearby injections, the next open dose) and show the
findings. A finding either *refuses* the entry (never saved, whatever the form says), needs
an explicit *confirmation*, or *asks* whether an early injection is the next dose or an extra.

Doses are compared exactly (Decimal micrograms); the product catalogue below is the one
definition of each product's usual range and hard limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from b12care.core.clock import local_day

MG = "mg"
MICROGRAM = "microgram"
MICROGRAMS_PER_UNIT = {MG: Decimal(1000), MICROGRAM: Decimal(1)}
UNIT_TEXT = {MG: "mg", MICROGRAM: "µg"}

REFUSE = "refuse"
CONFIRM = "confirm"
ASK_TIMING = "ask_timing"

# A second injection closer than this (or than the phase's matching window, if longer) needs
# confirmation.
MIN_GAP = dt.timedelta(hours=24)


@dataclass(frozen=True)
class ProductRange:
    """The usual intramuscular dose of a product and the dose refused outright (micrograms)."""

    name: str
    usual_low: Decimal
    usual_high: Decimal
    refuse_above: Decimal


# Keys are ``injections.models.Product`` values (a test checks every product is here).
CATALOGUE = {
    "hydroxocobalamin": ProductRange("hydroxocobalamin", Decimal(1000), Decimal(1000),
                                     Decimal(5000)),
    "cyanocobalamin": ProductRange("cyanocobalamin", Decimal(100), Decimal(1000), Decimal(5000)),
    "other": ProductRange("vitamin B12", Decimal(100), Decimal(1000), Decimal(5000)),
}


@dataclass(frozen=True)
class Finding:
    kind: str  # REFUSE, CONFIRM or ASK_TIMING
    code: str
    message: str
    field: str | None = None  # the form field a refusal belongs to


def to_micrograms(dose: Decimal, unit: str) -> Decimal:
    return Decimal(dose) * MICROGRAMS_PER_UNIT[unit]


def dose_text(dose: Decimal, unit: str) -> str:
    return f"{Decimal(dose).normalize():f} {UNIT_TEXT.get(unit, unit)}"


def micrograms_text(micrograms: Decimal) -> str:
    if micrograms >= 1000:
        return dose_text(micrograms / 1000, MG)
    return dose_text(micrograms, MICROGRAM)


def usual_range_text(product: ProductRange) -> str:
    if product.usual_low == product.usual_high:
        return micrograms_text(product.usual_low)
    return f"{micrograms_text(product.usual_low)} to {micrograms_text(product.usual_high)}"


def dose_refusal(*, product: str, dose: Decimal, unit: str) -> Finding | None:
    """A dose no one should save: not more than 0, or above the product's hard limit."""
    if dose is None or unit not in MICROGRAMS_PER_UNIT:
        return None
    if dose <= 0:
        return Finding(REFUSE, "dose_not_positive", "Enter the dose: it must be more than 0.",
                       "dose")
    limits = CATALOGUE.get(product, CATALOGUE["other"])
    given = to_micrograms(dose, unit)
    if given <= limits.refuse_above:
        return None
    message = (f"{dose_text(dose, unit)} is far above any {limits.name} injection (at most "
               f"{micrograms_text(limits.refuse_above)}). Check the dose and the unit.")
    if unit == MG and to_micrograms(dose, MICROGRAM) <= limits.refuse_above:
        message += f" Did you mean {dose_text(dose, MICROGRAM)}?"
    return Finding(REFUSE, "dose_above_limit", message, "dose")


def ratio_words(given: Decimal, usual: Decimal) -> str:
    """"1000×" for a whole multiple, "2.5×" otherwise; "less than" for a smaller dose."""
    if given < usual:
        return "less than"
    ratio = (given / usual).quantize(Decimal("0.01")).normalize()
    return f"{ratio:f}×"


def dose_findings(*, product: str, dose: Decimal, unit: str, usual: tuple | None = None,
                  usual_words: str = "your usual") -> list[Finding]:
    """Every finding on one dose. ``usual``: (dose, unit) the phase prescribes, if any;
    ``usual_words`` names it ("your usual", "the phase's current")."""
    refusal = dose_refusal(product=product, dose=dose, unit=unit)
    if refusal is not None or dose is None or unit not in MICROGRAMS_PER_UNIT:
        return [refusal] if refusal else []
    findings = []
    given = to_micrograms(dose, unit)
    text = dose_text(dose, unit)
    if usual is not None and usual[0] is not None:
        usual_ug = to_micrograms(*usual)
        if usual_ug > 0 and given != usual_ug:
            findings.append(Finding(CONFIRM, "dose_differs", (
                f"{text} is {ratio_words(given, usual_ug)} {usual_words} "
                f"{dose_text(*usual)}. Is that right?")))
    limits = CATALOGUE.get(product, CATALOGUE["other"])
    if given < limits.usual_low or given > limits.usual_high:
        findings.append(Finding(CONFIRM, "dose_unusual", (
            f"{text} is outside the usual {limits.name} dose of {usual_range_text(limits)}. "
            "Is that right?")))
    return findings


def duration_words(gap: dt.timedelta) -> str:
    hours = int(gap.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{gap.days} days"


def min_gap(window: dt.timedelta | None) -> dt.timedelta:
    """Injections closer than this need confirmation: 24 hours, or the phase's matching window
    (half its interval) when that is longer."""
    return max(MIN_GAP, window or dt.timedelta(0))


def gap_finding(*, taken_at: dt.datetime, other: dt.datetime | None,
                window: dt.timedelta | None, tz: zoneinfo.ZoneInfo) -> Finding | None:
    """A confirmation when another injection was logged less than ``min_gap`` away."""
    if other is None:
        return None
    gap = abs(taken_at - other)
    if gap >= min_gap(window):
        return None
    side = "before" if other <= taken_at else "after"
    local = other.astimezone(tz)
    return Finding(CONFIRM, "close_to_another", (
        f"An injection is already logged on {local:%a %-d %b at %H:%M}, {duration_words(gap)} "
        f"{side} this one. Is this really a second injection? If it is the same one, cancel "
        "instead."))


def early_finding(*, taken_at: dt.datetime, matched: bool, next_due: dt.datetime | None,
                  next_window: dt.timedelta | None, tz: zoneinfo.ZoneInfo,
                  whose: str = "Your") -> Finding | None:
    """Ask "early or extra?" when the injection fulfils no dose and comes more than a window
    before the next one is due."""
    if matched or next_due is None or next_window is None:
        return None
    if taken_at >= next_due - next_window:
        return None
    return Finding(ASK_TIMING, "early_or_extra", (
        f"{whose} next dose is not due until {local_day(next_due, tz):%a %-d %b %Y}. Is this that "
        "dose, taken early, or an extra dose?"))


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...] = ()

    @property
    def refusals(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == REFUSE]

    @property
    def confirmations(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == CONFIRM]

    @property
    def asks_timing(self) -> bool:
        return any(f.kind == ASK_TIMING for f in self.findings)

    @property
    def signature(self) -> str:
        """Names exactly what was confirmed: a changed entry needs a new confirmation."""
        text = "\n".join(f"{f.code}:{f.message}" for f in self.confirmations)
        return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""


def verdict(*findings: Finding | None) -> Verdict:
    return Verdict(tuple(f for f in findings if f is not None))
