"""Each list costs the same queries whatever the history length or the clinic's size."""

import datetime as dt

import pytest
from django.urls import reverse

from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory
from labs import services as lab_services
from labs.models import Analyte
from symptoms import services as diary_services

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


def add_history(patient, days):
    b12 = Analyte.objects.get(key="b12")
    for n in days:
        when = NOW - dt.timedelta(days=n)
        diary_services.checkin_save(patient=patient, scores={"fatigue": (n % 10, ""),
                                                             "mood": (1, "")},
                                    by=patient.user, now=when)
        lab_services.result_record(patient=patient, analyte=b12, sampled_on=when.date(),
                                   value=str(200 + n), unit="ng/L", by=patient.user, now=when)


def queries(django_assert_max_num_queries, client, url, limit=None):
    with django_assert_max_num_queries(limit or 30) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", ["me_checkins", "me_labs", "me_alerts", "me_schedule", "me"])
def test_a_patients_list_costs_the_same_with_a_long_history(name, patient_api, patient,
                                                            django_assert_max_num_queries):
    url = reverse(f"api:{name}")
    add_history(patient, [1])
    short = queries(django_assert_max_num_queries, patient_api, url)
    add_history(patient, range(2, 30))
    queries(django_assert_max_num_queries, patient_api, url, limit=short)


def test_the_clinicians_patient_list_costs_the_same_for_a_big_clinic(
        clinician_api, clinician, patient, django_assert_max_num_queries):
    url = reverse("api:patients")
    small = queries(django_assert_max_num_queries, clinician_api, url)
    for _ in range(30):
        CareTeamFactory(patient=PatientFactory(), clinician=clinician)
    queries(django_assert_max_num_queries, clinician_api, url, limit=small)
