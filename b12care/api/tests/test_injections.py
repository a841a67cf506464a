"""The injection log through the API: the same services, rules and scope as the web."""

import datetime as dt

import pytest
from django.urls import reverse

from b12care.accounts.models import AccessLog
from b12care.alerts.models import Alert
from injections import protocols
from injections import services as injection_services
from injections.models import Injection, ProtocolTemplate

from .conftest import NOW, injection_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]

MINE = reverse("api:me_injections")


def mine(pk):
    return reverse("api:me_injection", args=[pk])


@pytest.fixture
def regimen(patient, clinician):
    template = ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NO_NEURO)
    return injection_services.regimen_create_from_template(
        patient=patient, template=template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(9, 0), created_by=clinician, now=NOW)


def record(patient, by, **overrides):
    values = {"taken_at": NOW - dt.timedelta(minutes=30), "product": "hydroxocobalamin",
              "dose": "1", "unit": "mg", "site": "left_deltoid", "administered_by": "nurse"}
    values.update(overrides)
    return injection_services.injection_record(patient=patient, recorded_by=by, now=NOW,
                                               **values).injection


def test_a_patient_records_an_injection_and_it_fulfils_todays_dose(patient_api, regimen):
    response = patient_api.post(MINE, injection_body(pain=2, local_reactions=["redness"]),
                                format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["needs_guidance"] is False and body["guidance_url"] is None
    assert body["injection"]["planned_dose"]["label"] == "induction dose 1 of 6"
    assert body["injection"]["local_reactions"] == ["redness"]
    assert body["injection"]["can_change"] is True
    injection = Injection.objects.get()
    assert injection.redness and not injection.swelling and injection.pain == 2


def test_a_time_without_offset_is_the_patients_local_time(patient_api, patient):
    patient.timezone = "America/New_York"
    patient.save()
    response = patient_api.post(MINE, injection_body(taken_at="2026-11-24T04:30"),
                                format="json")
    assert response.status_code == 201
    assert Injection.objects.get().taken_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    assert response.json()["injection"]["taken_at_local"] == "2026-11-24T04:30:00-05:00"


def test_sending_the_same_client_token_again_records_one_injection(patient_api):
    body = injection_body(client_token="retry-after-timeout-1")
    first = patient_api.post(MINE, body, format="json")
    again = patient_api.post(MINE, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert again.json()["injection"]["id"] == first.json()["injection"]["id"]
    assert Injection.objects.count() == 1


def test_the_same_client_token_from_two_patients_records_two_injections(
        patient_api, outsider_patient_api):
    body = injection_body(client_token="same-token-123")
    assert patient_api.post(MINE, body, format="json").status_code == 201
    assert outsider_patient_api.post(MINE, body, format="json").status_code == 201
    assert Injection.objects.count() == 2


def test_the_services_rules_come_back_as_400_with_their_messages(patient_api):
    future = patient_api.post(MINE, injection_body(taken_at="2026-11-25T09:00:00Z"),
                              format="json")
    assert future.status_code == 400
    assert future.json() == {"taken_at": ["The time cannot be in the future."]}
    alone = patient_api.post(MINE, injection_body(administered_by="self"), format="json")
    assert alone.status_code == 400
    assert "Self-injection is not set up yet" in alone.json()["administered_by"][0]
    assert not Injection.objects.exists()


def test_a_red_flag_injection_through_the_api_raises_the_same_alert_as_the_web(
        patient_api, patient_client, patient, outsider_patient):
    web = patient_client.post(reverse("injections:log"), {
        "taken_at": "2026-11-24T09:30", "site": "left_vastus_lateralis",
        "administered_by": "nurse", "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
        "systemic_reactions": ["breathing_difficulty"]})
    assert web.url == reverse("alerts:guidance")
    web_alert = Alert.objects.get(patient=patient)
    web_alert.delete()
    Injection.objects.all().delete()

    api = patient_api.post(MINE, injection_body(systemic_reactions=["breathing_difficulty"]),
                           format="json")
    assert api.status_code == 201
    assert api.json()["needs_guidance"] is True
    assert api.json()["guidance_url"] == "http://testserver" + reverse("alerts:guidance")
    api_alert = Alert.objects.get(patient=patient)
    fields = ["rule_id", "severity", "status", "patient_message", "clinician_message",
              "evidence"]
    assert [getattr(api_alert, f) for f in fields] == [getattr(web_alert, f) for f in fields]


def test_a_patient_corrects_an_entry_within_24_hours(patient_api, patient):
    injection = record(patient, patient.user)
    response = patient_api.patch(mine(injection.pk), {"site": "right_deltoid",
                                                      "systemic_reactions": ["itching"]},
                                 format="json")
    assert response.status_code == 200
    injection.refresh_from_db()
    assert injection.site == "right_deltoid" and injection.itching
    assert response.json()["injection"]["site"] == "right_deltoid"


def test_after_24_hours_a_patient_can_neither_change_nor_delete(patient_api, patient,
                                                                fixed_clock):
    injection = record(patient, patient.user)
    fixed_clock.shift(dt.timedelta(hours=25))
    assert patient_api.get(mine(injection.pk)).json()["can_change"] is False
    changed = patient_api.patch(mine(injection.pk), {"pain": 1}, format="json")
    assert changed.status_code == 403
    assert "24 hours" in changed.json()["detail"]
    assert patient_api.delete(mine(injection.pk)).status_code == 403
    assert Injection.objects.filter(pk=injection.pk, pain=None).exists()


def test_a_patient_deletes_an_entry_and_its_dose_is_due_again(patient_api, patient, regimen):
    created = patient_api.post(MINE, injection_body(), format="json").json()
    assert patient_api.delete(mine(created["injection"]["id"])).status_code == 204
    assert not Injection.objects.exists()
    schedule = patient_api.get(reverse("api:me_schedule")).json()
    assert schedule["next_dose"]["status"] == "open"


def test_the_log_lists_the_patients_own_entries_newest_first(patient_api, patient,
                                                             outsider_patient):
    older = record(patient, patient.user, taken_at=NOW - dt.timedelta(days=2))
    newer = record(patient, patient.user)
    record(outsider_patient, outsider_patient.user)
    body = patient_api.get(MINE).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]


def test_another_patients_entry_is_404_for_every_method(patient_api, outsider_patient):
    theirs = record(outsider_patient, outsider_patient.user)
    assert patient_api.get(mine(theirs.pk)).status_code == 404
    assert patient_api.patch(mine(theirs.pk), {"pain": 9}, format="json").status_code == 404
    assert patient_api.delete(mine(theirs.pk)).status_code == 404
    assert Injection.objects.filter(pk=theirs.pk, pain=None).exists()


def test_a_clinician_reads_their_patients_log_and_the_read_is_audited(clinician_api,
                                                                      clinician, patient):
    injection = record(patient, patient.user)
    url = reverse("api:patient_injections", args=[patient.pk])
    body = clinician_api.get(url).json()
    assert [row["id"] for row in body["results"]] == [injection.pk]
    assert body["results"][0]["can_change"] is True  # clinicians may correct at any time
    detail = clinician_api.get(reverse("api:patient_injection", args=[patient.pk, injection.pk]))
    assert detail.json()["id"] == injection.pk
    assert list(AccessLog.objects.filter(user=clinician, patient=patient, kind="read")
                .values_list("action", flat=True).order_by("pk")) == [
        "api.injections.list", "api.injections.detail"]


def test_the_clinician_side_is_read_only(clinician_api, patient):
    injection = record(patient, patient.user)
    url = reverse("api:patient_injections", args=[patient.pk])
    assert clinician_api.post(url, injection_body(), format="json").status_code == 405
    detail = reverse("api:patient_injection", args=[patient.pk, injection.pk])
    assert clinician_api.delete(detail).status_code == 405


def test_an_unassigned_clinician_gets_404_and_nothing_is_logged(outsider_clinician_api,
                                                                patient):
    injection = record(patient, patient.user)
    for url in (reverse("api:patient_injections", args=[patient.pk]),
                reverse("api:patient_injection", args=[patient.pk, injection.pk])):
        assert outsider_clinician_api.get(url).status_code == 404, url
    assert not AccessLog.objects.filter(kind="read").exists()


def test_wrong_roles_get_404(clinician_api, patient_api, patient):
    assert clinician_api.get(MINE).status_code == 404
    assert clinician_api.post(MINE, injection_body(), format="json").status_code == 404
    assert patient_api.get(reverse("api:patient_injections",
                                   args=[patient.pk])).status_code == 404


def test_the_log_costs_the_same_queries_whatever_its_length(patient_api, patient,
                                                            django_assert_max_num_queries):
    record(patient, patient.user)
    patient_api.get(MINE)
    with django_assert_max_num_queries(20) as few:
        patient_api.get(MINE)
    for days in range(1, 40):
        record(patient, patient.user, taken_at=NOW - dt.timedelta(days=days))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert patient_api.get(MINE).json()["count"] == 40
