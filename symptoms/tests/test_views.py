"""Diary pages: the check-in form, history, trends; 404 for everyone outside the care team."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from symptoms import services
from symptoms.models import CheckIn

from .conftest import NOW

pytestmark = pytest.mark.django_db

PATIENT_URLS = [reverse("symptoms:checkin"), reverse("symptoms:history"),
                reverse("symptoms:trends")]


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def days_ago(patient, n, scores, notes=""):
    return services.checkin_save(patient=patient, scores=scores, notes=notes, by=patient.user,
                                 now=NOW - dt.timedelta(days=n))


def test_an_outside_clinician_gets_404_on_the_patients_diary(client, patient, outsider_clinician):
    client.force_login(outsider_clinician)
    assert client.get(reverse("symptoms:patient_diary", args=[patient.pk])).status_code == 404


def test_a_patient_gets_404_on_the_clinician_diary_page_even_their_own(patient_client, patient):
    assert patient_client.get(
        reverse("symptoms:patient_diary", args=[patient.pk])).status_code == 404


def test_a_clinician_gets_404_on_patient_only_pages(clinician_client):
    for url in PATIENT_URLS:
        assert clinician_client.get(url).status_code == 404
        assert clinician_client.post(url, {"s_fatigue": "3"}).status_code == 404
    assert not CheckIn.objects.exists()


def test_an_outside_patient_cannot_see_anyone_elses_diary(client, patient, outsider_patient):
    days_ago(patient, 1, {"fatigue": (9, "")}, notes="private note")
    client.force_login(outsider_patient.user)
    for url in PATIENT_URLS:
        assert "private note" not in client.get(url).content.decode()


def test_the_form_groups_each_scale_in_a_fieldset_and_shows_the_last_answers(patient_client,
                                                                           patient):
    days_ago(patient, 2, {"numbness_feet": (6, "Both sides")})
    text = patient_client.get(reverse("symptoms:checkin")).content.decode()
    assert text.count("<fieldset") == 13
    assert "<legend" in text and "How tired or low in energy" in text
    assert "Last time (22 Nov): 6, both sides" in text


def test_a_patient_saves_and_then_updates_todays_diary(patient_client, patient):
    response = patient_client.post(reverse("symptoms:checkin"),
                                   {"s_fatigue": "7", "s_numbness_hands": "2",
                                    "loc_numbness_hands": "Left", "notes": "Tired"})
    assert response["Location"] == reverse("symptoms:trends")
    page = patient_client.get(reverse("symptoms:checkin")).content.decode()
    assert "You already saved today" in page
    assert 'value="7" autocomplete="off" checked' in page
    patient_client.post(reverse("symptoms:checkin"), {"s_fatigue": "5", "notes": ""})
    checkin = CheckIn.objects.get(patient=patient)
    assert list(checkin.scores.values_list("symptom__code", "severity")) == [("fatigue", 5)]


def test_an_empty_diary_is_refused_with_a_message(patient_client):
    response = patient_client.post(reverse("symptoms:checkin"), {"notes": ""})
    assert response.status_code == 200
    assert "Answer at least one question" in response.content.decode()


def test_an_out_of_range_score_is_refused_without_a_500(patient_client):
    response = patient_client.post(reverse("symptoms:checkin"), {"s_fatigue": "42"})
    assert response.status_code == 200
    assert not CheckIn.objects.exists()


def test_worsening_numbness_sends_the_patient_to_the_guidance_page(patient_client, patient):
    days_ago(patient, 6, {"numbness_feet": (2, "")})
    response = patient_client.post(reverse("symptoms:checkin"), {"s_numbness_feet": "6"})
    assert response["Location"] == reverse("alerts:guidance")
    assert CheckIn.objects.filter(patient=patient).count() == 2


def test_trends_show_one_chart_per_recorded_symptom_with_a_table(patient_client, patient):
    days_ago(patient, 20, {"fatigue": (8, "")})
    days_ago(patient, 10, {"fatigue": (5, ""), "memory": (4, "")})
    text = patient_client.get(reverse("symptoms:trends") + "?days=30").content.decode()
    assert text.count('data-testid="trend-chart"') == 2
    assert "Show as a table" in text and "<caption" in text
    old = patient_client.get(reverse("symptoms:trends") + "?days=30")
    assert old.status_code == 200


def test_symptoms_scored_zero_every_time_are_listed_instead_of_charted(patient_client, patient):
    days_ago(patient, 3, {"fatigue": (4, ""), "vision": (0, "")})
    text = patient_client.get(reverse("symptoms:trends")).content.decode()
    assert text.count('data-testid="trend-chart"') == 1
    assert "Scored 0 (none) every time in this period: Vision changes." in text


def test_trends_with_no_entries_say_so(patient_client):
    assert "No diary entries in the last 90 days" in patient_client.get(
        reverse("symptoms:trends")).content.decode()


def test_history_and_clinician_pages_use_a_constant_number_of_queries(
        client, patient, clinician, django_assert_max_num_queries):
    client.force_login(clinician)
    urls = [reverse("symptoms:patient_diary", args=[patient.pk]),
            reverse("clinic:patient_detail", args=[patient.pk])]
    days_ago(patient, 1, {"fatigue": (5, ""), "mood": (3, "")})
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx)
    for n in range(2, 40):
        days_ago(patient, n, {"fatigue": (5, ""), "mood": (3, ""), "balance": (2, "")})
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    client.force_login(patient.user)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("symptoms:history"))
    with django_assert_max_num_queries(len(ctx)):
        assert client.get(reverse("symptoms:history") + "?page=2").status_code == 200


def test_the_home_page_links_to_the_diary(patient_client, patient):
    text = patient_client.get(reverse("patient_home")).content.decode()
    assert "Fill in today's diary" in text
    days_ago(patient, 0, {"fatigue": (4, "")})
    assert "You filled in today's diary" in patient_client.get(
        reverse("patient_home")).content.decode()


def test_history_shows_scores_above_zero_and_sums_up_the_rest(patient_client, patient):
    days_ago(patient, 1, {"fatigue": (5, ""), "mood": (0, ""), "vision": (0, "")})
    text = patient_client.get(reverse("symptoms:history")).content.decode()
    assert "Tiredness</span> <strong>5</strong>" in text
    assert "None (0): low mood, vision changes" in text
