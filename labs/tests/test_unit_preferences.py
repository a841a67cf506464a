"""Lab units follow the patient's country, then their own choice; a number that only makes
sense in another unit asks which unit was meant, keeping what was typed."""

import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from b12care.accounts.models import country_for_timezone
from labs import units
from labs.models import LabResult, UnitPreference

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def checked_unit(page: str) -> str:
    [unit] = re.findall(r'value="([^"]+)"[^>]*checked', page)
    return unit


def form(**overrides):
    data = {"sampled_on": "2026-11-23", "sampled_time": "", "value": "13.5", "unit": "g/dL",
            "lab_name": "", "notes": ""}
    return {**data, **overrides}


def test_a_london_patient_is_offered_uk_units(patient_client):
    assert checked_unit(patient_client.get(reverse("labs:add_result", args=["b12"]))
                        .content.decode()) == "ng/L"
    assert checked_unit(patient_client.get(reverse("labs:add_result", args=["hb"]))
                        .content.decode()) == "g/L"
    assert checked_unit(patient_client.get(reverse("labs:add_result", args=["folate"]))
                        .content.decode()) == "µg/L"


def test_a_us_patient_is_offered_us_units(patient_client, patient):
    patient.country = "US"
    patient.save()
    assert checked_unit(patient_client.get(reverse("labs:add_result", args=["b12"]))
                        .content.decode()) == "pg/mL"
    assert checked_unit(patient_client.get(reverse("labs:add_result", args=["hb"]))
                        .content.decode()) == "g/dL"


def test_the_unit_a_patient_picks_is_offered_next_time(patient_client, patient):
    url = reverse("labs:add_result", args=["b12"])
    patient_client.post(url, form(value="300", unit="pmol/L"))
    assert UnitPreference.objects.get(patient=patient).unit == "pmol/L"
    assert checked_unit(patient_client.get(url).content.decode()) == "pmol/L"


def test_hb_135_in_g_per_dl_asks_whether_g_per_l_was_meant_and_keeps_the_value(patient_client):
    url = reverse("labs:add_result", args=["hb"])
    page = patient_client.post(url, form(value="135", unit="g/dL")).content.decode()
    assert "Did you mean 135 g/L?" in page
    assert 'name="meant_unit" value="g/L"' in page and "(= 13.5 g/dL)" in page
    assert 'value="135"' in page
    assert not LabResult.objects.exists()
    response = patient_client.post(url, form(value="135", unit="g/dL", meant_unit="g/L"),
                                   follow=True)
    assert "Hb 135 g/L saved (= 13.5 g/dL)" in response.content.decode()
    result = LabResult.objects.get()
    assert (result.value, result.unit_entered) == (Decimal("13.5"), "g/L")


def test_a_clinician_entering_hb_13_point_5_in_g_per_l_is_asked_about_g_per_dl(clinician_client,
                                                                             patient):
    url = reverse("labs:patient_add_result", args=[patient.pk, "hb"])
    page = clinician_client.post(url, form(value="13.5", unit="g/L")).content.decode()
    assert "Did you mean 13.5 g/dL?" in page
    assert not LabResult.objects.exists()


def test_a_number_plausible_in_the_selected_unit_is_saved_without_a_question(patient_client):
    # 300 pmol/L and 300 pg/mL are both possible B12 results: size alone cannot tell them apart.
    response = patient_client.post(reverse("labs:add_result", args=["b12"]),
                                   form(value="300", unit="pg/mL"), follow=True)
    assert "Did you mean" not in response.content.decode()
    assert LabResult.objects.count() == 1


def test_a_number_plausible_in_no_unit_is_refused_without_a_suggestion(patient_client):
    page = patient_client.post(reverse("labs:add_result", args=["hb"]),
                               form(value="900", unit="g/dL")).content.decode()
    assert "Did you mean" not in page and "far higher than any real Hb result" in page


@pytest.mark.parametrize(("canonical", "entered", "shown"), [
    ("406.5", "300", "407"), ("13.5", "135", "13.5"), ("4.4", "10", "4.4"),
    ("4406.5", "3252", "4407"), ("0", "0", "0"),
])
def test_a_converted_value_has_no_more_precision_than_was_typed(canonical, entered, shown):
    assert units.converted_text(Decimal(canonical), Decimal(entered)) == shown


@pytest.mark.parametrize(("zone", "country"), [
    ("Europe/London", "GB"), ("Europe/Dublin", "IE"), ("Australia/Perth", "AU"),
    ("Pacific/Auckland", "NZ"), ("America/Chicago", "US"), ("America/Toronto", "CA"),
    ("Europe/Paris", "EU"), ("Asia/Tokyo", "XX"),
])
def test_a_new_patients_country_defaults_from_the_time_zone(zone, country):
    assert country_for_timezone(zone) == country
