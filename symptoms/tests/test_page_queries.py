"""Diary pages, the patient home and the review page cost the same queries whatever the length
of the diary: a year of daily check-ins of every symptom costs what five days cost."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from b12care.accounts.tests.factories import CareTeamFactory
from b12care.alerts.lifecycle import findings_record
from b12care.alerts.rules import Finding
from b12care.clinic.tests.test_review import REVIEW_QUERY_BUDGET
from b12care.core.tests.test_patient_home_queries import HOME_QUERY_BUDGET
from labs.models import Analyte
from labs.services import result_record
from symptoms.models import Symptom

from .conftest import NOW
from .diary import long_diary

pytestmark = pytest.mark.django_db

# Session, user, profile, unread badge, then the page's own reads.
PATIENT_BUDGETS = {
    "symptoms:history": 7,  # count, page of check-ins, their scores
    "symptoms:trends": 7,  # series, catalogue, injection days
    "symptoms:checkin": 9,  # catalogue, today's and the previous check-in with their scores
    "patient_home": HOME_QUERY_BUDGET,
}
CLINICIAN_BUDGETS = {
    "symptoms:patient_diary": 11,  # + access log; trends and the history together
    "clinic:patient_detail": REVIEW_QUERY_BUDGET,
}


def page_queries(client, url: str) -> list[str]:
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_diary_pages_cost_the_same_queries_with_5_or_365_days_of_13_symptoms(
    client, clinician, patient
):
    assert Symptom.objects.filter(is_active=True).count() == 13
    long_history = CareTeamFactory(clinician=clinician).patient
    for p, days in ((patient, 5), (long_history, 365)):
        long_diary(p, days=days, today=NOW.date())
        # A patient with results, as most are (without any, the labs section asks for the
        # next planned test separately).
        result_record(patient=p, analyte=Analyte.objects.get(key="hb"), value="12",
                      unit="g/dL", sampled_on=NOW.date(), by=clinician, now=NOW)
        # Both with an alert on the home page (the long diary raises one of its own): showing
        # alerts adds the clinic's contact card, one query, whatever the history.
        findings_record(patient=p, now=NOW, findings=[
            Finding("hb_critical", "review", "hb", "Hb low", "Hb low")])
    for name, budget in PATIENT_BUDGETS.items():
        url = reverse(name) + ("?days=365" if name == "symptoms:trends" else "")
        counts = []
        for p in (patient, long_history):
            client.force_login(p.user)
            counts.append(len(page_queries(client, url)))
        assert counts[0] == counts[1] <= budget, (name, counts)
    client.force_login(clinician)
    for name, budget in CLINICIAN_BUDGETS.items():
        counts = [len(page_queries(client, reverse(name, args=[p.pk]) + "?days=365&page=2"))
                  for p in (patient, long_history)]
        assert counts[0] == counts[1] <= budget, (name, counts)
