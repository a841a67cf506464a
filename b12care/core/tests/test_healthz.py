"""/healthz: ok, starting, stale (200) or degraded (503 when the database or broker is down) for
anyone; which part is down only for staff and for probes on this machine."""

import datetime as dt

import pytest
import time_machine
from celery.signals import worker_ready
from django.db import OperationalError, connection

from b12care.celery import app
from b12care.core import health, tasks
from b12care.core.models import Heartbeat

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BOOT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the web process starts

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


@pytest.fixture(autouse=True)
def worker_seen():
    """A worker beat just now: "ok" needs one (the tests below about the worker remove it)."""
    health.record_worker_seen()


@pytest.fixture
def no_worker(worker_seen):
    Heartbeat.objects.all().delete()


@pytest.fixture
def web_started_at_boot(monkeypatch):
    monkeypatch.setattr(health, "PROCESS_STARTED", BOOT)


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


# --- The worker: starting -> ok -> stale ---------------------------------------------------------
STALE = dt.timedelta(seconds=180)


def status_at(seconds_after_boot, last_seen=None):
    return health.worker_status(last_seen, now=BOOT + dt.timedelta(seconds=seconds_after_boot),
                                process_started=BOOT, stale_after=STALE)


def test_worker_status_is_starting_until_a_worker_is_seen_then_ok_then_stale():
    assert status_at(5) == "starting"
    assert status_at(180) == "starting"
    assert status_at(181) == "stale"  # never seen, and the web has been up for 3 minutes
    seen = BOOT + dt.timedelta(seconds=20)
    assert status_at(21, seen) == "ok"
    assert status_at(20 + 180, seen) == "ok"
    assert status_at(20 + 181, seen) == "stale"


def test_a_worker_seen_before_this_web_process_started_counts_only_while_fresh():
    yesterday = BOOT - dt.timedelta(days=1)
    assert status_at(5, yesterday) == "starting"  # make run again: the old heartbeat is no proof
    assert status_at(5, BOOT - dt.timedelta(seconds=30)) == "ok"  # web restarted, worker kept on


@pytest.mark.django_db(transaction=True)  # the worker_ready handler closes its connection
def test_healthz_walks_from_starting_to_ok_to_stale(client, no_worker, web_started_at_boot,
                                                     settings):
    settings.WORKER_STALE_SECONDS = 180
    with time_machine.travel(BOOT + dt.timedelta(seconds=3), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "starting"
        assert response.json()["worker"] == {"status": "starting", "last_seen": None,
                                              "seconds_ago": None}
        assert client.get("/healthz", **OUTSIDE).json() == {"status": "starting"}

    with time_machine.travel(BOOT + dt.timedelta(seconds=8), tick=False):
        worker_ready.send(sender=None)  # what the Celery worker sends once it is up
    with time_machine.travel(BOOT + dt.timedelta(seconds=10), tick=False):
        body = client.get("/healthz").json()
        assert body["status"] == "ok"
        assert body["worker"]["seconds_ago"] == 2

    with time_machine.travel(BOOT + dt.timedelta(seconds=8 + 181), tick=False):
        response = client.get("/healthz", **OUTSIDE)
        assert response.status_code == 200  # the web still serves every page
        assert response.json() == {"status": "stale"}


def test_a_broken_broker_outranks_a_starting_worker(client, no_worker, web_started_at_boot,
                                                    broker_down):
    with time_machine.travel(BOOT + dt.timedelta(seconds=3), tick=False):
        response = client.get("/healthz", **OUTSIDE)
    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}


def test_the_heartbeat_task_keeps_the_worker_fresh(no_worker, web_started_at_boot):
    with time_machine.travel(BOOT + dt.timedelta(minutes=10), tick=False):
        tasks.heartbeat()
        assert Heartbeat.objects.get(name="worker").seen_at == BOOT + dt.timedelta(minutes=10)
        ok, report = health.health_report()
    assert ok and report["status"] == "ok"
