"""History completeness: writes that used to bypass simple-history (bulk inserts, set-wise
updates) now leave history rows, and the models that had none have it (issue F2, item 5)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from b12care.accounts.models import CareTeamMembership, PatientProfile, User
from b12care.accounts.services import care_team_add
from b12care.accounts.tests.factories import ClinicianFactory
from b12care.alerts.models import AlertRule
from injections import services as injection_services
from injections.models import DoseStatus, PlannedDose, ProtocolTemplate, Supply
from injections.protocols import HYDROXO_NO_NEURO
from injections.tests.conftest import injection_values
from labs import services as lab_services
from labs.models import Analyte, PlannedLab, PlanStatus
from symptoms.models import SymptomScore
from symptoms.services import checkin_save

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_diary_scores_saved_in_bulk_have_history_rows_and_replaced_ones_a_deletion(patient):
    checkin_save(patient=patient, scores={"numbness_feet": (7, ""), "fatigue": (5, "")},
                 by=patient.user, now=NOW)
    assert set(SymptomScore.history.values_list("severity", "history_type")) == {
        (7, "+"), (5, "+")}
    assert set(SymptomScore.history.values_list("history_user", flat=True)) == {patient.user.pk}
    checkin_save(patient=patient, scores={"numbness_feet": (4, "")}, by=patient.user,
                 now=NOW + dt.timedelta(hours=1))
    kinds = sorted(SymptomScore.history.values_list("severity", "history_type"))
    assert kinds == [(4, "+"), (5, "+"), (5, "-"), (7, "+"), (7, "-")]


def _start_plan(patient, clinician):
    return lab_services.default_plan_create(patient=patient, treatment_start=NOW.date(),
                                            now=NOW, created_by=clinician)


def test_a_new_lab_plan_has_a_history_row_per_planned_test(patient, clinician):
    planned = _start_plan(patient, clinician)
    assert planned
    created = PlannedLab.history.filter(history_type="+")
    assert sorted(created.values_list("id", flat=True)) == sorted(p.pk for p in planned)
    assert set(created.values_list("history_user", flat=True)) == {clinician.pk}


def test_a_replaced_plan_and_a_reopened_test_have_history_rows(patient, clinician):
    first = lab_services.default_plan_create(
        patient=patient, treatment_start=NOW.date() - dt.timedelta(days=10), now=NOW,
        created_by=clinician)
    _start_plan(patient, clinician)  # a new treatment start replaces the open default items
    cancelled = PlannedLab.history.filter(history_type="~", status=PlanStatus.CANCELLED)
    assert cancelled.exists()
    assert set(cancelled.values_list("id", flat=True)) <= {p.pk for p in first}
    assert set(cancelled.values_list("history_user", flat=True)) == {clinician.pk}
    b12 = Analyte.objects.get(key="b12")
    result = lab_services.result_record(patient=patient, analyte=b12, sampled_on=NOW.date(),
                                        value="300", unit=b12.canonical_unit, by=clinician,
                                        now=NOW).result
    planned = PlannedLab.objects.filter(patient=patient, status=PlanStatus.OPEN).first()
    planned.status, planned.fulfilled_by = PlanStatus.DONE, result
    planned.save()
    lab_services.result_delete(result=result, by=clinician, now=NOW)
    reopened = PlannedLab.history.filter(id=planned.pk, history_type="~").latest("history_id")
    assert (reopened.status, reopened.fulfilled_by_id) == (PlanStatus.OPEN, None)
    assert reopened.history_user == clinician


def test_planned_doses_have_history_when_created_and_when_missed(patient, clinician):
    injection_services.regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO),
        start_date=NOW.date(), time_of_day=dt.time(9), created_by=clinician, now=NOW)
    doses = PlannedDose.objects.count()
    assert doses and PlannedDose.history.filter(history_type="+").count() == doses
    much_later = NOW + dt.timedelta(days=3)
    missed = injection_services.planned_doses_mark_missed(patient=patient, now=much_later)
    assert missed >= 1
    assert PlannedDose.history.filter(history_type="~",
                                      status=DoseStatus.MISSED).count() == missed


def test_home_supply_used_by_an_injection_is_in_the_supply_history(patient):
    injection_services.supply_set(patient=patient, ampoules=5, by=patient.user, now=NOW)
    injection_services.injection_record(
        patient=patient, recorded_by=patient.user, now=NOW,
        **injection_values(taken_at=NOW, administered_by="carer"))
    assert list(Supply.history.order_by("history_id").values_list(
        "ampoules_on_hand", flat=True)) == [0, 5, 4]  # created empty, counted, one used


def test_care_teams_profiles_users_rules_and_analytes_keep_history(patient, admin_user):
    other = ClinicianFactory(email="dr.new@example.org")
    membership = care_team_add(patient=patient, clinician=other, added_by=admin_user)
    assert CareTeamMembership.history.filter(id=membership.pk, history_type="+").exists()
    patient.timezone = "Europe/Dublin"
    patient.save()
    assert PatientProfile.history.filter(id=patient.pk, timezone="Europe/Dublin").exists()
    other.role = "admin"
    other.save()
    row = User.history.filter(id=other.pk).latest("history_id")
    assert row.role == "admin" and not hasattr(row, "password")
    rule = AlertRule.objects.first()
    rule.thresholds = rule.thresholds or {}
    rule.save()
    assert AlertRule.history.filter(id=rule.pk).exists()
    analyte = Analyte.objects.get(key="b12")
    analyte.ref_low = analyte.ref_low
    analyte.save()
    assert Analyte.history.filter(id=analyte.pk).exists()
