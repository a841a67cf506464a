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
from injections.models import PlannedDose, ProtocolTemplate
from injections.protocols import HYDROXO_NO_NEURO
from injections.services import injection_record, regimen_create_from_template
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def finding(severity: str, key: str) -> Finding:
    rule = "neuro_worsening" if severity == "urgent" else "hb_critical"
    return Finding(rule, severity, key, "patient text", f"clinician text {key}")


def reaction(injection_id: int = 1) -> Finding:
    return Finding("systemic_reaction", "emergency", f"systemic_reaction:injection:{injection_id}",
                   "patient text", "Possible anaphylaxis")


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
def test_patients_are_ordered_by_tier_then_overdue_dose_overdue_lab_no_schedule_then_the_rest(
    clinician_client, clinician
):
    calm = on_team(clinician, "Calm")
    give_regimen(calm, clinician, start=NOW.date() + dt.timedelta(days=1))  # first dose tomorrow
    unscheduled = on_team(clinician, "Nosched")
    emergency = on_team(clinician, "Emergency")
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
    findings_record(patient=emergency, findings=[reaction()], now=NOW - dt.timedelta(days=1))

    response = clinician_client.get("/clinic/")

    assert names_in_order(response) == ["Emergency", "Urgent", "Review", "Dose", "Lab",
                                        "Nosched", "Calm"]
    groups = [title for title, _ in response.context["board"].groups]
    assert groups == ["Emergency alerts", "Urgent alerts", "Alerts to review", "Overdue doses",
                      "Overdue blood tests", "No active schedule", "Everyone else"]
    assert unscheduled.pk and calm.pk


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
    # Session, user, unread badge, one query for the page + group counts + total (SQL,
    # clinic/ranking.py), one for the page's patients, four for the rows' facts (doses: next,
    # last and adherence; alerts; nerve trend; key labs), one insert of the audit log's read
    # rows (one per patient listed).
    with django_assert_num_queries(10):
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


@time_machine.travel(NOW, tick=False)
def test_within_a_tier_the_newest_finding_comes_first_and_the_row_names_the_reason(
    clinician_client, clinician
):
    maria = on_team(clinician, "Maria")  # days-old nerve alert, surname first alphabetically
    sam = on_team(clinician, "Sam")
    findings_record(patient=maria, findings=[finding("urgent", "numb")],
                    now=NOW - dt.timedelta(days=2))
    findings_record(patient=sam, findings=[finding("urgent", "numb")],
                    now=NOW - dt.timedelta(minutes=3))

    response = clinician_client.get("/clinic/")

    assert names_in_order(response) == ["Sam", "Maria"]
    reasons = {row.patient.user.first_name: row.reason for row in all_rows(response)}
    assert reasons == {"Sam": "Nerve symptoms worse · 3 min ago",
                       "Maria": "Nerve symptoms worse · 2 d ago"}
    assert "Nerve symptoms worse · 3 min ago" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_an_emergency_minutes_old_outranks_an_urgent_alert_seen_later(
    clinician_client, clinician
):
    sam = on_team(clinician, "Sam")
    maria = on_team(clinician, "Maria")
    findings_record(patient=sam, findings=[reaction()], now=NOW - dt.timedelta(minutes=3))
    findings_record(patient=maria, findings=[finding("urgent", "numb")], now=NOW)
    response = clinician_client.get("/clinic/")
    assert names_in_order(response) == ["Sam", "Maria"]
    [sam_row] = [r for r in all_rows(response) if r.patient == sam]
    assert sam_row.reason == "Possible allergic reaction · 3 min ago"
    assert sam_row.group == triage.EMERGENCY and maria.pk


@pytest.mark.parametrize(("on_time", "late", "poor"), [
    (4, 1, False),  # 80 % on time: not below 80 %
    (3, 1, True),   # 75 %
    (79, 21, True),  # 79 %
    (81, 19, False),
])
def test_poor_adherence_is_on_time_below_80_percent_of_doses_due_in_90_days(
    clinician, on_time, late, poor
):
    patient = on_team(clinician, "Ad")
    with time_machine.travel(NOW, tick=False):
        give_regimen(patient, clinician, start=NOW.date() + dt.timedelta(days=1))
    _doses_in_window(patient, on_time=on_time, late=late)
    rank = triage.triage_queryset(clinician, now=NOW).get(pk=patient.pk).triage_rank
    live = triage.live_triage_queryset(clinician, now=NOW).get(pk=patient.pk).triage_rank
    expected = triage.POOR_ADHERENCE if poor else triage.OTHER
    assert rank == live == expected


def _doses_in_window(patient, *, on_time: int, late: int) -> None:
    """Taken doses in the last 90 days, straight in the table (the read-model flag set)."""
    regimen = patient.regimens.get()
    phase = regimen.phases.first()
    total = on_time + late
    for i in range(total):
        PlannedDose.objects.create(
            regimen=regimen, phase=phase, patient=patient, sequence=1000 + i,
            due_at=NOW - dt.timedelta(days=89) + dt.timedelta(hours=i * 20),
            window=dt.timedelta(hours=36), grace=dt.timedelta(hours=12), status="taken",
            on_time=i < on_time)


@time_machine.travel(NOW, tick=False)
def test_key_labs_show_their_sample_date_and_b12_on_treatment_is_not_flagged(
    clinician_client, clinician
):
    patient = on_team(clinician, "Bee")
    give_regimen(patient, clinician, start=NOW.date() - dt.timedelta(days=20))
    injection_record(patient=patient, recorded_by=clinician, now=NOW,
                     taken_at=NOW - dt.timedelta(days=20), product="hydroxocobalamin",
                     dose="1", unit="mg", site="left_vastus_lateralis", administered_by="nurse")
    b12 = Analyte.objects.get(key="b12")
    hb = Analyte.objects.get(key="hb")
    # A low B12 the day before the first injection is a problem; one taken after is not.
    result_record(patient=patient, analyte=b12, sampled_on=NOW.date() - dt.timedelta(days=21),
                  value=Decimal("120"), unit="pg/mL", by=clinician, now=NOW)
    result_record(patient=patient, analyte=hb, sampled_on=NOW.date() - dt.timedelta(days=2),
                  value=Decimal("10.1"), unit="g/dL", by=clinician, now=NOW)
    row = _row_of(clinician_client, patient)
    cells = {c.lab.key: c for c in row.lab_cells}
    assert cells["b12"].flagged and cells["hb"].flagged

    result_record(patient=patient, analyte=b12, sampled_on=NOW.date() - dt.timedelta(days=1),
                  value=Decimal("150"), unit="pg/mL", by=clinician, now=NOW)
    response = clinician_client.get("/clinic/")
    row = _row_of(clinician_client, patient)
    cells = {c.lab.key: c for c in row.lab_cells}
    assert not cells["b12"].flagged and cells["b12"].on_treatment_b12
    assert cells["hb"].flagged
    html = response.content.decode()
    assert "(23 Nov 2026)" in html and "(22 Nov 2026)" in html
    assert "on treatment: not a response marker" in html


def _row_of(client, patient):
    return next(r for r in all_rows(client.get("/clinic/")) if r.patient == patient)


def all_rows(response) -> list:
    return [row for _title, rows in response.context["groups"] for row in rows]
