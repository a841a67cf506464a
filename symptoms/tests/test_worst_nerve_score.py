"""The worst nerve score stored on each check-in: written with the scores, followed by admin
edits and catalogue changes, equal to its definition through varied histories; and the
dashboard's nerve trends read from it."""

import datetime as dt
import importlib
import random

import pytest
import time_machine
from django.apps import apps

from b12care.accounts.tests.factories import PatientFactory
from b12care.core.tests.admin_forms import admin_change
from symptoms import selectors, services
from symptoms.models import CheckIn, Symptom, SymptomScore

from .conftest import NOW
from .diary import long_diary

pytestmark = pytest.mark.django_db
ZONES = ("Europe/London", "Australia/Sydney", "America/Los_Angeles")


def reference() -> dict[int, int | None]:
    """Check-in id -> the highest severity among its scores of neurological symptoms."""
    worst: dict[int, int | None] = dict.fromkeys(CheckIn.objects.values_list("pk", flat=True))
    for checkin_id, severity in SymptomScore.objects.filter(
            symptom__neurological=True).values_list("checkin_id", "severity"):
        worst[checkin_id] = max(severity, worst[checkin_id] or 0)
    return worst


def assert_stored_equals_definition() -> None:
    stored = dict(CheckIn.objects.values_list("pk", "worst_nerve_score"))
    patients = CheckIn.objects.values_list("patient_id", flat=True).distinct()
    assert stored == reference() == selectors.live_worst_nerve_scores(patients)


def save(patient, scores, now, notes=""):
    return services.checkin_save(patient=patient, scores=scores, notes=notes, by=patient.user,
                                 now=now)


def test_a_check_in_stores_its_worst_nerve_score_and_none_without_a_nerve_symptom(patient):
    saved = save(patient, {"fatigue": (9, ""), "numbness_feet": (4, "Both sides"),
                           "balance": (6, "")}, NOW)
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score == 6
    save(patient, {"fatigue": (9, "")}, NOW + dt.timedelta(hours=1))  # same day, updated
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score is None
    save(patient, {"balance": (0, "")}, NOW + dt.timedelta(hours=2))
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score == 0


def test_reconciling_rewrites_only_the_check_ins_whose_score_changed(patient):
    long_diary(patient, days=20, today=NOW.date())
    assert services.worst_nerve_scores_reconcile() == 0
    stale = CheckIn.objects.filter(patient=patient).order_by("local_date").first()
    CheckIn.objects.filter(pk=stale.pk).update(worst_nerve_score=None)
    assert services.worst_nerve_scores_reconcile(patient_ids=[patient.pk]) == 1
    assert_stored_equals_definition()


def test_the_migration_backfills_existing_check_ins(patient):
    long_diary(patient, days=10, today=NOW.date())
    CheckIn.objects.update(worst_nerve_score=None)
    migration = importlib.import_module("symptoms.migrations.0003_checkin_worst_nerve_score")
    migration.backfill(apps, None)
    assert_stored_equals_definition()
    assert CheckIn.objects.filter(worst_nerve_score__isnull=False).exists()


def test_an_admin_edit_of_the_scores_updates_the_worst_nerve_score(client, admin_user, patient):
    saved = save(patient, {"numbness_feet": (7, "Both sides"), "fatigue": (2, "")}, NOW)
    feet = SymptomScore.objects.get(checkin=saved.checkin, symptom__code="numbness_feet")
    index = list(saved.checkin.scores.order_by("symptom__position")).index(feet)
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        admin_change(client, f"/admin/symptoms/checkin/{saved.checkin.pk}/change/",
                     {f"scores-{index}-severity": "3"})
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score == 3
    with time_machine.travel(NOW, tick=False):
        admin_change(client, f"/admin/symptoms/checkin/{saved.checkin.pk}/change/",
                     {f"scores-{index}-DELETE": "on"})
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score is None


