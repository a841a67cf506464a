"""gunicorn's access log keeps no one-time tokens, search terms or cookies."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from b12care.core.accesslog import is_skipped, scrub_request_line, scrub_url, skip_prefixes

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("url", "logged"), [
    ("/welcome/MTI/cz8x1y-0f3c9a7e2b4d6f8a1c3e/", "/welcome/MTI/[redacted]/"),
    ("/welcome/MTI/set-password/", "/welcome/MTI/set-password/"),
    ("/accounts/password/reset/key/c-cz8x1y-0f3c9a7e2b4d/",
     "/accounts/password/reset/key/c-[redacted]/"),
    ("/accounts/password/reset/key/c-set-password/",
     "/accounts/password/reset/key/c-set-password/"),
    ("/accounts/password/reset/key/done/", "/accounts/password/reset/key/done/"),
    ("/accounts/confirm-email/MTI:1tX2ab:q1w2e3/", "/accounts/confirm-email/[redacted]/"),
    ("/clinic/?q=Maria+Garcia&page=2", "/clinic/?q=[redacted]&page=2"),
    ("/clinic/?page=2&EMAIL=maria%40example.org", "/clinic/?page=2&EMAIL=[redacted]"),
    ("/clinic/?s=Xy3k_9a&group=urgent", "/clinic/?s=Xy3k_9a&group=urgent"),
    ("https://care.example.org/welcome/MTI/abc-123/?phone=07700900123",
     "https://care.example.org/welcome/MTI/[redacted]/?phone=[redacted]"),
    ("/accounts/login/?next=/clinic/%3Fq%3DMaria%2BGarcia%26page%3D2",
     "/accounts/login/?next=/clinic/%3Fq%3D[redacted]%26page%3D2"),
    ("/accounts/login/?next=/welcome/MTI/abc-123/",
     "/accounts/login/?next=/welcome/MTI/[redacted]/"),
    ("/accounts/login/?next=/me/", "/accounts/login/?next=/me/"),
    ("-", "-"),
])
def test_urls_lose_their_tokens_and_search_terms(url, logged):
    assert scrub_url(url) == logged


def test_the_request_line_is_scrubbed_and_keeps_its_shape():
    assert scrub_request_line("GET /welcome/MTI/abc-123/?q=Maria HTTP/1.1") == (
        "GET /welcome/MTI/[redacted]/?q=[redacted] HTTP/1.1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers) -> None:
    with contextlib.suppress(urllib.error.HTTPError):  # any status: every request is logged
        urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10).close()


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise AssertionError(process.stderr.read())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_a_real_gunicorn_logs_no_token_search_term_or_cookie(tmp_path):
    port, log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b12care.settings", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "EMAIL_URL": "dummymail://", "STATIC_MANIFEST": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    # Even a format that asks for the Cookie header and the Referer gets them scrubbed.
    log_format = '%(h)s "%(r)s" %(s)s "%(f)s" "%({cookie}i)s" %(U)s %(q)s'
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "b12care.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(log),
         "--access-logformat", log_format],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until_listening(port, server)
        base = f"http://127.0.0.1:{port}"
        get(f"{base}/welcome/x/cz8x1y-0f3c9a7e2b4d6f8a1c3e/",
            Referer=f"{base}/clinic/?q=Maria+Garcia")
        get(f"{base}/accounts/password/reset/key/c-0f3c9a7e2b4d6f8a/")
        get(f"{base}/clinic/?q=Maria+Garcia&page=2", Cookie="__Host-sessionid=s3ss10nk3y")
    finally:
        server.terminate()
        server.wait(timeout=20)
    logged = log.read_text()
    # The third request is redirected to sign in; the redirect's next= is scrubbed too.
    assert logged.count("\n") == 4, logged
    for secret in ("0f3c9a7e2b4d", "Maria", "Garcia", "s3ss10nk3y"):
        assert secret not in logged
    assert "/welcome/x/[redacted]/" in logged
    assert "/clinic/?q=[redacted]&page=2" in logged


def test_make_run_leaves_static_files_and_health_probes_out_of_the_access_log():
    quiet = skip_prefixes("/static/, /healthz,,/favicon.ico")  # the Makefile's value
    assert quiet == ("/static/", "/healthz", "/favicon.ico")
    assert is_skipped("/static/css/b12care.css", quiet)
    assert is_skipped("/healthz", quiet)
    assert not is_skipped("/me/", quiet)
    assert not is_skipped("/injections/log/", quiet)
    assert not is_skipped("/static/css/b12care.css", skip_prefixes(""))  # production: all
    assert not is_skipped("/static/css/b12care.css", skip_prefixes(None))


def test_a_real_gunicorn_with_access_log_skip_logs_pages_only(tmp_path):
    port, log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b12care.settings", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "EMAIL_URL": "dummymail://", "STATIC_MANIFEST": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
           "ACCESS_LOG_SKIP": "/static/,/healthz"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "b12care.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(log)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until_listening(port, server)
        base = f"http://127.0.0.1:{port}"
        get(f"{base}/static/css/b12care.css")
        with contextlib.suppress(urllib.error.HTTPError):  # whatever the empty database says
            get(f"{base}/healthz")
        get(f"{base}/accounts/login/")
    finally:
        server.terminate()
        server.wait(timeout=20)
    logged = log.read_text().splitlines()
    assert len(logged) == 1 and "GET /accounts/login/" in logged[0], logged
