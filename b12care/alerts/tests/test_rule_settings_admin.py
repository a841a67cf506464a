"""Alert rule settings in the admin: typed fields with units and ranges, codes from the
catalogue, a confirmation showing who would be flagged, and a history with who and why."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from b12care.alerts.models import AlertRule
from labs import services as lab_services
from labs.models import Analyte

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def url(code):
    return reverse("admin:alerts_alertrule_change", args=[AlertRule.objects.get(code=code).pk])


def neuro_form(**overrides):
    data = {"name": "New or rapidly worsening neurological symptoms", "enabled": "on",
            "delta": "3", "absolute": "8", "window_days": "14",
            "codes": ["numbness_hands", "numbness_feet", "balance", "falls", "weakness"],
            "reason": "Reviewed by the safety group", "confirm": "on"}
    return {**data, **overrides}


def hb_form(**overrides):
    data = {"name": "Haemoglobin critically low", "enabled": "on", "below_g_dl": "8.0",
            "lookback_days": "30", "reason": "Local guideline", "confirm": "on"}
    return {**data, **overrides}


def test_the_change_form_shows_named_fields_with_units_and_catalogue_codes(admin_client):
    page = admin_client.get(url("neuro_worsening")).content.decode()
    assert "Score at or above (points (0-10 scale))" in page and "Allowed: 0–10" in page
    assert 'value="numbness_hands"' in page and "Reason for change" in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"codes": ["numbness_hand"]}, "Select a valid choice. numbness_hand is not one of"),
    ({"absolute": "80"}, "less than or equal to 10"),
    ({"delta": "0"}, "greater than or equal to 1"),
])
def test_bad_neuro_settings_are_refused_with_a_clear_message(admin_client, overrides, message):
    before = AlertRule.objects.get(code="neuro_worsening").thresholds
    response = admin_client.post(url("neuro_worsening"), neuro_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert AlertRule.objects.get(code="neuro_worsening").thresholds == before


def test_a_haemoglobin_threshold_of_80_g_per_dl_is_refused(admin_client):
    response = admin_client.post(url("hb_critical"), hb_form(below_g_dl="80"))
    assert "less than or equal to 20" in response.content.decode()
    assert AlertRule.objects.get(code="hb_critical").thresholds.get("below_g_dl") != "80"


def test_a_change_needs_a_reason(admin_client):
    response = admin_client.post(url("hb_critical"), hb_form(reason=""))
    assert "This field is required" in response.content.decode()


def test_saving_first_shows_who_would_stop_and_start_being_flagged(admin_client, patient):
    hb = Analyte.objects.get(key="hb")
    lab_services.result_record(patient=patient, analyte=hb, sampled_on=dt.date(2026, 11, 23),
                               value="7.5", unit="g/dL", by=patient.user, now=NOW)
    response = admin_client.post(url("hb_critical"), hb_form(below_g_dl="7.0", confirm=""))
    text = response.content.decode()
    assert "would flag 0 current patient(s) (now 1)" in text
    assert "Would stop being flagged: Pat Lee" in text
    assert AlertRule.objects.get(code="hb_critical").thresholds.get("below_g_dl") != "7"


def test_a_valid_change_is_saved_with_who_and_why_in_history(admin_client, admin_user):
    response = admin_client.post(url("hb_critical"), hb_form(below_g_dl="7.5"))
    assert response.status_code == 302
    rule = AlertRule.objects.get(code="hb_critical")
    assert Decimal(rule.thresholds["below_g_dl"]) == Decimal("7.5")
    assert rule.thresholds["lookback_days"] == 30
    latest = rule.history.latest()
    assert latest.history_change_reason == "Local guideline"
    assert latest.history_user == admin_user
