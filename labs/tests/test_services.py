"""Recording results and the monitoring plan (database)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from b12care.core import events
from labs import services
from labs.models import LabResult, PlannedLab, PlanStatus

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def record(patient, analyte, by, **kw):
    values = {"sampled_on": TODAY, "value": "300", "unit": analyte.canonical_unit}
    values.update(kw)
    return services.result_record(patient=patient, analyte=analyte, by=by, now=NOW, **values)


def test_a_b12_result_in_pmol_per_litre_is_stored_as_typed_and_in_pg_per_ml(patient, analytes):
    recorded = record(patient, analytes["b12"], patient.user, value="100", unit="pmol/L")
    result = LabResult.objects.get(pk=recorded.result.pk)
    assert (result.value_entered, result.unit_entered) == (D("100"), "pmol/L")
    assert result.value == D("135.5")
    assert result.flag == "low"
    assert result.band == "Deficiency likely"
    assert result.source == "patient"


def test_a_clinician_entry_is_recorded_as_from_the_clinician(patient, clinician, analytes):
    result = record(patient, analytes["mcv"], clinician, value="104").result
    assert result.source == "clinician" and result.flag == "high"


def test_haemoglobin_uses_the_patients_sex_for_the_range(patient, analytes, clinician):
    patient.sex = "male"
    patient.save()
    assert record(patient, analytes["hb"], clinician, value="12.5").result.flag == "low"
    patient.sex = "female"
    patient.save()
    assert record(patient, analytes["hb"], clinician, value="12.5").result.flag == "normal"


def test_a_very_low_haemoglobin_is_critical(patient, analytes, clinician):
    assert record(patient, analytes["hb"], clinician, value="75", unit="g/L").result.flag == \
        "critical_low"


@pytest.mark.parametrize("value, unit, field, message", [
    ("-5", "pg/mL", "value", "cannot be negative"),
    ("4000000", "pg/mL", "value", "far higher than any real B12"),
    ("300", "mg/dL", "unit", "do not know the unit"),
    ("lots", "pg/mL", "value", "not a number"),
])
def test_it_refuses_impossible_values_and_saves_nothing(patient, analytes, value, unit, field,
                                                        message):
    with pytest.raises(ValidationError) as exc:
        record(patient, analytes["b12"], patient.user, value=value, unit=unit)
    assert message in " ".join(exc.value.message_dict[field])
    assert not LabResult.objects.exists()


def test_it_refuses_a_sample_date_in_the_future(patient, analytes):
    with pytest.raises(ValidationError, match="in the future"):
        record(patient, analytes["b12"], patient.user, sampled_on=TODAY + dt.timedelta(days=2))


def test_an_intrinsic_factor_antibody_result_is_a_qualitative_answer(patient, analytes):
    result = record(patient, analytes["ifab"], patient.user, value=None, unit="",
                    qualitative="positive").result
    assert result.value is None and result.qualitative == "positive"
    assert result.flag == "abnormal"
    with pytest.raises(ValidationError):
        record(patient, analytes["ifab"], patient.user, value=None, qualitative="maybe")


def test_the_default_plan_follows_the_clinical_reference(patient, analytes):
    rows = services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    keys = {r.plan_key: r for r in rows}
    assert "potassium_48h" not in keys  # not severe anaemia
    assert keys["retic_day7"].window_start == TODAY + dt.timedelta(days=5)
    assert keys["retic_day7"].window_end == TODAY + dt.timedelta(days=10)
    assert keys["fbc_8w"].due_date == TODAY + dt.timedelta(days=56)
    assert {keys[k].analyte.key for k in ("baseline_fbc", "baseline_b12", "baseline_folate",
                                          "baseline_ferritin")} == {"hb", "b12", "folate",
                                                                    "ferritin"}


def test_severe_anaemia_adds_potassium_in_the_first_48_hours(patient, analytes):
    patient.severe_anaemia = True
    rows = services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    potassium = next(r for r in rows if r.plan_key == "potassium_48h")
    assert (potassium.window_start, potassium.window_end) == (TODAY, TODAY + dt.timedelta(days=2))


def test_creating_the_default_plan_twice_creates_it_once(patient, analytes):
    first = services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    second = services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    assert len(first) == len(second) == PlannedLab.objects.filter(patient=patient).count()


def test_a_new_treatment_start_replaces_the_open_items_of_the_old_plan(patient, analytes):
    services.default_plan_create(patient=patient, treatment_start=TODAY - dt.timedelta(days=3),
                                 now=NOW)
    services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    old = PlannedLab.objects.filter(treatment_start=TODAY - dt.timedelta(days=3))
    assert set(old.values_list("status", flat=True)) == {PlanStatus.CANCELLED}
    assert PlannedLab.objects.filter(treatment_start=TODAY, status="open").exists()


def test_a_result_inside_the_window_fulfils_the_planned_lab(patient, analytes, clinician):
    services.default_plan_create(patient=patient, treatment_start=TODAY - dt.timedelta(days=6),
                                 now=NOW)
    recorded = record(patient, analytes["retic"], clinician, value="140")
    planned = PlannedLab.objects.get(plan_key="retic_day7")
    assert planned.status == "done" and planned.fulfilled_by == recorded.result
    assert recorded.fulfilled == [planned]
    baseline = PlannedLab.objects.get(plan_key="baseline_retic")
    assert baseline.status == "open"  # day 6 is outside the baseline window


def test_results_already_entered_fulfil_a_plan_created_later(patient, analytes, clinician):
    record(patient, analytes["b12"], clinician, value="120", sampled_on=TODAY)
    services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    assert PlannedLab.objects.get(plan_key="baseline_b12").status == "done"


def test_a_clinician_can_add_move_and_remove_planned_tests(patient, analytes, clinician):
    planned = services.planned_lab_add(patient=patient, analyte=analytes["hb"],
                                       label="FBC at 6 months", due_date=TODAY, by=clinician,
                                       now=NOW)
    assert planned.window_start == TODAY - dt.timedelta(days=3)
    moved = services.planned_lab_update(planned=planned, label="FBC", due_date=TODAY +
                                        dt.timedelta(days=30), days_before=0, days_after=14,
                                        by=clinician, now=NOW)
    assert moved.window_end == TODAY + dt.timedelta(days=44)
    services.planned_lab_cancel(planned=moved, by=clinician, now=NOW)
    moved.refresh_from_db()
    assert moved.status == "cancelled"
    with pytest.raises(ValidationError):
        services.planned_lab_update(planned=moved, label="x", due_date=TODAY, days_before=0,
                                    days_after=0, by=clinician, now=NOW)


def test_saving_a_result_announces_the_change_for_the_red_flag_rules(patient, analytes,
                                                                     clinician, announcements):
    record(patient, analytes["potassium"], clinician, value="3.1")
    assert [(c.patient_ids, c.now) for c in announcements if events.LABS in c.kinds] == [
        ({patient.pk}, NOW)]
