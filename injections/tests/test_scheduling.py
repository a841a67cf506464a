"""Pure scheduling rules: recurrences, daylight saving, matching windows, adherence."""

import datetime as dt
import zoneinfo

import pytest

from injections import scheduling as s
from injections.scheduling import PhasePlan, Recurrence

UTC = dt.UTC
NY = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


# --- Daylight saving: the 2026 transitions ---------------------------------------------------

@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc"),
    [
        # Spring forward: the wall time does not exist -> the first valid time after the gap.
        (NY, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
        (LONDON, dt.date(2026, 3, 29), dt.time(1, 30), utc(2026, 3, 29, 1, 0)),  # 02:00 BST
        (SYDNEY, dt.date(2026, 10, 4), dt.time(2, 15), utc(2026, 10, 3, 16, 0)),  # 03:00 AEDT
        # Fall back: the wall time happens twice -> due once, at the first occurrence.
        (NY, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT
        (LONDON, dt.date(2026, 10, 25), dt.time(1, 30), utc(2026, 10, 25, 0, 30)),  # 01:30 BST
        (SYDNEY, dt.date(2026, 4, 5), dt.time(2, 30), utc(2026, 4, 4, 15, 30)),  # 02:30 AEDT
    ],
)
def test_a_local_time_in_a_dst_transition_follows_the_product_rule(tz, day, wall, expected_utc):
    assert s.to_utc(day, wall, tz) == expected_utc


@pytest.mark.parametrize(
    ("tz", "before", "after"),
    [
        (NY, dt.date(2026, 3, 7), dt.date(2026, 3, 9)),
        (NY, dt.date(2026, 10, 31), dt.date(2026, 11, 2)),
        (LONDON, dt.date(2026, 3, 28), dt.date(2026, 3, 30)),
        (LONDON, dt.date(2026, 10, 24), dt.date(2026, 10, 26)),
        (SYDNEY, dt.date(2026, 4, 4), dt.date(2026, 4, 6)),
        (SYDNEY, dt.date(2026, 10, 3), dt.date(2026, 10, 5)),
    ],
)
def test_a_daily_dose_keeps_its_local_wall_time_across_a_transition(tz, before, after):
    plan = PhasePlan(Recurrence(s.DAYS, 1), dt.time(9, 0), start_day=before)
    slots = s.plan_slots([plan], tz, now=utc(2026, 1, 1), horizon=dt.timedelta(days=0),
                         min_ahead=3)
    local = [slot.due_at.astimezone(tz) for slot in slots[:3]]
    assert [d.date() for d in local] == [before, before + dt.timedelta(days=1), after]
    assert {(d.hour, d.minute) for d in local} == {(9, 0)}
    offsets = {d.utcoffset() for d in local}
    assert len(offsets) == 2  # the UTC instant shifted with the clocks


def test_a_dose_at_a_nonexistent_time_is_due_once_not_twice_or_never():
    plan = PhasePlan(Recurrence(s.DAYS, 1, count=3), dt.time(2, 30),
                     start_day=dt.date(2026, 3, 7))
    slots = s.plan_slots([plan], NY, now=utc(2026, 1, 1))
    assert [slot.due_at for slot in slots] == [
        utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)
    ]


# --- Recurrences ------------------------------------------------------------------------------

def days_of(plans, count=10):
    slots = s.plan_slots(plans, LONDON, now=utc(2020, 1, 1), horizon=dt.timedelta(0),
                         min_ahead=count)
    return [slot.day for slot in slots][:count]


def test_three_times_a_week_for_six_doses_falls_on_mon_wed_fri():
    rec = Recurrence(s.WEEKDAYS, 1, ("MO", "WE", "FR"), count=6)
    days = days_of([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 11, 24))])  # a Tuesday
    assert days == [dt.date(2026, 11, d) for d in (25, 27, 30)] + [
        dt.date(2026, 12, d) for d in (2, 4, 7)
    ]


