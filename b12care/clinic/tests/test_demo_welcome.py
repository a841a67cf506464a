"""`make run` prints the address and the demo logins last, once /healthz says everything is up."""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import CommandError, call_command

from b12care.clinic.management.commands.demo_welcome import (
    health_status,
    wait_until_ok,
    welcome_text,
)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_it_waits_through_starting_until_ok():
    answers = iter([None, None, "starting", "starting", "ok", "never asked"])
    clock = FakeClock()
    assert wait_until_ok(lambda: next(answers), timeout=60, interval=0.5,
                         sleep=clock.sleep, monotonic=clock.monotonic) == "ok"
    assert clock.slept == [0.5] * 4


def test_it_gives_up_after_the_timeout_and_says_what_it_last_heard():
    clock = FakeClock()
    assert wait_until_ok(lambda: "starting", timeout=10, interval=0.5,
                         sleep=clock.sleep, monotonic=clock.monotonic) == "starting"
    assert clock.now == 10


def test_the_logins_come_with_the_address_the_server_really_uses(settings):
    settings.DEBUG = True
    lines = welcome_text("ok", "http://127.0.0.1:8100")
    text = "\n".join(lines)
    assert "B12 Care is up on http://127.0.0.1:8100" in text
    assert "admin@b12care.example" in text and "patient@b12care.example" in text
    assert settings.DEMO_PASSWORD in text and settings.DEMO_TOTP_SECRET in text
    assert "Sign in at http://127.0.0.1:8100/accounts/login/" in text
    assert ":8000" not in text


def test_a_worker_that_is_not_up_is_said_plainly(settings):
    settings.DEBUG = True
    assert "/healthz says 'starting'" in welcome_text("starting", "http://127.0.0.1:8100")[1]
    assert "did not answer" in welcome_text(None, "http://127.0.0.1:8100")[1]


@pytest.fixture
def healthz_server():
    """A stand-in web process that answers /healthz with each status in turn."""
    statuses = ["starting", "degraded", "ok"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            self.send_response(503 if status == "degraded" else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"status": status}).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_health_status_reads_the_json_of_200_and_503_answers(healthz_server):
    url = f"{healthz_server}/healthz"
    assert [health_status(url) for _ in range(3)] == ["starting", "degraded", "ok"]
    assert health_status("http://127.0.0.1:1/healthz") is None  # nothing listening


def test_the_command_prints_the_logins_once_healthz_says_ok(healthz_server, settings):
    settings.DEBUG = True
    settings.SITE_URL = healthz_server
    out = io.StringIO()
    call_command("demo_welcome", "--timeout", "30", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1] == f"B12 Care is up on {healthz_server}: web, worker and beat are running."
    assert any("clinician@b12care.example" in line for line in lines)


def test_the_command_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local demos only"):
        call_command("demo_welcome", stdout=io.StringIO())
