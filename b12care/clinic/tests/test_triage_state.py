"""The triage read model: every write that changes a ranking fact updates it in the same
transaction, time passing needs no write, and it always ranks like the live EXISTS definition."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b12care.alerts.lifecycle import alert_acknowledge, alert_resolve, findings_record
from b12care.clinic import triage
from b12care.clinic.models import TriageState
from b12care.clinic.state import refresh_all, refresh_triage_state
from b12care.clinic.tasks import refresh_triage_states
from injections.models import DoseStatus, PlannedDose, Regimen
from injections.services import (
    injection_delete,
    injection_record,
    planned_doses_mark_missed,
    regimen_end,
)
from labs.models import Analyte, PlannedLab, PlanStatus
from labs.services import planned_lab_add, planned_lab_cancel, result_delete, result_record

from .test_dashboard import finding, give_regimen, on_team

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def rank(clinician, patient, now=NOW) -> int:
    return triage.triage_queryset(clinician, now=now).get(pk=patient.pk).triage_rank


def live_rank(clinician, patient, now=NOW) -> int:
    return triage.live_triage_queryset(clinician, now=now).get(pk=patient.pk).triage_rank


def without_planned_labs(patient, clinician) -> None:
    for planned in PlannedLab.objects.filter(patient=patient, status=PlanStatus.OPEN):
        planned_lab_cancel(planned=planned, by=clinician, now=NOW)


def injection(at: dt.datetime) -> dict:
    return {"taken_at": at, "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
            "site": "left_vastus_lateralis", "administered_by": "nurse"}


def test_acknowledging_an_urgent_alert_leaves_the_urgent_group_at_once_and_a_new_one_enters_it(
    clinician
):
    patient = on_team(clinician, "Ana")
    [alert] = findings_record(patient=patient, findings=[finding("urgent", "numb")], now=NOW)
    assert rank(clinician, patient) == triage.URGENT

    alert_acknowledge(alert=alert, by=clinician, now=NOW)
    assert rank(clinician, patient) == triage.NO_SCHEDULE  # no regimen: a group of its own

    findings_record(patient=patient, findings=[finding("urgent", "vision")], now=NOW)
    assert rank(clinician, patient) == triage.URGENT


def test_new_evidence_reopens_an_acknowledged_alert_into_the_urgent_group_and_resolving_clears_it(
    clinician
):
    patient = on_team(clinician, "Bea")
    first = finding("urgent", "numb")
    [alert] = findings_record(patient=patient, findings=[first], now=NOW)
    alert_acknowledge(alert=alert, by=clinician, now=NOW)
    assert rank(clinician, patient) == triage.NO_SCHEDULE  # no regimen: a group of its own

    worse = dataclasses.replace(first, evidence=("symptom:99",))
    [alert] = findings_record(patient=patient, findings=[worse], now=NOW + DAY)
    assert alert.status == "open"
    assert rank(clinician, patient, NOW + DAY) == triage.URGENT

    alert_resolve(alert=alert, by=clinician, now=NOW + DAY, note="Seen today.")
    assert rank(clinician, patient, NOW + DAY) == triage.NO_SCHEDULE


@time_machine.travel(NOW, tick=False)
def test_logging_the_overdue_dose_takes_the_patient_out_of_overdue_doses_and_deleting_it_back(
    clinician
):
    patient = on_team(clinician, "Cal")
    give_regimen(patient, clinician, start=NOW.date())  # first dose 09:00 today, now 12:00
    without_planned_labs(patient, clinician)
    dose = PlannedDose.objects.filter(patient=patient).order_by("due_at").first()
    later = dose.due_at + dose.grace + dt.timedelta(minutes=1)
    assert rank(clinician, patient, later) == triage.OVERDUE_DOSE

    recorded = injection_record(patient=patient, recorded_by=clinician, now=later,
                                **injection(dose.due_at + dt.timedelta(hours=1)))
    assert recorded.planned_dose == dose
    assert rank(clinician, patient, later) == triage.OTHER

    injection_delete(injection=recorded.injection, by=clinician, now=later)
    assert rank(clinician, patient, later) == triage.OVERDUE_DOSE


@time_machine.travel(NOW, tick=False)
def test_a_dose_becomes_overdue_as_time_passes_without_any_write(clinician):
    patient = on_team(clinician, "Dee")
    give_regimen(patient, clinician, start=NOW.date() + DAY)  # first dose tomorrow 09:00
    stored = TriageState.objects.get(patient=patient)
    assert rank(clinician, patient) == triage.OTHER

    two_days_on = NOW + 2 * DAY
    assert rank(clinician, patient, two_days_on) == triage.OVERDUE_DOSE
    assert TriageState.objects.get(patient=patient).updated_at == stored.updated_at


def test_marking_a_dose_missed_keeps_the_patient_in_overdue_doses_for_14_days_then_not(clinician):
    patient = on_team(clinician, "Eve")
    give_regimen(patient, clinician, start=NOW.date())
    for dose in PlannedDose.objects.filter(patient=patient).exclude(
            pk=PlannedDose.objects.filter(patient=patient).order_by("due_at").first().pk):
        dose.delete()  # one dose only, so no later dose keeps the patient overdue
    refresh_triage_state([patient.pk], now=NOW)
    without_planned_labs(patient, clinician)
    dose = PlannedDose.objects.get(patient=patient)
    next_week = NOW + 7 * DAY
    assert planned_doses_mark_missed(patient=patient, now=next_week) == 1
    assert TriageState.objects.get(patient=patient).last_missed_at == dose.due_at

    assert rank(clinician, patient, next_week) == triage.OVERDUE_DOSE
    # Out of "overdue doses" after 14 days; the missed dose still counts against adherence.
    assert rank(clinician, patient, dose.due_at + 15 * DAY) == triage.POOR_ADHERENCE


def test_a_result_fulfilling_the_overdue_planned_lab_takes_the_patient_out_and_deleting_it_back(
    clinician
):
    patient = on_team(clinician, "Fay")
    b12 = Analyte.objects.get(key="b12")
    planned = planned_lab_add(patient=patient, analyte=b12, label="", by=clinician,
                              due_date=NOW.date() - 10 * DAY, days_before=3, days_after=2, now=NOW)
    assert rank(clinician, patient) == triage.OVERDUE_LAB

    recorded = result_record(patient=patient, analyte=b12, sampled_on=NOW.date() - 9 * DAY,
                             value=Decimal("300"), unit="ng/L", by=clinician, now=NOW)
    assert recorded.fulfilled == [planned]
    assert rank(clinician, patient) == triage.NO_SCHEDULE  # no regimen: a group of its own

    result_delete(result=recorded.result, by=clinician, now=NOW)
    assert rank(clinician, patient) == triage.OVERDUE_LAB

    planned_lab_cancel(planned=PlannedLab.objects.get(pk=planned.pk), by=clinician, now=NOW)
    assert rank(clinician, patient) == triage.NO_SCHEDULE  # no regimen: a group of its own


@time_machine.travel(NOW, tick=False)
def test_ending_the_regimen_removes_the_future_doses_from_the_ranking(clinician):
    patient = on_team(clinician, "Gus")
    give_regimen(patient, clinician, start=NOW.date() + DAY)
    without_planned_labs(patient, clinician)
    assert rank(clinician, patient, NOW + 3 * DAY) == triage.OVERDUE_DOSE

    regimen_end(regimen=Regimen.objects.get(patient=patient), by=clinician, now=NOW)
    assert rank(clinician, patient, NOW + 3 * DAY) == triage.NO_SCHEDULE


def test_the_read_model_ranks_like_the_live_definition_at_any_moment(clinician):
    start = NOW - 20 * DAY
    with time_machine.travel(start, tick=False):
        patients = [on_team(clinician, f"P{i}") for i in range(9)]
        give_regimen(patients[0], clinician, start=start.date())  # doses, some missed later
        give_regimen(patients[1], clinician, start=start.date() + 25 * DAY)  # future start
        give_regimen(patients[2], clinician, start=start.date() - 30 * DAY)  # labs long due
        findings_record(patient=patients[3], findings=[finding("review", "hb")], now=start)
        [urgent] = findings_record(patient=patients[4], findings=[finding("urgent", "numb")],
                                   now=start)
        alert_acknowledge(alert=urgent, by=clinician, now=start)
        findings_record(patient=patients[5], findings=[finding("urgent", "vision")], now=start)
        planned_lab_add(patient=patients[6], analyte=Analyte.objects.get(key="hb"), label="",
                        due_date=start.date() + 5 * DAY, days_before=1, days_after=1,
                        by=clinician, now=NOW)
        give_regimen(patients[7], clinician, start=start.date() - 3 * DAY)
    with time_machine.travel(NOW, tick=False):
        # The hourly roll marks closed doses missed; the last patient's regimen ends.
        for patient in patients[:3]:
            planned_doses_mark_missed(patient=patient, now=NOW)
        regimen_end(regimen=Regimen.objects.get(patient=patients[7]), by=clinician, now=NOW)
        assert PlannedDose.objects.filter(status=DoseStatus.MISSED).exists()

    moments = [NOW + offset for offset in (dt.timedelta(0), dt.timedelta(hours=5), 2 * DAY,
                                           6 * DAY, 10 * DAY, 15 * DAY, 40 * DAY)]
    # And either side of every boundary the data has: a deadline passing, a missed dose
    # leaving the 14-day window, a lab window's last day ending (UTC midnight).
    tick = dt.timedelta(microseconds=1)
    edges = [d.due_at + d.grace for d in PlannedDose.objects.filter(status=DoseStatus.OPEN)]
    edges += [d.due_at + triage.MISSED_RECENT_DAYS * DAY
              for d in PlannedDose.objects.filter(status=DoseStatus.MISSED)]
    edges += [dt.datetime.combine(p.window_end + DAY, dt.time(), tzinfo=dt.UTC)
              for p in PlannedLab.objects.filter(status=PlanStatus.OPEN)]
    moments += [edge + shift for edge in edges[::3] for shift in (-tick, dt.timedelta(0), tick)
                if edge > NOW]
    seen = set()
    for moment in moments:
        stored = triage.triage_queryset(clinician, now=moment).order_by("pk")
        live = triage.live_triage_queryset(clinician, now=moment).order_by("pk")
        fields = ("pk", "triage_rank", "has_overdue_dose", "has_overdue_lab")
        stored_rows = [tuple(getattr(p, f) for f in fields) for p in stored]
        assert stored_rows == [tuple(getattr(p, f) for f in fields) for p in live], moment
        seen |= {row[1] for row in stored_rows}
    assert seen == {triage.URGENT, triage.REVIEW, triage.OVERDUE_DOSE, triage.OVERDUE_LAB,
                    triage.NO_SCHEDULE, triage.OTHER}


def test_the_reconcile_repairs_a_stale_row(clinician):
    patient = on_team(clinician, "Hal")
    findings_record(patient=patient, findings=[finding("urgent", "numb")], now=NOW)
    TriageState.objects.filter(patient=patient).update(urgent_open=0)  # e.g. an admin edit
    assert rank(clinician, patient) != live_rank(clinician, patient)

    assert refresh_triage_states() >= 1
    assert rank(clinician, patient) == live_rank(clinician, patient) == triage.URGENT


def test_a_patient_without_a_state_row_is_ranked_correctly_on_the_dashboard(
    clinician_client, clinician
):
    patient = on_team(clinician, "Ivo")
    findings_record(patient=patient, findings=[finding("urgent", "numb")], now=NOW)
    TriageState.objects.filter(patient=patient).delete()

    board = clinician_client.get("/clinic/?group=urgent").context["board"]

    assert board.patients == [patient]
    assert board.counts["urgent"] == 1
    assert TriageState.objects.get(patient=patient).urgent_open == 1


def test_a_refresh_costs_the_same_few_queries_and_rewrites_only_rows_whose_facts_changed(
    clinician
):
    patients = [on_team(clinician, f"Q{i}") for i in range(30)]
    TriageState.objects.all().delete()
    for ids, written in (([patients[0].pk], 1), ([p.pk for p in patients], 29)):
        with CaptureQueriesContext(connection) as queries:
            assert refresh_triage_state(ids, now=NOW) == written
        assert len(queries) <= 3
    assert refresh_all(now=NOW, batch_size=7) == 0
    assert TriageState.objects.count() == 30
    findings_record(patient=patients[3], findings=[finding("urgent", "numb")], now=NOW)
    TriageState.objects.filter(patient=patients[3]).update(urgent_open=0)  # a missed write
    assert refresh_all(now=NOW, batch_size=7) == 1
    assert TriageState.objects.get(patient=patients[3]).urgent_open == 1


@time_machine.travel(NOW, tick=False)
def test_a_new_regimen_replacing_the_old_one_refreshes_the_state_once_after_all_its_writes(
    clinician
):
    patient = on_team(clinician, "Jo")
    give_regimen(patient, clinician, start=NOW.date() - 40 * DAY)
    with CaptureQueriesContext(connection) as queries:
        give_regimen(patient, clinician, start=NOW.date() + DAY)
    upserts = [q for q in queries if 'INSERT INTO "clinic_triagestate"' in q["sql"]]
    assert len(upserts) == 1
    assert rank(clinician, patient) == live_rank(clinician, patient)
    assert rank(clinician, patient, NOW + 3 * DAY) == triage.OVERDUE_DOSE


@time_machine.travel(NOW, tick=False)
def test_deleting_an_overdue_planned_lab_in_the_admin_updates_the_ranking_at_once(
    client, admin_user, clinician
):
    patient = on_team(clinician, "Ada")
    planned = planned_lab_add(patient=patient, analyte=Analyte.objects.get(key="b12"), label="",
                              by=clinician, due_date=NOW.date() - 10 * DAY, days_before=3,
                              days_after=2, now=NOW)
    assert rank(clinician, patient) == triage.OVERDUE_LAB
    client.force_login(admin_user)
    client.post(f"/admin/labs/plannedlab/{planned.pk}/delete/", {"post": "yes"})
    assert not PlannedLab.objects.filter(pk=planned.pk).exists()
    assert TriageState.objects.get(patient=patient).lab_overdue_from is None
    assert rank(clinician, patient) == triage.NO_SCHEDULE  # no regimen: a group of its own


def test_alerts_cannot_be_changed_or_deleted_in_the_admin(client, admin_user, clinician):
    patient = on_team(clinician, "Al")
    [alert] = findings_record(patient=patient, findings=[finding("urgent", "numb")], now=NOW)
    client.force_login(admin_user)
    client.post(f"/admin/alerts/alert/{alert.pk}/change/", {"status": "resolved", "note": "x"})
    client.post(f"/admin/alerts/alert/{alert.pk}/delete/", {"post": "yes"})
    alert.refresh_from_db()
    assert alert.status == "open"
