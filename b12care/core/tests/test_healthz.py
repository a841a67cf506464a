"""/healthz: ok or degraded for anyone (503 when the database or broker is down); which part is
down only for staff and for probes on this machine."""

import pytest
from django.db import OperationalError, connection

from b12care.celery import app

pytestmark = pytest.mark.django_db

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
THROUGH_THE_PROXY = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9",
                     "HTTP_X_FORWARDED_PROTO": "https"}


@pytest.fixture
def broker_down(settings):
    # A real connection attempt to a closed port, not a mock of our check.
    original = app.conf.broker_url
    settings.BROKER_SCHEME = "redis"
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.broker_url = original


def test_it_reports_ok_with_details_to_a_probe_on_this_machine(client, settings):
    response = client.get("/healthz")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"vendor": connection.vendor, "ok": True,
                                "detail": f"{connection.vendor} reachable"}
    assert body["broker"]["ok"] is True
    assert body["broker"]["scheme"] == settings.BROKER_SCHEME
    assert "worker" in body


@pytest.mark.parametrize("origin", [OUTSIDE, THROUGH_THE_PROXY], ids=["remote", "via-proxy"])
def test_outsiders_learn_only_ok(client, origin):
    response = client.get("/healthz", **origin)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_outsiders_learn_only_degraded_when_the_broker_is_down(client, broker_down):
    response = client.get("/healthz", **OUTSIDE)
    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}


def test_a_signed_in_patient_from_outside_learns_only_ok(client, patient):
    client.force_login(patient.user)
    assert client.get("/healthz", **OUTSIDE).json() == {"status": "ok"}


def test_staff_see_the_details_from_anywhere(client, admin_user, broker_down):
    client.force_login(admin_user)
    response = client.get("/healthz", **THROUGH_THE_PROXY)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_it_answers_503_with_the_reason_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert "could not connect" in response.json()["database"]["detail"]


def test_it_is_never_cached(client):
    assert "no-store" in client.get("/healthz")["Cache-Control"]
