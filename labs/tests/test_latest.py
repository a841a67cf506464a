"""The latest-result read model: each patient's newest result per test, kept by recording,
deleting and admin edits, equal to its definition ("newest sampled_at, then highest id")
through varied histories; the dashboard's key labs come from it with their dates."""

import datetime as dt
import importlib
import random
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps

from b12care.accounts.tests.factories import ClinicianFactory, PatientFactory
from b12care.core.tests.admin_forms import admin_change
from labs import latest, selectors, services
from labs.models import Analyte, LabResult, LatestLabResult

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db
ZONES = ("Europe/London", "Australia/Sydney", "America/New_York")
VALUES = {"hb": (8, 16), "mcv": (80, 115), "b12": (100, 900), "folate": (3, 20)}


def reference() -> dict[tuple[int, int], dict]:
    """(patient, analyte) -> facts of the result with the newest sampled_at, then highest id."""
    best: dict[tuple[int, int], dict] = {}
    for row in LabResult.objects.values("pk", "patient_id", "analyte_id", *latest.FACTS[1:]):
        pair = (row["patient_id"], row["analyte_id"])
        if pair not in best or ((row["sampled_at"], row["pk"])
                                > (best[pair]["sampled_at"], best[pair]["result_id"])):
            best[pair] = {"result_id": row["pk"], **{k: row[k] for k in latest.FACTS[1:]}}
    return best


def stored() -> dict[tuple[int, int], dict]:
    return {(row["patient_id"], row["analyte_id"]): {k: row[k] for k in latest.FACTS}
            for row in LatestLabResult.objects.values("patient_id", "analyte_id",
                                                      *latest.FACTS)}


def assert_stored_equals_definition() -> None:
    patients = LabResult.objects.values_list("patient_id", flat=True).distinct()
    live = {pair: {k: row[k] for k in latest.FACTS}
            for pair, row in latest.live_latest(patient_ids=patients).items()}
    assert stored() == reference() == live


def record(patient, analyte, *, on: dt.date, by, now=NOW, time=None, value=None):
    if analyte.is_qualitative:
        kw = {"qualitative": "positive"}
    else:
        kw = {"value": str(value if value is not None else VALUES[analyte.key][0] + 1),
              "unit": analyte.canonical_unit}
    return services.result_record(patient=patient, analyte=analyte, sampled_on=on,
                                  sampled_time=time, by=by, now=now, **kw).result


def test_a_result_sampled_earlier_than_the_stored_one_leaves_it(patient, clinician, analytes):
    newer = record(patient, analytes["hb"], on=TODAY, by=clinician, value="12.5")
    record(patient, analytes["hb"], on=TODAY - dt.timedelta(days=30), by=clinician, value="9")
    row = LatestLabResult.objects.get(patient=patient, analyte=analytes["hb"])
    assert (row.result_id, row.value, row.sampled_on) == (newer.pk, Decimal("12.5"), TODAY)


def test_two_results_of_the_same_instant_keep_the_one_entered_last(patient, clinician, analytes):
    record(patient, analytes["hb"], on=TODAY, by=clinician, value="11")
    second = record(patient, analytes["hb"], on=TODAY, by=clinician, value="12")
    assert LatestLabResult.objects.get(patient=patient).result_id == second.pk
    assert latest.refresh([(patient.pk, analytes["hb"].pk)]) == 0  # nothing changed


def test_deleting_the_latest_result_hands_over_to_the_one_before_then_to_nothing(
    patient, clinician, analytes
):
    older = record(patient, analytes["b12"], on=TODAY - dt.timedelta(days=40), by=clinician)
    newer = record(patient, analytes["b12"], on=TODAY, by=clinician, value="500")
    services.result_delete(result=newer, by=clinician, now=NOW)
    assert LatestLabResult.objects.get(patient=patient).result_id == older.pk
    services.result_delete(result=older, by=clinician, now=NOW)
    assert not LatestLabResult.objects.exists()


def test_the_migration_backfills_existing_results(patient, clinician, analytes):
    for days in (3, 20, 20):
        record(patient, analytes["hb"], on=TODAY - dt.timedelta(days=days), by=clinician)
    record(patient, analytes["ifab"], on=TODAY, by=clinician)
    LatestLabResult.objects.all().delete()
    migration = importlib.import_module("labs.migrations.0003_latestlabresult")
    migration.backfill(apps, None)
    assert len(stored()) == 2
    assert_stored_equals_definition()


