"""Against the real Redis broker and real workers (run in .ci/run, where REDIS_URL is set).

1. A task whose worker process dies is run again (task_acks_late + task_reject_on_worker_lost).
2. Redis down while a patient logs a red flag: the data and the alert are saved, the page
   works, and delivery happens once Redis is back (outbox + relay).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from b12care.alerts import tasks
from b12care.alerts.models import Alert, Notification
from b12care.celery import app
from injections.models import Injection

pytestmark = pytest.mark.redis

ROOT = Path(settings.BASE_DIR)


def wait_until(check, *, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll a real external process (a worker) until ``check()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextlib.contextmanager
def broker_at(url: str):
    """Point the Celery app's producers at another broker URL (e.g. a closed port)."""
    old = app.conf.broker_url

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu keeps producer pools per connection in a global registry: drop them too, or
        # the next send gets a producer whose connection pool was just closed.
        kombu_pools.reset()

    app.conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = old
        reset_pools()


def test_a_task_whose_worker_process_dies_is_run_again(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b12care.settings_test",
           "PYTHONPATH": str(ROOT)}
    queue = f"crash-test-{os.getpid()}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "b12care", "worker", "--pool=prefork",
         "--concurrency=1", "-Q", queue, "-I", "b12care.alerts.tests.crash_tasks",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        app.send_task("b12care.alerts.tests.crash_tasks.crash_once", args=[str(tmp_path)],
                      queue=queue)
        wait_until(lambda: (tmp_path / "done").exists(), timeout=90,
                   what="the task to be re-run after its pool process died")
        runs = sorted(p.name for p in tmp_path.glob("run-*"))
        assert runs == ["run-1", "run-2"]  # died once, re-run once, not lost, not repeated
        pids = {(tmp_path / r).read_text() for r in runs}
        assert len(pids) == 2  # a fresh pool process ran it the second time
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        if not (tmp_path / "done").exists():
            print(output[-5000:])


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_red_flag_is_saved_and_delivered_once_redis_is_back(
    client, patient, clinician, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(patient.user)
    now = timezone.now()
    with broker_at("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = client.get(reverse("injections:log"))
        form = response.context["form"]
        data = {"form_token": form.initial.get("form_token", ""),
                "taken_at": (now - dt.timedelta(minutes=30)).astimezone(patient.tz)
                .strftime("%Y-%m-%dT%H:%M"),
                "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
                "site": "left_vastus_lateralis", "administered_by": "nurse",
                "systemic_reactions": ["breathing_difficulty"]}
        started = time.monotonic()
        response = client.post(reverse("injections:log"), data, follow=True)
        assert time.monotonic() - started < 10  # the page does not hang on the dead broker
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("alerts:guidance")
    assert "Call emergency services now: 999" in response.content.decode()
    assert Injection.objects.filter(patient=patient, breathing_difficulty=True).count() == 1
    alert = Alert.objects.get(patient=patient)
    assert alert.severity == "emergency"
    rows = Notification.objects.filter(alert=alert)
    assert rows.count() == 2 and not rows.filter(sent_at__isnull=False).exists()
    assert not rows.filter(enqueued_at__isnull=False).exists()  # the kick failed fast
    assert mail.outbox == []

    # Redis is back: the periodic relay (as beat would send it) hands the rows to a worker.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.relay_outbox.delay()
        wait_until(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(),
                   timeout=60, what="the outbox rows to be delivered")
        tasks.relay_outbox.delay()  # a second relay and a reconcile find nothing left to send
        tasks.reconcile.delay()
        wait_until(lambda: len(mail.outbox) >= 1, what="the email")
    assert [m.to for m in mail.outbox] == [[clinician.email]]
    assert "breathing" not in mail.outbox[0].body.lower()