def test_marking_a_symptom_neurological_in_the_admin_recomputes_the_stored_scores(
    client, admin_user, patient
):
    saved = save(patient, {"fatigue": (8, ""), "numbness_feet": (2, "Left")}, NOW)
    fatigue = Symptom.objects.get(code="fatigue")
    client.force_login(admin_user)
    admin_change(client, f"/admin/symptoms/symptom/{fatigue.pk}/change/", {"neurological": "on"})
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score == 8
    feet = Symptom.objects.get(code="numbness_feet")
    admin_change(client, f"/admin/symptoms/symptom/{feet.pk}/change/", {"neurological": ""})
    assert CheckIn.objects.get(pk=saved.checkin.pk).worst_nerve_score == 8
    assert_stored_equals_definition()


def _random_scores(rng: random.Random, codes: list[str]) -> dict[str, tuple[int, str]]:
    chosen = rng.sample(codes, rng.randint(0, 5))
    return {code: (rng.randint(0, 10), "") for code in chosen}


def _admin_edit(client, rng: random.Random, checkin: CheckIn) -> None:
    scores = list(checkin.scores.order_by("symptom__position"))
    if not scores:
        return
    index = rng.randrange(len(scores))
    change = ({f"scores-{index}-DELETE": "on"} if rng.random() < 0.3
              else {f"scores-{index}-severity": str(rng.randint(0, 10))})
    admin_change(client, f"/admin/symptoms/checkin/{checkin.pk}/change/", change)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_scores_equal_their_definition_through_saves_edits_and_catalogue_changes(
    seed, client, admin_user
):
    rng = random.Random(seed)
    patients = [PatientFactory(timezone=zone) for zone in ZONES]
    codes = list(Symptom.objects.values_list("code", flat=True))
    now = NOW - dt.timedelta(days=20)
    for _ in range(40):
        now += dt.timedelta(hours=rng.randint(2, 30))
        roll = rng.random()
        with time_machine.travel(now, tick=False):
            client.force_login(admin_user)  # weeks pass: the admin signs in for each step
            if roll < 0.7:
                save(rng.choice(patients), _random_scores(rng, codes), now, notes="n")
            elif roll < 0.85 and CheckIn.objects.exists():
                _admin_edit(client, rng, rng.choice(list(CheckIn.objects.all())))
            elif roll < 0.95:
                symptom = Symptom.objects.get(code=rng.choice(codes))
                admin_change(client, f"/admin/symptoms/symptom/{symptom.pk}/change/",
                             {"neurological": "" if symptom.neurological else "on"})
            elif CheckIn.objects.exists():
                rng.choice(list(CheckIn.objects.all())).delete()
        assert_stored_equals_definition()


# --- The dashboard's nerve trends -------------------------------------------------------------

def reference_trend(patient, *, now: dt.datetime, days: int) -> list[int | None]:
    """Worst nerve score per local day of the window ending on the patient's own today,
    straight from the scores."""
    today = now.astimezone(patient.tz).date()
    start = today - dt.timedelta(days=days - 1)
    worst: dict[dt.date, int] = {}
    for day, severity in SymptomScore.objects.filter(
            checkin__patient=patient, symptom__neurological=True).values_list(
            "checkin__local_date", "severity"):
        worst[day] = max(severity, worst.get(day, 0))
    return [worst.get(start + dt.timedelta(days=i)) for i in range(days)]


@pytest.mark.parametrize("seed", [4, 5])
def test_nerve_trends_equal_the_scores_of_each_patients_own_last_days(
    seed, django_assert_num_queries
):
    rng = random.Random(seed)
    patients = [PatientFactory(timezone=zone) for zone in ZONES]
    codes = list(Symptom.objects.values_list("code", flat=True))
    now = NOW - dt.timedelta(days=25)
    for _ in range(60):
        now += dt.timedelta(hours=rng.randint(3, 16))
        save(rng.choice(patients), _random_scores(rng, codes), now, notes="n")
    for later in (now, now + dt.timedelta(hours=7), now + dt.timedelta(days=3)):
        with django_assert_num_queries(1):
            trends = selectors.nerve_trends(patients, now=later, days=14)
        assert trends == {p.pk: reference_trend(p, now=later, days=14) for p in patients}


def test_a_patient_without_check_ins_has_an_empty_trend(patient):
    assert selectors.nerve_trends([patient], now=NOW, days=3) == {patient.pk: [None] * 3}
