"""Demo data: idempotent, follows each story, and gives the red-flag rules something to catch."""

import datetime as dt

import pytest

import injections.demo
import labs.demo
import symptoms.demo
from b12care.accounts.demo import seed_people
from b12care.alerts import rules
from labs.models import LabResult, PlannedLab
from symptoms import selectors as diary
from symptoms.models import CheckIn

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug_run")]


@pytest.fixture
def seeded():
    _, clinicians, patients = seed_people()
    for module in (injections.demo, symptoms.demo, labs.demo):
        module.seed(patients=patients, clinicians=clinicians, now=NOW)
    return {spec.story: profile for profile, spec in patients}


def test_seeding_twice_adds_nothing(seeded):
    counts = (CheckIn.objects.count(), LabResult.objects.count())
    _, clinicians, patients = seed_people()
    symptoms.demo.seed(patients=patients, clinicians=clinicians, now=NOW)
    labs.demo.seed(patients=patients, clinicians=clinicians, now=NOW)
    assert (CheckIn.objects.count(), LabResult.objects.count()) == counts


def test_the_new_patient_has_no_diary_and_no_labs(seeded):
    new = seeded["new"]
    assert not CheckIn.objects.filter(patient=new).exists()
    assert not LabResult.objects.filter(patient=new).exists()


def test_energy_improves_before_the_nerves(seeded):
    patient = seeded["neuro_recovering"]
    series = diary.series(patient, since=dt.date(2020, 1, 1), until=dt.date(2030, 1, 1))

    def day_to_halve(code):
        first = series[code][0][1]
        return next(day for day, value in series[code] if value <= first / 2)

    assert day_to_halve("fatigue") < day_to_halve("numbness_feet")


def test_marias_numbness_worsening_is_caught_by_the_neuro_rule(seeded):
    maria = seeded["neuro_worsening"]
    scores = diary.recent_scores(maria, since=NOW - dt.timedelta(days=120), until=NOW)
    data = rules.PatientData(patient_id=maria.pk, symptoms=tuple(
        rules.SymptomFact(code=c, severity=s, recorded_at=t) for c, s, t in scores))
    spec = rules.REGISTRY["neuro_worsening"]
    findings = spec.func(data, now=NOW, thresholds=spec.defaults)
    assert [f.rule for f in findings] == ["neuro_worsening"]
    assert "numbness feet rose from" in findings[0].clinician_message


def test_no_other_story_trips_the_urgent_symptom_rules(seeded):
    for story, patient in seeded.items():
        if story in ("neuro_worsening", "new"):
            continue
        scores = diary.recent_scores(patient, since=NOW - dt.timedelta(days=120), until=NOW)
        data = rules.PatientData(patient_id=patient.pk, symptoms=tuple(
            rules.SymptomFact(code=c, severity=s, recorded_at=t) for c, s, t in scores))
        for code in ("neuro_worsening", "new_visual_symptoms"):
            spec = rules.REGISTRY[code]
            assert spec.func(data, now=NOW, thresholds=spec.defaults) == [], (story, code)


def test_the_induction_patient_has_baseline_labs_with_potassium(seeded):
    liam = seeded["induction_now"]
    keys = set(LabResult.objects.filter(patient=liam).values_list("analyte__key", flat=True))
    assert {"hb", "mcv", "b12", "folate", "ferritin", "retic", "potassium"} <= keys
    b12 = LabResult.objects.get(patient=liam, analyte__key="b12")
    assert b12.unit_entered == "pmol/L" and b12.flag == "low"
    assert PlannedLab.objects.get(patient=liam, plan_key="potassium_48h").status == "done"
    assert PlannedLab.objects.get(patient=liam, plan_key="retic_day7").status == "open"


def test_a_long_story_has_its_plan_fulfilled_by_the_results(seeded):
    sam = seeded["maintenance_stable"]
    open_keys = set(PlannedLab.objects.filter(patient=sam, status="open")
                    .values_list("plan_key", flat=True))
    assert not open_keys & {"baseline_fbc", "retic_day7", "fbc_8w"}
