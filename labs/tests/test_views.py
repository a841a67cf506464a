"""Lab pages: what patients and clinicians see, and 404 for everyone outside the care team."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from labs import services
from labs.models import LabResult, PlannedLab

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(patient):
    return services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)


def clinician_urls(patient_id, planned_id=1):
    return [
        reverse("labs:patient_overview", args=[patient_id]),
        reverse("labs:patient_add", args=[patient_id]),
        reverse("labs:patient_add_result", args=[patient_id, "b12"]),
        reverse("labs:patient_analyte", args=[patient_id, "b12"]),
        reverse("labs:plan_add", args=[patient_id]),
        reverse("labs:plan_edit", args=[patient_id, planned_id]),
        reverse("labs:plan_cancel", args=[patient_id, planned_id]),
    ]


PATIENT_URLS = [reverse("labs:overview"), reverse("labs:add"),
                reverse("labs:add_result", args=["b12"]), reverse("labs:analyte", args=["b12"])]


def result_form(**overrides):
    data = {"sampled_on": "2026-11-23", "sampled_time": "", "value": "300", "unit": "pmol/L",
            "lab_name": "City Hospital", "notes": ""}
    data.update(overrides)
    return data


# --- Access --------------------------------------------------------------------------------------

def test_an_outside_clinician_gets_404_on_every_clinician_page(client, patient, plan,
                                                               outsider_clinician):
    client.force_login(outsider_clinician)
    for url in clinician_urls(patient.pk, plan[0].pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, result_form()).status_code == 404, url
    assert not LabResult.objects.exists()
    assert PlannedLab.objects.filter(status="open").count() == len(plan)


def test_a_patient_gets_404_on_clinician_pages_even_their_own(patient_client, patient, plan):
    for url in clinician_urls(patient.pk, plan[0].pk):
        assert patient_client.get(url).status_code == 404, url


def test_a_clinician_gets_404_on_patient_only_pages(clinician_client):
    for url in PATIENT_URLS:
        assert clinician_client.get(url).status_code == 404, url


def test_a_planned_lab_of_another_patient_is_404_for_this_patients_clinician(
        clinician_client, patient, outsider_patient):
    other = services.default_plan_create(patient=outsider_patient, treatment_start=TODAY, now=NOW)
    for url in (reverse("labs:plan_edit", args=[patient.pk, other[0].pk]),
                reverse("labs:plan_cancel", args=[patient.pk, other[0].pk])):
        assert clinician_client.post(url).status_code == 404
    assert PlannedLab.objects.get(pk=other[0].pk).status == "open"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("labs:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_test_is_404(patient_client):
    assert patient_client.get(reverse("labs:add_result", args=["unobtainium"])).status_code == 404


# --- Patient pages -------------------------------------------------------------------------------

def test_a_patient_records_b12_in_pmol_per_litre_and_sees_it_normalised_and_flagged(
        patient_client, patient):
    response = patient_client.post(reverse("labs:add_result", args=["b12"]),
                                   result_form(value="100"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("labs:analyte", args=["b12"])
    text = response.content.decode()
    assert "100 pmol/L saved (= 136 pg/mL). Low." in text
    assert "Entered as 100 pmol/L" in text
    assert "Deficiency likely" in text
    assert 'role="img"' in text and "135.5 pg/mL" in text
    result = LabResult.objects.get()
    assert result.patient == patient and result.lab_name == "City Hospital"


def test_a_refused_value_shows_a_clear_message_and_keeps_what_was_typed(patient_client):
    response = patient_client.post(reverse("labs:add_result", args=["b12"]),
                                   result_form(value="-3"))
    assert response.status_code == 200
    assert "cannot be negative" in response.content.decode()
    assert 'value="-3"' in response.content.decode()
    assert not LabResult.objects.exists()


def test_the_add_form_offers_only_the_tests_own_units(patient_client):
    text = patient_client.get(reverse("labs:add_result", args=["hb"])).content.decode()
    for unit in ("g/dL", "g/L", "mmol/L"):
        assert f'value="{unit}"' in text
    assert 'value="pmol/L"' not in text


def test_a_qualitative_test_asks_for_an_answer_not_a_number(patient_client):
    response = patient_client.post(reverse("labs:add_result", args=["ifab"]),
                                   {"sampled_on": "2026-11-20", "qualitative": "positive"},
                                   follow=True)
    assert "Abnormal" in response.content.decode()
    assert LabResult.objects.get().qualitative == "positive"


def test_the_overview_shows_the_plan_with_due_and_done_items(patient_client, patient, plan):
    services.result_record(patient=patient, analyte=plan[0].analyte, sampled_on=TODAY,
                           value="10.1", unit="g/dL", by=patient.user, now=NOW)
    text = patient_client.get(reverse("labs:overview")).content.decode()
    assert "Monitoring plan" in text
    assert "Done: 10.1 g/dL" in text
    assert "Due now" in text  # the other baselines
    assert "Coming up" in text  # day 7 and week 8


def test_an_urgent_finding_sends_the_patient_to_the_guidance_page(patient_client, monkeypatch):
    monkeypatch.setattr("b12care.core.events.needs_guidance", lambda findings: True)
    response = patient_client.post(reverse("labs:add_result", args=["potassium"]),
                                   result_form(value="2.9", unit="mmol/L"))
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:guidance")


def test_list_pages_use_a_constant_number_of_queries(patient_client, patient, plan,
                                                     django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            services.result_record(patient=patient, analyte=plan[0].analyte,
                                   sampled_on=TODAY - dt.timedelta(days=i), value="11",
                                   unit="g/dL", by=patient.user, now=NOW)

    add(2)
    urls = [reverse("labs:overview"), reverse("labs:analyte", args=["hb"]), reverse("patient_home")]
    counts = {}
    for url in urls:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert patient_client.get(url).status_code == 200
        counts[url] = len(ctx)
    add(25)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert patient_client.get(url).status_code == 200


# --- Clinician pages ---------------------------------------------------------------------------

def test_a_clinician_adds_a_result_on_behalf_of_their_patient(clinician_client, patient,
                                                              clinician):
    response = clinician_client.post(
        reverse("labs:patient_add_result", args=[patient.pk, "hb"]),
        result_form(value="95", unit="g/L"))
    assert response["Location"] == reverse("labs:patient_analyte", args=[patient.pk, "hb"])
    result = LabResult.objects.get()
    assert (result.value, result.source) == (Decimal("9.5"), "clinician")
    assert result.entered_by == clinician


def test_a_clinician_moves_a_planned_test(clinician_client, patient, plan):
    planned = next(p for p in plan if p.plan_key == "fbc_8w")
    response = clinician_client.post(reverse("labs:plan_edit", args=[patient.pk, planned.pk]), {
        "label": "FBC at 10 weeks", "due_date": "2027-02-02", "days_before": "7",
        "days_after": "14", "note": ""})
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.label, planned.due_date) == ("FBC at 10 weeks", dt.date(2027, 2, 2))


def test_removing_a_planned_test_asks_for_confirmation_first(clinician_client, patient, plan):
    url = reverse("labs:plan_cancel", args=[patient.pk, plan[0].pk])
    assert "Yes, remove it" in clinician_client.get(url).content.decode()
    assert PlannedLab.objects.get(pk=plan[0].pk).status == "open"
    clinician_client.post(url)
    assert PlannedLab.objects.get(pk=plan[0].pk).status == "cancelled"


def test_a_clinician_adds_a_planned_test(clinician_client, patient, analytes):
    response = clinician_client.post(reverse("labs:plan_add", args=[patient.pk]), {
        "analyte": analytes["hb"].pk, "label": "FBC at 6 months", "due_date": "2027-05-24",
        "days_before": "7", "days_after": "14", "note": ""})
    assert response.status_code == 302
    assert PlannedLab.objects.get(patient=patient).label == "FBC at 6 months"


def test_the_review_page_shows_latest_labs_and_the_next_due_test(clinician_client, patient,
                                                                 plan):
    services.result_record(patient=patient, analyte=plan[0].analyte, sampled_on=TODAY,
                           value="9.1", unit="g/dL", by=patient.user, now=NOW)
    text = clinician_client.get(reverse("clinic:patient_detail", args=[patient.pk])).content
    text = text.decode()
    assert "9.1 g/dL" in text and "Low" in text
    assert "Reticulocytes before treatment" in text


def test_the_patients_home_leaves_out_serum_b12_which_says_little_on_injections(
        client, patient, clinician, analytes):
    services.result_record(patient=patient, analyte=analytes["b12"], sampled_on=TODAY,
                           value="150", unit="pg/mL", by=patient.user, now=NOW)
    services.result_record(patient=patient, analyte=analytes["hb"], sampled_on=TODAY,
                           value="11.0", unit="g/dL", by=patient.user, now=NOW)
    client.force_login(patient.user)
    home = client.get(reverse("patient_home")).content.decode()
    assert "11 g/dL" in home and "150 pg/mL" not in home
    client.force_login(clinician)
    review = client.get(reverse("clinic:patient_detail", args=[patient.pk]))
    assert "150 pg/mL" in review.content.decode()
