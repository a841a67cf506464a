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


# --- What a clinician reads and what the limits are (pinned by mutation testing) --------------

@pytest.mark.parametrize("rec, words", [
    (Recurrence(s.DAYS), "every day, until a clinician ends it"),
    (Recurrence(s.DAYS, 3), "every 3 days, until a clinician ends it"),
    (Recurrence(s.WEEKS), "every week, until a clinician ends it"),
    (Recurrence(s.WEEKS, 2), "every 2 weeks, until a clinician ends it"),
    (Recurrence(s.WEEKDAYS, 1, ("TU",)), "Tue every week, until a clinician ends it"),
    (Recurrence(s.WEEKDAYS, 1, ("TH", "MO")), "Mon and Thu every week, until a clinician ends it"),
    (Recurrence(s.WEEKDAYS, 2, ("SU", "SA", "TH", "TU")),
     "Tue, Thu, Sat and Sun every 2 weeks, until a clinician ends it"),
    (Recurrence(s.WEEKDAYS, 1, ("MO", "WE", "FR", "TH", "TU", "SA", "SU")),
     "Mon, Tue, Wed, Thu, Fri, Sat and Sun every week, until a clinician ends it"),
    (Recurrence(s.WEEKDAYS, 1, ()), "on chosen weekdays every week, until a clinician ends it"),
    (Recurrence(s.MONTHS), "every month, until a clinician ends it"),
    (Recurrence(s.MONTHS, 2, count=1), "every 2 months, 1 dose"),
    (Recurrence(s.DAYS, 1, until=dt.date(2026, 3, 5)), "every day, until 5 Mar 2026"),
])
def test_every_kind_of_recurrence_reads_as_plain_words(rec, words):
    assert rec.describe() == words


@pytest.mark.parametrize("rec, message", [
    (Recurrence("hourly"), "Choose how often the dose repeats."),
    (Recurrence(s.DAYS, 366), "The interval must be between 1 and 365 days."),
    (Recurrence(s.MONTHS, 25), "The interval must be between 1 and 24 months."),
    (Recurrence(s.WEEKDAYS, 1), "Choose at least one weekday."),
    (Recurrence(s.WEEKDAYS, 1, ("MO", "XX")), "Unknown weekday."),
    (Recurrence(s.DAYS, 1, count=2, until=dt.date(2026, 1, 1)),
     "End the phase after a number of doses or on a date, not both."),
    (Recurrence(s.DAYS, 1, count=0), "The number of doses must be at least 1."),
])
def test_a_refused_recurrence_tells_the_clinician_what_to_change(rec, message):
    with pytest.raises(s.ScheduleError) as refused:
        rec.validate()
    assert str(refused.value) == message


@pytest.mark.parametrize("rec", [
    Recurrence(s.DAYS, 1), Recurrence(s.DAYS, 365), Recurrence(s.WEEKS, 52),
    Recurrence(s.WEEKDAYS, 12, ("MO",)), Recurrence(s.MONTHS, 24), Recurrence(s.DAYS, 1, count=1),
])
def test_the_interval_limits_themselves_are_allowed(rec):
    rec.validate()


def test_the_nominal_interval_of_each_kind():
    assert Recurrence(s.DAYS, 3).nominal_interval == dt.timedelta(days=3)
    assert Recurrence(s.WEEKS, 2).nominal_interval == dt.timedelta(weeks=2)
    assert (Recurrence(s.WEEKDAYS, 1, ("MO", "WE", "FR", "SA")).nominal_interval
            == dt.timedelta(days=7) / 4)
    assert Recurrence(s.WEEKDAYS, 2, ()).nominal_interval == dt.timedelta(weeks=2)
    assert Recurrence(s.MONTHS, 3).nominal_interval == dt.timedelta(days=91.32)


@pytest.mark.parametrize("rec, grace", [
    (Recurrence(s.DAYS, 6), dt.timedelta(days=1)),
    (Recurrence(s.DAYS, 7), dt.timedelta(days=3.5)),  # 7 days, capped by the matching window
    (Recurrence(s.DAYS, 1), dt.timedelta(hours=12)),  # 1 day, capped by the matching window
    (Recurrence(s.MONTHS, 3), dt.timedelta(days=7)),
])
def test_a_dose_counts_as_on_time_for_a_day_or_for_a_week_from_weekly_doses_on(rec, grace):
    assert s.on_time_grace(rec) == grace


@pytest.mark.parametrize("first_day, rule", [
    (dt.date(2026, 1, 28), "FREQ=MONTHLY;UNTIL=20260305T235959"),
    (dt.date(2026, 1, 29), "FREQ=MONTHLY;BYMONTHDAY=29,-1;BYSETPOS=1;UNTIL=20260305T235959"),
])
def test_monthly_rules_from_the_29th_fall_back_to_the_last_day_of_short_months(first_day, rule):
    rec = Recurrence(s.MONTHS, 1, until=dt.date(2026, 3, 5))
    assert s.build_rrule(rec, first_day=first_day) == rule