def test_monthly_means_the_same_day_of_the_month_not_thirty_days():
    rec = Recurrence(s.MONTHS, 1, count=4)
    days = days_of([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 1, 15))])
    assert days == [dt.date(2026, m, 15) for m in (1, 2, 3, 4)]


def test_monthly_from_the_31st_uses_the_last_day_of_shorter_months():
    rec = Recurrence(s.MONTHS, 1, count=4)
    days = days_of([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 1, 31))])
    assert days == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31),
                    dt.date(2026, 4, 30)]


def test_every_26_weeks_and_every_3_months_are_supported():
    weeks = days_of([PhasePlan(Recurrence(s.WEEKS, 26, count=2), dt.time(9),
                               start_day=dt.date(2026, 1, 5))])
    assert weeks == [dt.date(2026, 1, 5), dt.date(2026, 7, 6)]
    months = days_of([PhasePlan(Recurrence(s.MONTHS, 3, count=3), dt.time(9),
                                start_day=dt.date(2026, 1, 5))])
    assert months == [dt.date(2026, 1, 5), dt.date(2026, 4, 5), dt.date(2026, 7, 5)]


def test_a_phase_ending_on_a_date_stops_on_or_before_that_day():
    rec = Recurrence(s.DAYS, 2, until=dt.date(2026, 1, 8))
    assert days_of([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 1, 1))]) == [
        dt.date(2026, 1, d) for d in (1, 3, 5, 7)
    ]


def test_the_next_phase_continues_one_interval_after_the_last_induction_dose():
    induction = PhasePlan(Recurrence(s.WEEKDAYS, 1, ("MO", "WE", "FR"), count=6), dt.time(9),
                          start_day=dt.date(2026, 11, 23))
    maintenance = PhasePlan(Recurrence(s.MONTHS, 3), dt.time(9))
    days = days_of([induction, maintenance], count=8)
    assert days[5] == dt.date(2026, 12, 4)
    assert days[6:] == [dt.date(2027, 3, 4), dt.date(2027, 6, 4)]


def test_an_open_phase_blocks_the_next_one_until_a_clinician_ends_it():
    induction = PhasePlan(Recurrence(s.DAYS, 2), dt.time(9), start_day=dt.date(2026, 1, 1))
    maintenance = PhasePlan(Recurrence(s.MONTHS, 2), dt.time(9))
    slots = s.plan_slots([induction, maintenance], LONDON, now=utc(2026, 1, 1))
    assert {slot.phase_index for slot in slots} == {0}
    assert slots[-1].day == dt.date(2026, 3, 30)  # last alternate day within 90 days

    ended = PhasePlan(Recurrence(s.DAYS, 2), dt.time(9), start_day=dt.date(2026, 1, 1),
                      ended_on=dt.date(2026, 1, 20))
    slots = s.plan_slots([ended, maintenance], LONDON, now=utc(2026, 1, 1))
    induction_days = [slot.day for slot in slots if slot.phase_index == 0]
    assert induction_days[-1] == dt.date(2026, 1, 19)
    assert [slot.day for slot in slots if slot.phase_index == 1] == [dt.date(2026, 3, 20)]


def test_the_horizon_covers_at_least_90_days_or_three_doses():
    rec = Recurrence(s.MONTHS, 3)
    slots = s.plan_slots([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 1, 1))], LONDON,
                         now=utc(2026, 1, 1, 12))
    future = [slot for slot in slots if slot.due_at > utc(2026, 1, 1, 12)]
    assert len(future) == 3  # 3 doses reach beyond 90 days

    daily = s.plan_slots([PhasePlan(Recurrence(s.DAYS, 1), dt.time(9),
                                    start_day=dt.date(2026, 1, 1))], LONDON,
                         now=utc(2026, 1, 1, 12))
    assert daily[-1].day == dt.date(2026, 4, 1)  # 90 days ahead, not 3 doses


