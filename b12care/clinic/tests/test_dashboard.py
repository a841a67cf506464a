"""The triage dashboard: who needs the clinician first, at a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from b12care.accounts.models import AccessLog
from b12care.accounts.tests.factories import CareTeamFactory
from b12care.alerts.lifecycle import alert_acknowledge, findings_record
from b12care.alerts.models import Alert
from b12care.alerts.rules import Finding
from b12care.clinic import triage
from injections.models import ProtocolTemplate
from injections.protocols import HYDROXO_NO_NEURO
from injections.services import regimen_create_from_template
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def finding(severity: str, key: str) -> Finding:
    rule = "neuro_worsening" if severity == "urgent" else "hb_critical"
    return Finding(rule, severity, key, "patient text", f"clinician text {key}")


def on_team(clinician, first_name: str, **profile):
    extra = {f"patient__{k}": v for k, v in profile.items()}
    return CareTeamFactory(clinician=clinician, patient__user__first_name=first_name,
                           patient__user__last_name="Test", **extra).patient


def give_regimen(patient, clinician, *, start: dt.date):
    template = ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO)
    regimen_create_from_template(patient=patient, template=template, start_date=start,
                                 time_of_day=dt.time(9), created_by=clinician, now=NOW)


def names_in_order(response) -> list[str]:
    return [patient.user.first_name for patient in response.context["board"].patients]


@time_machine.travel(NOW, tick=False)
def test_patients_are_ordered_urgent_review_overdue_dose_overdue_lab_then_the_rest(
    clinician_client, clinician
):
    calm = on_team(clinician, "Calm")
    overdue_lab = on_team(clinician, "Lab")
    overdue_dose = on_team(clinician, "Dose")
    review = on_team(clinician, "Review")
    urgent = on_team(clinician, "Urgent")
    # A regimen 30 days old: its monitoring plan has baseline labs long overdue.
    give_regimen(overdue_lab, clinician, start=NOW.date() - dt.timedelta(days=30))
    # A regimen whose first dose was due yesterday and was not taken (its labs are overdue too,
    # but the dose outranks them).
    give_regimen(overdue_dose, clinician, start=NOW.date() - dt.timedelta(days=1))
    findings_record(patient=review, findings=[finding("review", "hb")], now=NOW)
    findings_record(patient=urgent, findings=[finding("urgent", "numb")], now=NOW)

    response = clinician_client.get("/clinic/")

    assert names_in_order(response) == ["Urgent", "Review", "Dose", "Lab", "Calm"]
    groups = [title for title, _ in response.context["board"].groups]
    assert groups == ["Urgent alerts", "Alerts to review", "Overdue doses",
                      "Overdue blood tests", "Everyone else"]
    assert calm.pk  # present, last


@time_machine.travel(NOW, tick=False)
def test_acknowledging_the_urgent_alert_moves_the_patient_out_of_the_urgent_group(
    clinician_client, clinician
):
    patient = on_team(clinician, "Maria")
    [alert] = findings_record(patient=patient, findings=[finding("urgent", "numb")], now=NOW)
    assert clinician_client.get("/clinic/?group=urgent").context["board"].patients

    alert_acknowledge(alert=alert, by=clinician, now=NOW, note="Called her; seeing today.")

    assert not clinician_client.get("/clinic/?group=urgent").context["board"].patients
    body = clinician_client.get("/clinic/").content.decode()
    assert "Maria" in body and "1 urgent" not in body


@time_machine.travel(NOW, tick=False)
def test_one_acknowledged_alert_does_not_hide_another_urgent_alert(clinician_client, clinician):
    patient = on_team(clinician, "Two")
    first, _second = findings_record(
        patient=patient, findings=[finding("urgent", "numb"), finding("urgent", "vision")],
        now=NOW)
    alert_acknowledge(alert=first, by=clinician, now=NOW)
    response = clinician_client.get("/clinic/?group=urgent")
    assert response.context["board"].patients == [patient]
    assert "1 urgent</span>" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_row_shows_phase_progress_next_dose_adherence_trend_and_key_labs(
    clinician_client, clinician
):
    patient = on_team(clinician, "Full", timezone="America/New_York")
    give_regimen(patient, clinician, start=NOW.date() + dt.timedelta(days=1))
    hb = Analyte.objects.get(key="hb")
    result_record(patient=patient, analyte=hb, sampled_on=NOW.date(), value=Decimal("10.1"),
                  unit="g/dL", by=clinician, now=NOW)
    for days_ago, numbness in ((6, 2), (3, 3), (0, 6)):
        with time_machine.travel(NOW - dt.timedelta(days=days_ago), tick=False):
            checkin_save(patient=patient, scores={"numbness_feet": (numbness, "")},
                         by=patient.user, now=timezone.now())

    response = clinician_client.get("/clinic/")
    [row] = triage.build_rows(response.context["board"].patients, now=timezone.now())
    body = response.content.decode()

    assert row.next_dose_label == "induction dose 1 of 6"
    assert "Wed 25 Nov, 09:00" in body  # the patient's own wall clock, not UTC
    assert row.trend_direction == "worse"
    assert "↑ worse" in body
    assert [(lab.key, lab.flag) for lab in row.labs] == [("hb", "low")]


def test_filters_by_group_phase_and_search(clinician_client, clinician):
    induction = on_team(clinician, "Ivy")
    on_team(clinician, "Noel")
    give_regimen(induction, clinician, start=timezone.localdate())
    assert names_in_order(clinician_client.get("/clinic/?phase=induction")) == ["Ivy"]
    assert names_in_order(clinician_client.get("/clinic/?phase=none")) == ["Noel"]
    search = {"q": "noe"}
    assert names_in_order(clinician_client.post("/clinic/", search, follow=True)) == ["Noel"]
    nothing = clinician_client.post("/clinic/", {"q": "zzz"}, follow=True)
    assert "No patients match" in nothing.content.decode()


def test_the_dashboard_never_shows_another_clinicians_patients(
    clinician_client, clinician, outsider_clinician
):
    mine = on_team(clinician, "Mine")
    theirs = on_team(outsider_clinician, "Theirs")
    findings_record(patient=theirs, findings=[finding("urgent", "numb")], now=timezone.now())
    response = clinician_client.get("/clinic/")
    assert response.context["board"].patients == [mine]
    assert response.context["board"].counts["urgent"] == 0


def _populate(clinician, n: int) -> None:
    template = ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO)
    hb = Analyte.objects.get(key="hb")
    for i in range(n):
        patient = on_team(clinician, f"P{i:03d}")
        regimen_create_from_template(patient=patient, template=template,
                                     start_date=NOW.date() - dt.timedelta(days=3),
                                     time_of_day=dt.time(9), created_by=clinician, now=NOW)
        result_record(patient=patient, analyte=hb, sampled_on=NOW.date(), value=Decimal("11"),
                      unit="g/dL", by=clinician, now=NOW)
        checkin_save(patient=patient, scores={"numbness_hands": (i % 10, "")},
                     by=patient.user, now=NOW)
        if i % 3 == 0:
            findings_record(patient=patient,
                            findings=[finding("urgent" if i % 2 else "review", f"k{i}")],
                            now=NOW)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("patients", [5, 200])
def test_the_dashboard_runs_the_same_small_number_of_queries_at_5_and_200_patients(
    clinician_client, clinician, patients, django_assert_num_queries
):
    _populate(clinician, patients)
    assert Alert.objects.exists()
    # Session, user, unread badge, one query for the page + group counts + total, four for the
    # rows' facts (doses: next, last and adherence; alerts; nerve trend; key labs), one insert
    # of the audit log's read rows (one per patient listed).
    with django_assert_num_queries(9):
        response = clinician_client.get("/clinic/?page=1")
    assert len(response.context["board"].patients) == min(patients, 25)
    assert AccessLog.objects.filter(user=clinician, kind="read",
                                    action="clinic.dashboard").count() == min(patients, 25)


@time_machine.travel(dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC), tick=False)
def test_the_nerve_trend_ends_on_the_patients_own_today(clinician_client, clinician):
    # 22:00 UTC on 24 Nov is already 25 Nov, 09:00 in Sydney: today's check-in is the 25th.
    patient = on_team(clinician, "Syd", timezone="Australia/Sydney")
    checkin_save(patient=patient, scores={"numbness_feet": (7, "")}, by=patient.user,
                 now=timezone.now())
    board = clinician_client.get("/clinic/").context["board"]
    [row] = triage.build_rows(board.patients, now=timezone.now())
    assert row.trend[-1] == 7
    assert len(row.trend) == 14