def test_a_dose_on_the_29th_of_january_falls_on_the_28th_of_february():
    rec = Recurrence(s.MONTHS, 1, count=3)
    days = days_of([PhasePlan(rec, dt.time(9), start_day=dt.date(2026, 1, 29))])
    assert days == [dt.date(2026, 1, 29), dt.date(2026, 2, 28), dt.date(2026, 3, 29)]


def test_the_next_doses_are_strictly_after_the_given_time_and_as_many_as_asked():
    plan = PhasePlan(Recurrence(s.DAYS, 1), dt.time(9), start_day=dt.date(2026, 1, 1))
    slots = s.next_slots([plan], LONDON, after=utc(2026, 1, 3, 9), limit=2)
    assert [(slot.sequence, slot.due_at) for slot in slots] == [
        (4, utc(2026, 1, 4, 9)), (5, utc(2026, 1, 5, 9))]
    assert s.next_slots([plan], LONDON, after=utc(2026, 1, 3, 9), limit=0) == []


def test_doses_before_since_are_left_out_and_one_exactly_at_since_is_kept():
    plan = PhasePlan(Recurrence(s.DAYS, 1, count=5), dt.time(9), start_day=dt.date(2026, 1, 1))
    slots = s.plan_slots([plan], LONDON, now=utc(2026, 1, 1), since=utc(2026, 1, 3, 9))
    assert [slot.sequence for slot in slots] == [3, 4, 5]


def test_a_phase_ended_on_a_dose_day_keeps_that_dose_and_the_next_phase_follows_it():
    first = PhasePlan(Recurrence(s.DAYS, 2, count=10), dt.time(9), start_day=dt.date(2026, 1, 1),
                      ended_on=dt.date(2026, 1, 5))
    then = PhasePlan(Recurrence(s.WEEKS, 1, count=1), dt.time(9))
    assert days_of([first, then]) == [dt.date(2026, 1, d) for d in (1, 3, 5, 12)]
    spans = s.phase_spans([first, then])
    assert spans[0].end == dt.date(2026, 1, 5)
    assert spans[1] == s.PhaseSpan(dt.date(2026, 1, 5), False, dt.date(2026, 1, 12))


def test_a_phase_ending_before_its_first_dose_hands_over_on_its_end_day():
    # A phase dated to end before its start day has no dose; it ends on its start day.
    empty = PhasePlan(Recurrence(s.DAYS, 1, until=dt.date(2026, 1, 1)), dt.time(9),
                      start_day=dt.date(2026, 1, 10))
    then = PhasePlan(Recurrence(s.DAYS, 1, count=1), dt.time(9))
    spans = s.phase_spans([empty, then])
    assert spans[0] == s.PhaseSpan(dt.date(2026, 1, 10), True, dt.date(2026, 1, 10))
    assert days_of([empty, then]) == [dt.date(2026, 1, 11)]


def test_an_ended_counted_phase_ends_on_the_earlier_of_its_last_dose_and_its_end_day():
    counted = PhasePlan(Recurrence(s.DAYS, 1, count=3), dt.time(9),
                        start_day=dt.date(2026, 1, 1), ended_on=dt.date(2026, 1, 20))
    assert s.phase_spans([counted])[0].end == dt.date(2026, 1, 3)


def test_a_later_phase_with_its_own_start_day_starts_that_day_even_after_an_open_phase():
    first = PhasePlan(Recurrence(s.DAYS, 1), dt.time(9), start_day=dt.date(2026, 1, 1))
    later = PhasePlan(Recurrence(s.WEEKS, 1, count=2), dt.time(9), start_day=dt.date(2026, 3, 2))
    spans = s.phase_spans([first, later])
    assert spans[0] == s.PhaseSpan(dt.date(2026, 1, 1), True, None)
    assert spans[1] == s.PhaseSpan(dt.date(2026, 3, 2), True, dt.date(2026, 3, 9))


def test_a_first_phase_without_a_start_day_has_no_doses():
    plan = PhasePlan(Recurrence(s.DAYS, 1), dt.time(9))
    assert s.phase_spans([plan]) == [s.PhaseSpan(None, False, None)]
    assert s.plan_slots([plan], LONDON, now=utc(2026, 1, 1)) == []


def test_a_dose_exactly_at_the_horizon_is_the_last_one_planned():
    plan = PhasePlan(Recurrence(s.DAYS, 1), dt.time(9), start_day=dt.date(2026, 1, 1))
    slots = s.plan_slots([plan], LONDON, now=utc(2026, 1, 1, 9), horizon=dt.timedelta(days=2),
                         min_ahead=1)
    assert [slot.due_at for slot in slots] == [utc(2026, 1, 1, 9), utc(2026, 1, 2, 9),
                                               utc(2026, 1, 3, 9)]


