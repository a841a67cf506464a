"""Plausible input: the bounds every form and model of B12 Care shares.

Forms refuse what is implausible with a clear message (nothing saved is lost: the form comes
back with what was typed); models carry the same bounds so the admin and services refuse it
too. ``implausible_rows`` checks the whole database against them (the fuzz test uses it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

EARLIEST_DATE = dt.date(1900, 1, 1)
# Anything planned (doses, labs, expiry) lies within this many years of today.
YEARS_AHEAD = 10
# Free text: notes, reasons, messages. Names and labels have their own, smaller limits.
NOTE_MAX_LENGTH = 2000
LONG_TEXT_MAX_LENGTH = 10000
# Database ids are 64-bit; a number past this in an address or a form is no object of ours.
MAX_ID = 2**63 - 1

# Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI) and the invisible marks
# that reorder text on screen: "Ann\u202eeiL" would show as another name.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def strip_bidi(text: str) -> str:
    """The text without characters that change the direction it is shown in."""
    return BIDI_CONTROLS.sub("", text or "")


def latest_date(today: dt.date, years: int = YEARS_AHEAD) -> dt.date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def check_past_date(value: dt.date | None, *, today: dt.date, what: str = "The date") -> None:
    """A day that has happened: a sample, a birth, an assessment (1900 to today)."""
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise ValidationError(f"{what} cannot be before 1900.", code="too_early")
    if value > today:
        raise ValidationError(f"{what} cannot be in the future.", code="future")


def check_planned_date(value: dt.date | None, *, today: dt.date, years: int = YEARS_AHEAD,
                       what: str = "The date") -> None:
    """A day that may lie ahead (expiry, a plan): 1900 to ``years`` years from today."""
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise ValidationError(f"{what} cannot be before 1900.", code="too_early")
    if value > latest_date(today, years):
        raise ValidationError(f"{what} is more than {years} years ahead; please check it.",
                              code="too_late")


def finite_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or None for NaN, infinity and what is no number."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def bounded_int(value, *, default: int | None = None, low: int = 0,
                high: int = MAX_ID) -> int | None:
    """An integer from a request parameter, or ``default`` when it is none or out of range."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


# --- Validators for model and form fields (limits are read when they run) ---------------------

def _tomorrow() -> dt.date:
    """Today in the zone furthest ahead of UTC: a day that has happened anywhere."""
    return timezone.now().date() + dt.timedelta(days=1)


def _years_ahead() -> dt.date:
    return latest_date(timezone.now().date())


def _expiry_latest() -> dt.date:
    return latest_date(timezone.now().date(), EXPIRY_YEARS_AHEAD)


def _expiry_earliest() -> dt.date:
    return latest_date(timezone.now().date(), -EXPIRY_YEARS_AHEAD)


EXPIRY_YEARS_AHEAD = 5  # ampoules keep about three years; more is a typing mistake
_TOO_EARLY = "Check the year: dates before 1900 are not accepted."
PAST_DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_DATE, _TOO_EARLY),
    MaxValueValidator(_tomorrow, "This date cannot be in the future."),
]
PLANNED_DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_DATE, _TOO_EARLY),
    MaxValueValidator(_years_ahead, f"Check the year: more than {YEARS_AHEAD} years ahead."),
]
EXPIRY_DATE_VALIDATORS = [
    MinValueValidator(_expiry_earliest, "Check the year: this expiry date is long past."),
    MaxValueValidator(_expiry_latest, "Check the year: ampoules do not keep that long."),
]


def validate_finite(value) -> None:
    if value is not None and not Decimal(value).is_finite():
        raise ValidationError("Enter a number.", code="not_finite")


def validate_no_bidi(value: str) -> None:
    if BIDI_CONTROLS.search(value or ""):
        raise ValidationError("Remove the hidden direction characters from this text.",
                              code="bidi")


# --- The whole database ---------------------------------------------------------------------

OUR_APPS = ("accounts", "core", "alerts", "clinic", "exports", "api", "injections", "symptoms",
            "labs")
NAME_FIELDS = {"first_name", "last_name", "name", "lab_name", "short_name", "label"}


def our_models() -> list[type[models.Model]]:
    """B12 Care's own models (history tables mirror them and are left out)."""
    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS
            and not m.__name__.startswith("Historical")]


def _text_problem(field, value: str) -> str | None:
    limit = field.max_length or LONG_TEXT_MAX_LENGTH
    if len(value) > limit:
        return f"{len(value)} characters (limit {limit})"
    if "\x00" in value:
        return "a NUL character"
    if field.name in NAME_FIELDS and BIDI_CONTROLS.search(value):
        return "a direction control in a name"
    return None


def _problem(field, value, today: dt.date) -> str | None:
    if value is None:
        return None
    if isinstance(field, (models.CharField, models.TextField)):
        return _text_problem(field, value)
    if isinstance(field, models.DateTimeField):
        value = value.date()
    if isinstance(field, models.DateField) and not EARLIEST_DATE <= value <= latest_date(today):
        return f"the date {value}"
    numeric = isinstance(field, (models.DecimalField, models.FloatField))
    if numeric and (not math.isfinite(value) or abs(value) >= 10**9):
        return f"the number {value}"
    return None


def implausible_rows(today: dt.date | None = None) -> list[str]:
    """``"label pk field: problem"`` for every stored value outside the bounds above."""
    today = today or dt.date.today()
    found = []
    for model in our_models():
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.DateField,
                                    models.DecimalField, models.FloatField))]
        for row in model._default_manager.values("pk", *[f.attname for f in fields]).iterator():
            for field in fields:
                if problem := _problem(field, row[field.attname], today):
                    found.append(f"{model._meta.label} {row['pk']} {field.name}: {problem}")
    return found
