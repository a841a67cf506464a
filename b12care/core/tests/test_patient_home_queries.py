"""The patient home costs the same few queries whatever the length of the patient's history."""


import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b12care.accounts.tests.factories import CareTeamFactory
from b12care.alerts.lifecycle import findings_record
from b12care.alerts.rules import Finding
from b12care.clinic.tests.test_review import NOW, history

pytestmark = pytest.mark.django_db
# Session, user, profile; alerts (1, and the clinic's contact card when an alert shows),
# injections (3 + the due post-dose/site questions: 1 + the site suggestion for the next dose
# and the one-tap "Taken now": 1), diary (1), labs (1); the unread badge.
HOME_QUERY_BUDGET = 13


def home_queries(client, patient) -> list[str]:
    """Queries of one view of the page (per-process catalogue caches warmed first)."""
    client.force_login(patient.user)
    with time_machine.travel(NOW, tick=False):
        client.get("/me/")  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/me/")
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_patient_home_costs_the_same_queries_with_5_or_200_days_of_history(
    client, clinician, patient
):
    long_history = CareTeamFactory(clinician=clinician).patient
    history(patient, clinician, days=5)
    history(long_history, clinician, days=200)
    for p in (patient, long_history):
        findings_record(patient=p,
                        findings=[Finding("hb_critical", "review", "hb", "Hb low", "Hb low")],
                        now=NOW)
    short, long = home_queries(client, patient), home_queries(client, long_history)
    # The short history has a dose coming (the long one waits for its maintenance phase to be
    # set): only its home reads the site suggestion for the next dose and "Taken now".
    suggestion = '"injections_injection"."site" AS "site"'
    assert [sum(suggestion in q for q in qs) for qs in (short, long)] == [1, 0]
    assert len(short) == len(long) + 1, (len(short), len(long))
    assert len(short) <= HOME_QUERY_BUDGET, [q[:100] for q in short]