def test_an_admin_moving_a_result_to_another_patient_moves_its_latest_row(
    client, admin_user, patient, outsider_patient, clinician, analytes
):
    older = record(patient, analytes["hb"], on=TODAY - dt.timedelta(days=9), by=clinician)
    wrong = record(patient, analytes["hb"], on=TODAY, by=clinician, value="15")
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        admin_change(client, f"/admin/labs/labresult/{wrong.pk}/change/",
                     {"patient": outsider_patient.pk})
    assert LatestLabResult.objects.get(patient=patient).result_id == older.pk
    assert LatestLabResult.objects.get(patient=outsider_patient).result_id == wrong.pk
    assert_stored_equals_definition()


def test_the_dashboard_key_labs_carry_their_sample_dates_in_the_order_asked(
    patient, clinician, analytes
):
    record(patient, analytes["mcv"], on=TODAY - dt.timedelta(days=2), by=clinician, value="99")
    record(patient, analytes["hb"], on=TODAY - dt.timedelta(days=5), by=clinician, value="9.5")
    record(patient, analytes["folate"], on=TODAY, by=clinician, value="5")
    labs = selectors.latest_key_labs([patient.pk], ("hb", "mcv", "b12"))[patient.pk]
    assert [(lab.key, lab.display_value, lab.sampled_on) for lab in labs] == [
        ("hb", "9.5 g/dL", TODAY - dt.timedelta(days=5)),
        ("mcv", "99 fL", TODAY - dt.timedelta(days=2)),
    ]
    assert labs[0].flag_label == "Low"


# --- Varied histories -------------------------------------------------------------------------

def _record_random(rng, patients, analytes, clinician, now):
    patient = rng.choice(patients)
    analyte = analytes[rng.choice([*VALUES, "ifab"])]
    today = now.astimezone(patient.tz).date()
    low, high = VALUES.get(analyte.key, (0, 1))
    time = rng.choice([None, None, dt.time(rng.randint(6, 18), rng.choice([0, 30]))])
    record(patient, analyte, on=today - dt.timedelta(days=rng.randint(0, 30)), by=clinician,
           now=now, time=time, value=rng.randint(low, high))


def _admin_edit(client, rng, result, patients):
    url = f"/admin/labs/labresult/{result.pk}/change/"
    if rng.random() < 0.5:
        day = result.sampled_on + dt.timedelta(days=rng.randint(-10, 3))
        admin_change(client, url, {"sampled_at_0": day.isoformat(), "sampled_on": day})
    else:
        admin_change(client, url, {"patient": rng.choice(patients).pk})


def _admin_delete(client, rng, results):
    if rng.random() < 0.5:
        client.post(f"/admin/labs/labresult/{rng.choice(results).pk}/delete/", {"post": "yes"})
    else:
        chosen = [r.pk for r in rng.sample(results, min(3, len(results)))]
        client.post("/admin/labs/labresult/", {"action": "delete_selected", "post": "yes",
                                               "_selected_action": chosen})


def _step(rng, client, patients, analytes, clinician, now):
    results = list(LabResult.objects.all())
    roll = rng.random()
    if roll < 0.55 or not results:
        _record_random(rng, patients, analytes, clinician, now)
    elif roll < 0.75:
        newest_first = sorted(results, key=lambda r: (r.sampled_at, r.pk), reverse=True)
        victim = newest_first[0] if rng.random() < 0.5 else rng.choice(results)
        services.result_delete(result=victim, by=clinician, now=now)
    elif roll < 0.9:
        _admin_edit(client, rng, rng.choice(results), patients)
    else:
        _admin_delete(client, rng, results)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_latest_results_equal_their_definition_through_records_deletes_and_admin_edits(
    seed, client, admin_user
):
    rng = random.Random(seed)
    patients = [PatientFactory(timezone=zone) for zone in ZONES]
    analytes = {a.key: a for a in Analyte.objects.prefetch_related("units")}
    clinician = ClinicianFactory()
    now = NOW - dt.timedelta(days=10)
    for _ in range(60):
        now += dt.timedelta(hours=rng.randint(1, 12))
        with time_machine.travel(now, tick=False):
            client.force_login(admin_user)  # days pass: the admin signs in for each step
            _step(rng, client, patients, analytes, clinician, now)
        assert_stored_equals_definition()
    assert LatestLabResult.objects.exists()
