"""PostgreSQL down or restarting: a friendly 503 "Nothing was saved" page instead of a bare 500,
rendered without touching the database, and a form sent again is recorded once."""

import datetime as dt

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from b12care.core import events
from injections.models import Injection

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(patient):
    """A signed-in patient whose requests answer with the error page instead of raising."""
    client = Client(raise_request_exception=False)
    client.force_login(patient.user)
    return client


def injection_form(client, patient):
    form = client.get(reverse("injections:log")).context["form"]
    taken = (timezone.now() - dt.timedelta(hours=1)).astimezone(patient.tz)
    return {"form_token": form.initial.get("form_token", ""),
            "taken_at": taken.strftime("%Y-%m-%dT%H:%M"), "product": "hydroxocobalamin",
            "dose": "1", "unit": "mg", "site": "left_deltoid", "administered_by": "nurse"}


@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"),
                                   InterfaceError("connection already closed")])
def test_a_database_outage_answers_503_try_again_and_not_a_bare_500(browser, monkeypatch,
                                                                    error):
    def down(*args, **kwargs):
        raise error

    monkeypatch.setattr(connection, "cursor", down)
    response = browser.get("/me/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Nothing was saved. Please try again in a minute." in page
    assert "Something went wrong" not in page


def test_other_errors_still_answer_the_500_page(browser, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(connection, "cursor", broken)
    response = browser.get("/me/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_an_injection_sent_again_after_a_503_is_recorded_once(browser, patient, monkeypatch):
    data = injection_form(browser, patient)
    real = events.patient_data_changed

    def outage(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(events, "patient_data_changed", outage)
    response = browser.post(reverse("injections:log"), data)
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
    assert not Injection.objects.filter(patient=patient).exists()  # true: it rolled back

    monkeypatch.setattr(events, "patient_data_changed", real)
    for _ in range(2):  # the patient presses Back and sends it again, twice
        assert browser.post(reverse("injections:log"), data).status_code == 302
    assert Injection.objects.filter(patient=patient).count() == 1