def test_an_injection_exactly_at_the_edge_of_the_window_still_counts_and_ties_go_earlier():
    window = dt.timedelta(hours=12)
    doses = [s.OpenDose("b", utc(2026, 1, 2, 9), window), s.OpenDose("a", utc(2026, 1, 1, 9),
                                                                        window)]
    assert s.nearest_open_dose(doses, utc(2026, 1, 1, 21)) == "a"  # 12 h after a, 12 h before b
    assert s.nearest_open_dose(doses[:1], utc(2026, 1, 1, 21)) == "b"
    assert s.nearest_open_dose(doses[:1], utc(2026, 1, 1, 20, 59)) is None
    assert s.nearest_open_dose([], utc(2026, 1, 1, 9)) is None


def test_a_dose_is_overdue_only_after_its_deadline():
    deadline = s.dose_deadline(utc(2026, 1, 1, 9), dt.timedelta(days=1))
    assert deadline == utc(2026, 1, 2, 9)
    assert not s.is_overdue(deadline, now=deadline)
    assert s.is_overdue(deadline, now=deadline + dt.timedelta(seconds=1))


def test_a_dose_taken_exactly_at_its_deadline_is_on_time_and_adherence_rounds():
    grace = dt.timedelta(days=1)
    due = utc(2026, 1, 1, 9)
    doses = [s.DoseOutcome(due, due + grace, False, grace),
             s.DoseOutcome(due, due + grace + dt.timedelta(seconds=1), False, grace),
             s.DoseOutcome(due, due + grace, False, grace)]
    result = s.adherence(doses, now=utc(2026, 1, 1, 10))
    assert (result.on_time, result.due, result.percent) == (2, 3, 67)
    assert s.adherence([], now=due).percent is None
    assert s.adherence([s.DoseOutcome(due, None, False, grace)], now=due + grace).due == 0


def test_due_in_several_days_is_counted_in_the_patients_days():
    now = utc(2026, 1, 10, 12)
    assert s.due_phrase(utc(2026, 1, 15, 9), now=now, tz=LONDON) == "due in 5 days"


@pytest.mark.parametrize("value", [
    Recurrence(s.DAYS), PhasePlan(Recurrence(s.DAYS), dt.time(9)),
    s.PhaseSpan(None, False, None), s.PlannedSlot(0, 1, dt.date(2026, 1, 1), utc(2026, 1, 1)),
    s.OpenDose(1, utc(2026, 1, 1), dt.timedelta(hours=12)),
    s.DoseOutcome(utc(2026, 1, 1), None, False, dt.timedelta(days=1)), s.Adherence(1, 2),
])
def test_a_plan_once_made_cannot_be_changed(value):
    with pytest.raises(AttributeError):
        value.due_at = utc(2026, 1, 2)


def _due(minutes_from_due: int) -> bool:
    """A dose due at 09:00 with a matching window of 12 h each side and an on-time deadline
    (grace) at 09:00 + 2 days; ``now`` is this many minutes after the due time."""
    due = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    return s.is_due(due, window_end=due + dt.timedelta(hours=12),
                    grace_end=due + dt.timedelta(days=2),
                    now=due + dt.timedelta(minutes=minutes_from_due))


@pytest.mark.parametrize("minutes, due", [
    (-12 * 60 - 1, False),      # before the window opens: "Next dose: …", not "Log this dose"
    (-12 * 60, True), (0, True), (12 * 60, True),   # the window, both ends included
    (12 * 60 + 1, False),       # after the window, before the deadline: not offered
    (2 * 24 * 60, False),       # at the deadline: not overdue yet
    (2 * 24 * 60 + 1, True),    # overdue: offered again
])
def test_a_dose_is_offered_for_logging_only_in_its_window_or_once_overdue(minutes, due):
    assert _due(minutes) is due


@pytest.mark.parametrize("due_day, phrase", [
    (8, "overdue by 2 days"), (9, "overdue by 1 day"), (10, "due today"), (11, "due tomorrow"),
    (12, "due in 2 days"), (13, "due in 3 days"),
])
def test_due_phrases_either_side_of_today_and_tomorrow(due_day, phrase):
    now = utc(2026, 1, 10, 12)
    assert s.due_phrase(utc(2026, 1, due_day, 9), now=now, tz=LONDON) == phrase


def test_a_skipped_dose_does_not_stop_the_count_of_the_doses_after_it():
    grace = dt.timedelta(days=1)
    doses = [
        s.DoseOutcome(utc(2026, 1, 1, 9), None, True, grace),  # skipped by the clinician
        s.DoseOutcome(utc(2026, 1, 3, 9), utc(2026, 1, 3, 9), False, grace),  # on time
        s.DoseOutcome(utc(2026, 1, 5, 9), None, False, grace),  # missed
    ]
    result = s.adherence(doses, now=utc(2026, 1, 10, 12))
    assert (result.on_time, result.due, result.percent) == (1, 2, 50)
