"""Lab pages cost the same queries whatever the length of the patient's lab history."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b12care.accounts.tests.factories import CareTeamFactory
from labs import services

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db

# Session, user, profile, unread badge, then the page's own reads.
BUDGETS = {
    "labs:overview": 8,  # latest per test, count, page of results, plan
    "labs:analyte": 9,  # test, series, injection days, count, page of results
}


def page_queries(client, url: str) -> int:
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return len(queries)


def results(patient, analytes, clinician, *, weeks: int) -> None:
    with time_machine.travel(NOW, tick=False):
        for week in range(weeks):
            for key, value in (("hb", "11.5"), ("mcv", "101"), ("b12", "400")):
                services.result_record(
                    patient=patient, analyte=analytes[key], value=value,
                    unit=analytes[key].canonical_unit, by=clinician, now=NOW,
                    sampled_on=TODAY - dt.timedelta(weeks=week))


def test_lab_pages_cost_the_same_queries_with_2_or_60_weeks_of_results(
    client, clinician, patient, analytes
):
    long_history = CareTeamFactory(clinician=clinician).patient
    results(patient, analytes, clinician, weeks=2)
    results(long_history, analytes, clinician, weeks=60)
    for name, budget in BUDGETS.items():
        args = ["hb"] if name == "labs:analyte" else []
        counts = []
        for p in (patient, long_history):
            client.force_login(p.user)
            counts.append(page_queries(client, reverse(name, args=args) + "?days=365"))
        assert counts[0] == counts[1] <= budget, (name, counts)
