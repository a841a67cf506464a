"""Monitoring plan: which labs are due when, and which result fulfils which planned lab.

The default plan follows CLINICAL.md ("Monitoring"); day 0 is the first day of treatment in the
patient's own zone. Every item is a window of local days: a result of that analyte sampled inside
the window fulfils it. Clinicians edit the plan afterwards (labs.services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# State of a planned lab on a given local day.
UPCOMING, DUE, OVERDUE, DONE, CANCELLED = "upcoming", "due", "overdue", "done", "cancelled"
STATE_LABELS = {UPCOMING: "Coming up", DUE: "Due now", OVERDUE: "Overdue", DONE: "Done",
                CANCELLED: "Cancelled"}


@dataclass(frozen=True)
class PlanItem:
    key: str
    analyte_key: str
    label: str
    due_day: int  # days after the treatment start
    window: tuple[int, int]  # first and last day that count, relative to the start
    note: str = ""
    only_if_severe_anaemia: bool = False


DEFAULT_PLAN = (
    PlanItem("baseline_fbc", "hb", "Full blood count (haemoglobin, MCV) before treatment", 0,
             (-30, 1), "Baseline, ideally before the first injection."),
    PlanItem("baseline_retic", "retic", "Reticulocytes before treatment", 0, (-30, 1)),
    PlanItem("baseline_b12", "b12", "Vitamin B12 before treatment", 0, (-60, 0),
             "Only useful before injections start."),
    PlanItem("baseline_folate", "folate", "Folate before treatment", 0, (-60, 1)),
    PlanItem("baseline_ferritin", "ferritin", "Ferritin (iron stores) before treatment", 0,
             (-60, 1)),
    PlanItem("potassium_48h", "potassium", "Potassium in the first 48 hours", 1, (0, 2),
             "Severe anaemia treated intensively can lower potassium.", True),
    PlanItem("retic_day7", "retic", "Reticulocytes at day 5 to 10", 7, (5, 10),
             "Expected to peak around day 5 to 7."),
    PlanItem("fbc_8w", "hb", "Full blood count at about 8 weeks", 56, (49, 70),
             "Haemoglobin should be normal by about 2 months."),
)


def item_applies(item: PlanItem, *, severe_anaemia: bool) -> bool:
    return severe_anaemia or not item.only_if_severe_anaemia


def state(*, status: str, window_start: dt.date, window_end: dt.date, today: dt.date) -> str:
    """Upcoming before the window, due inside it, overdue after it (until done or cancelled)."""
    if status == "done":
        return DONE
    if status == "cancelled":
        return CANCELLED
    if today > window_end:
        return OVERDUE
    if today >= window_start:
        return DUE
    return UPCOMING


@dataclass(frozen=True)
class OpenItem:
    id: int
    analyte_id: int
    due_date: dt.date
    window_start: dt.date
    window_end: dt.date


def find_match(items: Iterable[OpenItem], *, analyte_id: int, sampled_on: dt.date) -> int | None:
    """The open planned lab a result fulfils: same analyte, sampled inside the window; when
    several windows hold the day, the one due nearest the sample day (then the earliest)."""
    candidates = [i for i in items if i.analyte_id == analyte_id
                  and i.window_start <= sampled_on <= i.window_end]
    if not candidates:
        return None
    best = min(candidates, key=lambda i: (abs((i.due_date - sampled_on).days), i.due_date, i.id))
    return best.id