def test_the_rrule_string_is_standard_rfc_5545():
    assert s.build_rrule(Recurrence(s.WEEKDAYS, 1, ("FR", "MO", "WE"), count=6)) == (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6"
    )
    assert s.build_rrule(Recurrence(s.DAYS, 2)) == "FREQ=DAILY;INTERVAL=2"
    assert s.build_rrule(Recurrence(s.MONTHS, 3)) == "FREQ=MONTHLY;INTERVAL=3"


@pytest.mark.parametrize(
    "rec",
    [Recurrence(s.DAYS, 0), Recurrence(s.WEEKDAYS, 1, ()), Recurrence("hourly", 1),
     Recurrence(s.DAYS, 1, count=3, until=dt.date(2026, 1, 1)), Recurrence(s.DAYS, 1, count=0)],
)
def test_it_refuses_a_recurrence_that_makes_no_sense(rec):
    with pytest.raises(s.ScheduleError):
        rec.validate()


def test_recurrences_read_as_plain_words():
    assert Recurrence(s.WEEKDAYS, 1, ("MO", "WE", "FR"), count=6).describe() == (
        "Mon, Wed and Fri every week, 6 doses"
    )
    assert Recurrence(s.DAYS, 2).describe() == "on alternate days, until a clinician ends it"


# --- Matching, on time and adherence ----------------------------------------------------------

def test_an_injection_fulfils_the_nearest_open_dose_within_its_window():
    window = s.match_window(Recurrence(s.DAYS, 2))
    assert window == dt.timedelta(days=1)
    doses = [s.OpenDose(1, utc(2026, 1, 1, 9), window), s.OpenDose(2, utc(2026, 1, 3, 9), window)]
    assert s.nearest_open_dose(doses, utc(2026, 1, 1, 20)) == 1
    assert s.nearest_open_dose(doses, utc(2026, 1, 2, 22)) == 2
    assert s.nearest_open_dose(doses, utc(2026, 1, 5, 9)) is None  # extra


def test_the_matching_window_is_capped_for_rare_doses():
    assert s.match_window(Recurrence(s.MONTHS, 3)) == dt.timedelta(days=28)
    assert s.match_window(Recurrence(s.DAYS, 1)) == dt.timedelta(hours=12)


def test_adherence_counts_on_time_doses_over_doses_that_were_due():
    grace = dt.timedelta(days=1)
    now = utc(2026, 1, 10, 12)
    doses = [
        s.DoseOutcome(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), False, grace),  # on time
        s.DoseOutcome(utc(2026, 1, 3, 9), utc(2026, 1, 4, 20), False, grace),  # late
        s.DoseOutcome(utc(2026, 1, 5, 9), None, False, grace),  # missed
        s.DoseOutcome(utc(2026, 1, 7, 9), None, True, grace),  # skipped by clinician
        s.DoseOutcome(utc(2026, 1, 10, 9), None, False, grace),  # due this morning: not late yet
    ]
    result = s.adherence(doses, now=now)
    assert (result.on_time, result.due) == (1, 3)
    assert result.percent == 33


def test_due_phrases_use_the_patients_local_day():
    now = utc(2026, 1, 10, 23, 30)  # already 11 Jan in Sydney
    assert s.due_phrase(utc(2026, 1, 10, 22), now=now, tz=SYDNEY) == "due today"
    assert s.due_phrase(utc(2026, 1, 8, 12), now=now, tz=LONDON) == "overdue by 2 days"
    assert s.due_phrase(utc(2026, 1, 9, 12), now=now, tz=LONDON) == "overdue by 1 day"
    assert s.due_phrase(utc(2026, 1, 11, 12), now=now, tz=LONDON) == "due tomorrow"


def test_repeat_kinds_weekday_codes_and_interval_limits_are_the_stored_ones():
    # Phase rows store these names and the clinician's form offers these limits.
    assert (s.DAYS, s.WEEKS, s.WEEKDAYS, s.MONTHS) == ("days", "weeks", "weekdays", "months")
    assert s.WEEKDAY_CODES == ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    assert s.MAX_INTERVAL == {"days": 365, "weeks": 52, "weekdays": 12, "months": 24}
    assert s.UTC is dt.UTC
