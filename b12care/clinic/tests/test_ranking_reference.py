"""The dashboard's ranking SQL (``clinic/ranking.py``) gives what the ORM definition
(``triage.triage_queryset`` + ``filter_queryset``, ordered by ``SORTS``) gives: the same
patients in the same order, page by page, with the same group counts and total, for every
sort, group, phase and search, at moments either side of the data's deadlines."""

import datetime as dt

import pytest
import time_machine

from b12care.accounts.tests.factories import CareTeamFactory
from b12care.alerts.lifecycle import alert_acknowledge, findings_record
from b12care.clinic import ranking, triage
from b12care.clinic.models import TriageState
from injections.models import DoseStatus, PlannedDose, Regimen
from injections.services import planned_doses_mark_missed, regimen_end

from .test_dashboard import _doses_in_window, finding, give_regimen, on_team, reaction

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
FIELDS = ("pk", "triage_rank", "has_overdue_dose", "has_overdue_lab")


def population(clinician, outsider):
    start = NOW - 20 * DAY
    with time_machine.travel(start, tick=False):
        names = ["Ann", "bob", "Cleo", "Dan_x", "Eve%", "Fay", "Gus", "Hal", "Ivy", "Jo",
                 "Kai", "Lee"]
        patients = [on_team(clinician, name) for name in names]
        give_regimen(patients[0], clinician, start=start.date())
        give_regimen(patients[1], clinician, start=start.date() + 25 * DAY)
        give_regimen(patients[2], clinician, start=start.date() - 30 * DAY)
        give_regimen(patients[3], clinician, start=start.date() - 80 * DAY)
        findings_record(patient=patients[4], findings=[finding("review", "hb")], now=start)
        [urgent] = findings_record(patient=patients[5], findings=[finding("urgent", "numb")],
                                   now=start)
        alert_acknowledge(alert=urgent, by=clinician, now=start)
        findings_record(patient=patients[6], findings=[finding("urgent", "vision")], now=start)
        findings_record(patient=patients[7], findings=[reaction(7)], now=start + DAY)
        findings_record(patient=patients[8], findings=[finding("urgent", "feet")],
                        now=start + 2 * DAY)
        give_regimen(patients[9], clinician, start=start.date() - 3 * DAY)
        # Another clinician's patient, with the loudest alert: never on this dashboard.
        theirs = CareTeamFactory(clinician=outsider, patient__user__first_name="Ann").patient
        findings_record(patient=theirs, findings=[reaction(99)], now=start)
    with time_machine.travel(NOW, tick=False):
        for patient in patients[:4]:
            planned_doses_mark_missed(patient=patient, now=NOW)
        regimen_end(regimen=Regimen.objects.get(patient=patients[9]), by=clinician, now=NOW)
    with time_machine.travel(NOW, tick=False):  # doses often late, the next one tomorrow
        give_regimen(patients[10], clinician, start=NOW.date() + DAY)
    _doses_in_window(patients[10], on_time=3, late=2)
    TriageState.objects.filter(patient=patients[11]).delete()  # no read-model row yet
    return patients


def orm_page(clinician, now, *, query, group, phase, sort, offset, limit):
    base = triage.triage_queryset(clinician, now=now)
    qs = triage.filter_queryset(base, query=query, group=group, phase=phase)
    qs = qs.order_by(*triage.SORTS[sort])
    rows = [tuple(getattr(p, f) for f in FIELDS) for p in qs[offset:offset + limit]]
    return rows, qs.count()


def sql_page(clinician, now, *, query, group, phase, sort, offset, limit):
    found = ranking.ranking(clinician, now=now, query=query, rank=triage.GROUP_KEYS.get(group),
                            phase=phase, sort=sort, offset=offset, limit=limit)
    if found is None:
        return [], None
    rows = [(r.patient_id, r.triage_rank, r.has_overdue_dose, r.has_overdue_lab)
            for r in found.rows]
    return rows, found


def test_the_sql_ranking_equals_the_orm_definition(clinician, outsider_clinician):
    population(clinician, outsider_clinician)
    tick = dt.timedelta(microseconds=1)
    edges = [d.due_at + d.grace for d in PlannedDose.objects.filter(status=DoseStatus.OPEN)]
    moments = [NOW, NOW + 2 * DAY, NOW + 15 * DAY, NOW + 60 * DAY]
    moments += [edge + shift for edge in edges[:6] for shift in (-tick, tick) if edge > NOW]
    seen = set()
    cases = [dict(query="", group="", phase="", sort=sort) for sort in triage.SORTS]
    cases += [dict(query="", group=group, phase="", sort="triage") for group in triage.GROUP_KEYS]
    cases += [dict(query="", group="", phase=phase, sort="name") for phase in triage.PHASES]
    cases += [dict(query=q, group="", phase="", sort="triage")
              for q in ("a", "BO", "test", "_", "%", "\\", "zzz", "ann test")]
    for moment in moments:
        for case in cases:
            expected, total = orm_page(clinician, moment, offset=0, limit=100, **case)
            got = []
            for offset in range(0, 14, 5):  # pages of five
                rows, found = sql_page(clinician, moment, offset=offset, limit=5, **case)
                got += rows
                if found is not None:
                    assert found.total == total, (moment, case)
            assert got == expected, (moment, case)
            seen |= {row[1] for row in expected}
        found = ranking.ranking(clinician, now=moment, limit=1)
        counts = triage._group_counts(triage.triage_queryset(clinician, now=moment))
        assert found.missing == counts.pop(None, 0) >= 1
        assert found.counts == {rank: counts.get(rank, 0) for rank in range(8)}, moment
    assert seen == set(range(8))


def test_a_page_past_the_end_and_a_user_who_sees_nobody_get_nothing(
    clinician, outsider_clinician
):
    on_team(clinician, "Only")
    assert ranking.ranking(clinician, now=NOW, offset=25) is None
    assert ranking.ranking(outsider_clinician, now=NOW) is None
    clinician.is_active = False  # the access helper's empty queryset: no SQL at all
    assert ranking.ranking(clinician, now=NOW) is None
