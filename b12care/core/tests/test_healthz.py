"""/healthz: JSON with database and broker status; 503 when either is down."""

import pytest
from django.db import OperationalError, connection

from b12care.celery import app

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_database_and_broker_are_reachable(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"vendor": connection.vendor, "ok": True,
                                "detail": f"{connection.vendor} reachable"}
    assert body["broker"]["ok"] is True
    assert body["broker"]["scheme"] == settings.BROKER_SCHEME


def test_it_answers_503_when_the_broker_cannot_be_reached(client, settings):
    # A real connection attempt to a closed port, not a mock of our check.
    original = app.conf.broker_url
    settings.BROKER_SCHEME = "redis"
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True


def test_it_answers_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert "could not connect" in response.json()["database"]["detail"]


def test_it_is_never_cached(client):
    assert "no-store" in client.get("/healthz")["Cache-Control"]
