"""The one-tap "Taken now" log of a due dose on the patient home.

The home shows a small form whose values are decided here, from facts the home has already
read (the last injection, the due dose's phase, the site suggestion, whether the patient may
inject themselves). It posts to the full log form's view, so the entry goes through the same
form, guard rails (plausibility.py) and service (``services.injection_record``), with a form
token of its own as the full form has (a double tap records one injection); a guard-rail
question opens the full form with the question shown, and nothing is saved until answered.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.http import QueryDict

from .models import (
    LOCAL_REACTIONS,
    SYSTEMIC_REACTIONS,
    AdministeredBy,
    DoseUnit,
    Injection,
    Phase,
    Product,
    Site,
)

# The sites offered as chips, in pairs (left, right) so each row of two chips is one body
# part; the buttock (dorsogluteal) site is never offered here (the full form still has it).
CHIP_SITES = (
    (Site.LEFT_THIGH, "Left thigh"), (Site.RIGHT_THIGH, "Right thigh"),
    (Site.LEFT_VENTROGLUTEAL, "Left hip"), (Site.RIGHT_VENTROGLUTEAL, "Right hip"),
    (Site.LEFT_DELTOID, "Left arm"), (Site.RIGHT_DELTOID, "Right arm"),
)
TAKEN_NOW = "taken_now"  # the flag the one-tap form posts: "given at the moment of saving"
# Set with the wall time when "now" is the second occurrence of a repeated local hour (clocks
# going back): a wall time alone would read as the first (``clock.to_utc``), an hour early.
TAKEN_AT_FOLD = "taken_at_fold"


# Who gave it, as chips on the one-tap form ("Me" only for a patient cleared to self-inject).
GIVER_CHIPS = ((AdministeredBy.SELF, "Me"), (AdministeredBy.CARER, "Carer or family"),
               (AdministeredBy.NURSE, "Nurse or clinic"))


def chip_label(site: str | None) -> str:
    """A site's short name ("Left thigh"); the full name for a site without a chip."""
    if not site:
        return ""
    return dict(CHIP_SITES).get(site) or Site(site).label


@dataclass(frozen=True)
class QuickLog:
    """The values the one-tap form posts (the patient changes only the site, or ticks a
    reaction behind "Any problems?")."""

    site: str
    sites: list[tuple[str, str]]  # the chips (value, short label); sore sites left out
    administered_by: str
    product: str
    dose: Decimal
    unit: str
    lot_number: str
    expiry_date: dt.date | None
    batch_remembered: bool
    givers: tuple[tuple[str, str], ...] = ()  # who may have given it (value, short label)

    @property
    def site_label(self) -> str:
        return chip_label(self.site)

    @property
    def product_label(self) -> str:
        return Product(self.product).label

    @property
    def unit_label(self) -> str:
        return DoseUnit(self.unit).label

    @property
    def by_label(self) -> str:
        return AdministeredBy(self.administered_by).label

    @property
    def dose_value(self) -> str:
        """The dose as the form takes it: "1", not "1.00" (nor "1E+3")."""
        return f"{Decimal(self.dose).normalize():f}"

    @property
    def dose_text(self) -> str:
        return f"{self.dose_value} {self.unit_label}"

    @property
    def local_reactions(self) -> list[tuple[str, str]]:
        return list(LOCAL_REACTIONS.items())

    @property
    def systemic_reactions(self) -> list[tuple[str, str]]:
        return list(SYSTEMIC_REACTIONS.items())


def quick_log(*, phase: Phase | None, last: Injection | None, suggested_site: str | None,
              avoid: dict[str, str], ready_for_self: bool, today: dt.date) -> QuickLog | None:
    """The one-tap defaults for the dose of ``phase`` due now, or None when one tap cannot
    be offered (every usual site is sore: the full form asks the patient to call the clinic).

    - Product, dose and unit are the phase's: the clinician's prescription wins over the last
      injection when the two differ (a changed dose is not carried over silently). Without a
      phase, the last injection's.
    - The batch (lot number and expiry) is remembered from the last injection when it was the
      same product and unit and its expiry has not passed by ``today`` (the patient's day):
      an expired batch is never offered again.
    - Who gave it: as last time, except "myself" for a patient not (or no longer) cleared to
      inject themselves; with no earlier injection, "myself" when cleared, else a nurse.
    """
    if suggested_site is None:
        return None
    if phase is not None:
        product, dose, unit = phase.product, phase.dose, phase.unit
    elif last is not None:
        product, dose, unit = last.product, last.dose, last.unit
    else:
        return None
    same_box = (last is not None and last.lot_number and last.product == product
                and last.unit == unit
                and (last.expiry_date is None or last.expiry_date >= today))
    by = last.administered_by if last is not None else ""
    if not by or (by == AdministeredBy.SELF and not ready_for_self):
        by = AdministeredBy.SELF if ready_for_self else AdministeredBy.NURSE
    sites = [(value, label) for value, label in CHIP_SITES
             if value not in avoid or value == suggested_site]
    givers = tuple((value, label) for value, label in GIVER_CHIPS
                   if value != AdministeredBy.SELF or ready_for_self)
    return QuickLog(
        site=suggested_site, sites=sites, administered_by=by, givers=givers,
        product=product, dose=dose, unit=unit,
        lot_number=last.lot_number if same_box else "",
        expiry_date=last.expiry_date if same_box else None,
        batch_remembered=bool(same_box),
    )


def with_taken_now(data: QueryDict, *, now: dt.datetime, tz) -> QueryDict:
    """The posted values of a one-tap log with "when" set to ``now`` in the patient's zone
    (the minute the patient pressed "Taken now", not when the home was drawn). Any other post
    is returned unchanged."""
    if not data.get(TAKEN_NOW):
        return data
    data = data.copy()
    local = now.astimezone(tz)
    data["taken_at"] = local.strftime("%Y-%m-%dT%H:%M")
    if local.fold:  # the repeated hour when clocks go back: its second occurrence
        data[TAKEN_AT_FOLD] = "1"
    data.pop(TAKEN_NOW)
    return data
