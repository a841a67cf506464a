"""The patient home costs the same few queries whatever the length of the patient's history."""


import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b12care.accounts.tests.factories import CareTeamFactory
from b12care.alerts.rules import Finding
from b12care.alerts.services import record_findings
from b12care.clinic.tests.test_review import NOW, history

pytestmark = pytest.mark.django_db
HOME_QUERY_BUDGET = 12


def home_queries(client, patient) -> tuple[list[str], list[str]]:
    """Queries of the page with no cached fragment, then with its sections cached."""
    client.force_login(patient.user)
    with time_machine.travel(NOW, tick=False):
        client.get("/me/")  # warm per-process caches
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            response = client.get("/me/")
        with CaptureQueriesContext(connection) as warm:
            again = client.get("/me/")
    assert response.status_code == again.status_code == 200
    return [q["sql"] for q in cold.captured_queries], [q["sql"] for q in warm.captured_queries]


def test_the_patient_home_costs_the_same_queries_with_5_or_200_days_of_history(
    client, clinician, patient
):
    long_history = CareTeamFactory(clinician=clinician).patient
    history(patient, clinician, days=5)
    history(long_history, clinician, days=200)
    for p in (patient, long_history):
        record_findings(p, [Finding("hb_critical", "review", "hb", "Hb low", "Hb low")],
                        now=NOW)
    (short, short_warm), (long, long_warm) = (home_queries(client, patient),
                                              home_queries(client, long_history))
    assert len(short) == len(long), (len(short), len(long))
    assert len(short) <= HOME_QUERY_BUDGET, [q[:100] for q in short]
    # Cached sections: session, user, profile (with its data version), unread badge, and the
    # live alerts section.
    assert len(short_warm) == len(long_warm) == 5, [q[:100] for q in long_warm]
