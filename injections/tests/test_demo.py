"""The demo data tells each patient's story and can be seeded twice without duplicates."""

import datetime as dt

import pytest

from b12care.accounts.demo import seed_people
from injections import demo, selectors
from injections.models import DoseStatus, Injection, PlannedDose, Regimen

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug_run")]
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded():
    _, clinicians, patients = seed_people()
    demo.seed(patients=patients, clinicians=clinicians, now=NOW)
    return {spec.story: profile for profile, spec in patients}, clinicians, patients


def test_every_story_but_new_gets_a_regimen_and_history(seeded):
    by_story, _, _ = seeded
    assert not Regimen.objects.filter(patient=by_story["new"]).exists()
    for story, profile in by_story.items():
        if story == "new":
            continue
        assert Regimen.objects.filter(patient=profile, status="active").count() == 1, story
        assert Injection.objects.filter(patient=profile).exists(), story


def test_the_induction_patient_is_mid_induction(seeded):
    by_story, *_ = seeded
    summary = selectors.schedule_summary(by_story["induction_now"], now=NOW)
    assert summary["is_induction"]
    assert summary["next"]["label"].startswith("induction dose ")
    assert 2 <= Injection.objects.filter(patient=by_story["induction_now"]).count() <= 4


def test_long_histories_have_some_late_and_a_couple_of_missed_doses(seeded):
    by_story, *_ = seeded
    profile = by_story["cyanocobalamin"]
    assert PlannedDose.objects.filter(patient=profile, status=DoseStatus.MISSED).count() == 2
    summary = selectors.schedule_summary(profile, now=NOW)
    induction = next(a for a in summary["adherence"] if a.due)
    assert induction.on_time < induction.due


def test_the_recovering_patient_moved_to_two_monthly_maintenance(seeded):
    by_story, *_ = seeded
    regimen = Regimen.objects.get(patient=by_story["neuro_recovering"], status="active")
    induction, maintenance = regimen.phases.order_by("order")
    assert induction.ended_on is not None
    assert PlannedDose.objects.filter(phase=maintenance, status=DoseStatus.TAKEN).exists()


def test_seeding_twice_adds_nothing(seeded):
    _, clinicians, patients = seeded
    before = (Injection.objects.count(), PlannedDose.objects.count())
    demo.seed(patients=patients, clinicians=clinicians, now=NOW)
    assert (Injection.objects.count(), PlannedDose.objects.count()) == before
