"""Pure scheduling logic: recurrences, dose windows, adherence (local wall time -> UTC is
``b12care.core.clock``).

Nothing here touches the database. Every function takes what it needs, including ``now``,
so the rules can be tested with fixed clocks. docs/schedules.md explains the choices.

Vocabulary
- A *phase* repeats a dose on a recurrence ("every 2 days", "Mon/Wed/Fri", "every 3 months").
- A phase's doses fall on *days*; each day plus the phase's local time of day is a wall-clock
  time in the patient's IANA zone, converted to a UTC instant for storage.
- The first phase starts on its start day (a dose that day if the rule allows it). A later phase
  without its own start day continues from the previous phase's end: its first dose is one of
  its own intervals after that end (3 months after the last induction dose, say).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dateutil.rrule import rrulestr

from b12care.core.clock import local_day, to_utc

UTC = dt.UTC

# How a phase repeats (plain choices in the clinician's form; never typed RRULE).
DAYS = "days"  # every N days
WEEKS = "weeks"  # every N weeks, on the weekday of the first dose
WEEKDAYS = "weekdays"  # on the given weekdays, every N weeks
MONTHS = "months"  # every N months on the same day of the month
REPEATS = (DAYS, WEEKS, WEEKDAYS, MONTHS)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = {DAYS: 365, WEEKS: 52, WEEKDAYS: 12, MONTHS: 24}

# Rolling horizon of materialised planned doses: at least this long, and at least MIN_AHEAD doses.
HORIZON = dt.timedelta(days=90)
MIN_AHEAD = 3
# A logged injection fulfils the nearest open dose within half the phase's interval, capped.
MAX_MATCH_WINDOW = dt.timedelta(days=28)
MIN_MATCH_WINDOW = dt.timedelta(hours=12)


class ScheduleError(ValueError):
    """A recurrence that cannot be scheduled; the message is safe to show to a clinician."""


@dataclass(frozen=True)
class Recurrence:
    repeat: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    count: int | None = None  # end after this many doses
    until: dt.date | None = None  # or on this day (inclusive); neither: open-ended

    def validate(self) -> None:
        if self.repeat not in REPEATS:
            raise ScheduleError("Choose how often the dose repeats.")
        if not 1 <= int(self.interval) <= MAX_INTERVAL[self.repeat]:
            raise ScheduleError(
                f"The interval must be between 1 and {MAX_INTERVAL[self.repeat]} {self.repeat}."
            )
        if self.repeat == WEEKDAYS:
            if not self.weekdays:
                raise ScheduleError("Choose at least one weekday.")
            if any(code not in WEEKDAY_CODES for code in self.weekdays):
                raise ScheduleError("Unknown weekday.")
        if self.count is not None and self.until is not None:
            raise ScheduleError("End the phase after a number of doses or on a date, not both.")
        if self.count is not None and self.count < 1:
            raise ScheduleError("The number of doses must be at least 1.")

    @property
    def nominal_interval(self) -> dt.timedelta:
        """Typical time between doses (months count as 30.44 days)."""
        n = int(self.interval)
        if self.repeat == DAYS:
            return dt.timedelta(days=n)
        if self.repeat == WEEKS:
            return dt.timedelta(weeks=n)
        if self.repeat == WEEKDAYS:
            return dt.timedelta(weeks=n) / max(1, len(self.weekdays))
        return dt.timedelta(days=30.44 * n)

    def describe(self) -> str:
        """Plain words: "every 2 days", "Mon, Wed and Fri every week", "every 3 months"."""
        text = self.frequency()
        if self.count:
            text += f", {self.count} dose{'s' if self.count != 1 else ''}"
        elif self.until:
            text += f", until {self.until:%-d %b %Y}"
        else:
            text += ", until a clinician ends it"
        return text

    def frequency(self) -> str:
        """How often, without the end: "on alternate days", "every 3 months"."""
        n = int(self.interval)
        if self.repeat == DAYS:
            text = "every day" if n == 1 else ("on alternate days" if n == 2 else f"every {n} days")
        elif self.repeat == WEEKS:
            text = "every week" if n == 1 else f"every {n} weeks"
        elif self.repeat == WEEKDAYS:
            names = [WEEKDAY_NAMES[c] for c in WEEKDAY_CODES if c in self.weekdays]
            days = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else (
                names[0] if names else "on chosen weekdays")
            text = f"{days} " + ("every week" if n == 1 else f"every {n} weeks")
        else:
            text = "every month" if n == 1 else f"every {n} months"
        return text


WEEKDAY_NAMES = dict(
    zip(WEEKDAY_CODES, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)
)


def build_rrule(rec: Recurrence, *, first_day: dt.date | None = None) -> str:
    """The RFC 5545 RRULE for ``rec`` (stored on the phase; FHIR export reads it).

    Monthly on the 29th-31st means "that day, or the month's last day when it is shorter"
    (BYMONTHDAY=d,-1;BYSETPOS=1), so 31 Jan is followed by 28 Feb and then 31 Mar, never by a
    skipped month.
    """
    rec.validate()
    freq = {DAYS: "DAILY", WEEKS: "WEEKLY", WEEKDAYS: "WEEKLY", MONTHS: "MONTHLY"}[rec.repeat]
    parts = [f"FREQ={freq}"]
    if int(rec.interval) > 1:
        parts.append(f"INTERVAL={int(rec.interval)}")
    if rec.repeat == WEEKDAYS:
        parts.append("BYDAY=" + ",".join(c for c in WEEKDAY_CODES if c in rec.weekdays))
    if rec.repeat == MONTHS and first_day is not None and first_day.day >= 29:
        parts.append(f"BYMONTHDAY={first_day.day},-1;BYSETPOS=1")
    if rec.count:
        parts.append(f"COUNT={int(rec.count)}")
    elif rec.until:
        parts.append(f"UNTIL={rec.until:%Y%m%d}T235959")
    return ";".join(parts)


def _days_from(rec: Recurrence, dtstart_day: dt.date) -> Iterator[dt.date]:
    """Every day the rule gives from ``dtstart_day`` (unbounded by count; bounded by until)."""
    open_rec = Recurrence(rec.repeat, rec.interval, tuple(rec.weekdays), None, rec.until)
    rule = rrulestr(
        build_rrule(open_rec, first_day=dtstart_day),
        # Only the occurrences' dates are used: any time of day gives the same days.
        dtstart=dt.datetime.combine(dtstart_day, dt.time(0)),  # pragma: no mutate (dates only)
    )
    for occurrence in rule:
        yield occurrence.date()


@dataclass(frozen=True)
class PhasePlan:
    """What the scheduler needs to know about one phase."""

    recurrence: Recurrence
    time_of_day: dt.time
    start_day: dt.date | None = None  # explicit first possible dose day
    ended_on: dt.date | None = None  # a clinician ended the phase: no doses after this day


@dataclass(frozen=True)
class PhaseSpan:
    """Where a phase sits in time: its anchor day and end day (None: not known yet)."""

    anchor: dt.date | None  # None: an earlier phase is still open, this one has not started
    include_anchor: bool  # explicit start: a dose may fall on the anchor day itself
    end: dt.date | None  # last dose day, or the day a clinician ended it; None: open


def phase_days(plan: PhasePlan, span: PhaseSpan) -> Iterator[dt.date]:
    """The dose days of one phase, in order (finite if it ends by count, date or clinician)."""
    if span.anchor is None:
        return
    days = _days_from(plan.recurrence, span.anchor)
    if not span.include_anchor:
        days = (d for d in days if d > span.anchor)
    if plan.recurrence.count:
        days = itertools.islice(days, int(plan.recurrence.count))
    for day in days:
        if plan.ended_on is not None and day > plan.ended_on:
            return
        yield day


def phase_spans(plans: Sequence[PhasePlan]) -> list[PhaseSpan]:
    """Chain the phases: each later phase continues from the end of the one before it."""
    spans: list[PhaseSpan] = []
    # Read only from the second phase on, after the first has set it (index 0 decides first).
    previous_end: dt.date | None = None  # pragma: no mutate (initial value never read)
    for index, plan in enumerate(plans):
        if plan.start_day is not None:
            anchor, include = plan.start_day, True
        elif index == 0 or previous_end is None:
            anchor, include = None, False
        else:
            anchor, include = previous_end, False
        span = PhaseSpan(anchor, include, None)
        end = None
        if anchor is not None:
            if plan.recurrence.count or plan.recurrence.until:
                last = None
                for last in phase_days(plan, span):  # noqa: B007 - finite by count/until
                    pass
                # phase_days stops at ended_on, so the last dose is never after it
                end = last if last is not None else (plan.ended_on or anchor)
            elif plan.ended_on is not None:
                end = plan.ended_on
        span = PhaseSpan(anchor, include, end)
        spans.append(span)
        previous_end = end
    return spans


@dataclass(frozen=True)
class PlannedSlot:
    phase_index: int
    sequence: int  # 1-based dose number within the phase
    day: dt.date  # local day
    due_at: dt.datetime  # UTC


def plan_slots(
    plans: Sequence[PhasePlan],
    tz: zoneinfo.ZoneInfo,
    *,
    now: dt.datetime,
    since: dt.datetime | None = None,
    horizon: dt.timedelta = HORIZON,
    min_ahead: int = MIN_AHEAD,
) -> list[PlannedSlot]:
    """Doses due from ``since`` (default: all) up to the rolling horizon: at least
    ``now + horizon`` and at least ``min_ahead`` doses after ``now``, whichever is longer."""
    spans = phase_spans(plans)
    horizon_end = now + horizon
    slots: list[PlannedSlot] = []
    ahead = 0
    # phase_spans gives exactly one span per plan: ``strict`` never fails.
    for index, (plan, span) in enumerate(zip(plans, spans, strict=True)):  # pragma: no mutate
        for sequence, day in enumerate(phase_days(plan, span), start=1):
            due = to_utc(day, plan.time_of_day, tz)
            if due > horizon_end and ahead >= min_ahead:
                break
            if due > now:
                ahead += 1
            if since is None or due >= since:
                slots.append(PlannedSlot(index, sequence, day, due))
    return slots


def next_slots(plans: Sequence[PhasePlan], tz: zoneinfo.ZoneInfo, *, after: dt.datetime,
               limit: int) -> list[PlannedSlot]:
    """The next ``limit`` doses strictly after ``after`` (for previews and supply forecasts)."""
    found = []
    for slot in plan_slots(plans, tz, now=after, horizon=dt.timedelta(0), min_ahead=limit):
        if slot.due_at > after:
            found.append(slot)
            if len(found) == limit:
                # A safeguard: plan_slots with min_ahead=limit and no horizon already
                # stops after ``limit`` doses after ``after``.
                break  # pragma: no mutate (equivalent: nothing follows)
    return found


def match_window(rec: Recurrence) -> dt.timedelta:
    """How far from its due time an injection still counts for that dose: half the phase's
    interval (so neighbouring doses never compete), at least 12 hours, at most 28 days."""
    half = rec.nominal_interval / 2
    return max(MIN_MATCH_WINDOW, min(half, MAX_MATCH_WINDOW))


def on_time_grace(rec: Recurrence) -> dt.timedelta:
    """How late a dose may be and still count as on time: 1 day for doses a few days apart,
    7 days for weekly-or-rarer doses (never more than the matching window)."""
    grace = dt.timedelta(days=1) if rec.nominal_interval < dt.timedelta(days=7) else dt.timedelta(
        days=7
    )
    return min(grace, match_window(rec))


@dataclass(frozen=True)
class OpenDose:
    key: object  # whatever identifies the dose for the caller (a pk)
    due_at: dt.datetime
    window: dt.timedelta


def nearest_open_dose(doses: Sequence[OpenDose], taken_at: dt.datetime) -> object | None:
    """The key of the open dose nearest to ``taken_at`` within its window, or None (extra).
    On a tie the earlier dose wins (catching up before running ahead)."""
    best = None
    for dose in doses:
        distance = abs(taken_at - dose.due_at)
        if distance > dose.window:
            continue
        if best is None or (distance, dose.due_at) < (best[0], best[1].due_at):
            best = (distance, dose)
    return best[1].key if best else None


def dose_deadline(due_at: dt.datetime, grace: dt.timedelta) -> dt.datetime:
    """The last instant a dose counts as on time (stored as ``PlannedDose.deadline``)."""
    return due_at + grace


def is_overdue(deadline: dt.datetime, *, now: dt.datetime) -> bool:
    """The one definition of "overdue": an untaken dose whose on-time grace has passed
    (in SQL: ``deadline < now``). A dose due an hour ago is not overdue yet."""
    return deadline < now


def is_due(due_at: dt.datetime, *, window_end: dt.datetime, grace_end: dt.datetime,
           now: dt.datetime) -> bool:
    """Whether a dose is there to log now: its matching window is open (from ``window`` before
    the due time to ``window_end``) or it is overdue. Earlier, the home offers no "Log this
    dose" (an injection then would be early or extra)."""
    window_start = due_at - (window_end - due_at)
    return window_start <= now <= window_end or is_overdue(grace_end, now=now)


@dataclass(frozen=True)
class DoseOutcome:
    due_at: dt.datetime
    taken_at: dt.datetime | None
    skipped: bool
    grace: dt.timedelta


@dataclass(frozen=True)
class Adherence:
    on_time: int
    due: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None


def adherence(doses: Sequence[DoseOutcome], *, now: dt.datetime) -> Adherence:
    """On time / due. A dose counts as due once it was taken or its on-time grace has passed
    (a dose due an hour ago is not late yet); skipped doses (clinician's decision) do not count.
    On time: taken no later than due time + grace (early within the matching window is fine)."""
    on_time = due = 0
    for dose in doses:
        if dose.skipped:
            continue
        deadline = dose_deadline(dose.due_at, dose.grace)
        if dose.taken_at is not None:
            due += 1
            on_time += dose.taken_at <= deadline
        elif is_overdue(deadline, now=now):
            due += 1
    return Adherence(on_time, due)


def due_phrase(due_at: dt.datetime, *, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """Plain words for a due time relative to today in the patient's zone:
    "due today", "due tomorrow", "due in 5 days", "overdue by 1 day", "overdue by 2 days"."""
    days = (local_day(due_at, tz) - local_day(now, tz)).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"
