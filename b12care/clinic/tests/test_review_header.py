"""The review page's header names the patient's phone, date of birth and age."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from b12care.accounts.clinics import age_on

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def review(client, clinician, patient) -> str:
    with time_machine.travel(NOW, tick=False):
        client.force_login(clinician)
        return client.get(reverse("clinic:patient_detail", args=[patient.pk])).content.decode()


def test_the_header_shows_phone_date_of_birth_and_age(client, clinician, patient):
    patient.date_of_birth = dt.date(1960, 11, 25)
    patient.phone = "+44 7700 900123"
    patient.save()
    body = review(client, clinician, patient)
    assert "Born 25 Nov 1960 (age 65)" in body  # the birthday is tomorrow
    assert '<a href="tel:+447700900123">+44 7700 900123</a>' in body


def test_the_header_says_what_is_missing(client, clinician, patient):
    body = review(client, clinician, patient)
    assert "Date of birth not recorded" in body and "No phone number recorded" in body


@pytest.mark.parametrize("born, day, age", [
    (dt.date(1960, 11, 24), dt.date(2026, 11, 23), 65),
    (dt.date(1960, 11, 24), dt.date(2026, 11, 24), 66),
    (dt.date(1960, 11, 24), dt.date(2026, 11, 25), 66),
    (dt.date(2000, 2, 29), dt.date(2026, 2, 28), 25),
    (dt.date(2000, 2, 29), dt.date(2026, 3, 1), 26),
    (None, dt.date(2026, 1, 1), None),
])
def test_age_counts_whole_years_on_the_day(born, day, age):
    assert age_on(born, day) == age


@pytest.mark.parametrize("born, ok", [
    (dt.date(1899, 12, 31), False), (dt.date(1900, 1, 1), True), (dt.date(1900, 1, 2), True),
    (NOW.date(), True), (NOW.date() + dt.timedelta(days=2), False),
])
def test_a_date_of_birth_must_lie_between_1900_and_today(patient, born, ok):
    patient.date_of_birth = born
    with time_machine.travel(NOW, tick=False):
        if ok:
            patient.full_clean()
        else:
            with pytest.raises(ValidationError):
                patient.full_clean()
