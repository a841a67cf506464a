"""`manage.py demo_welcome`: the last thing `make run` prints. Waits until /healthz says the web,
the broker and a worker are up, then prints the address and the demo logins, so they are not
scrolled away by start-up messages. With ``--stay`` it then waits quietly (honcho stops every
process when one ends). DEBUG only, like the demo data it describes."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from b12care.accounts.demo import login_lines


def health_status(url: str, timeout: float = 2.0) -> str | None:
    """The ``status`` /healthz answers (``ok``, ``starting``, ``stale``, ``degraded``), or None
    while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # 503 degraded still says why in JSON
        body = exc.read()
    except (OSError, ValueError):
        return None
    try:
        return json.loads(body).get("status")
    except (ValueError, AttributeError):
        return None


def wait_until_ok(fetch: Callable[[], str | None], *, timeout: float, interval: float = 0.5,
                  sleep: Callable[[float], None] = time.sleep,
                  monotonic: Callable[[], float] = time.monotonic) -> str | None:
    """Ask ``fetch`` until it says ``ok`` or ``timeout`` seconds have passed; the last answer."""
    deadline = monotonic() + timeout
    while True:
        status = fetch()
        if status == "ok" or monotonic() >= deadline:
            return status
        sleep(interval)


def welcome_text(status: str | None, site_url: str) -> list[str]:
    if status == "ok":
        head = f"B12 Care is up on {site_url}: web, worker and beat are running."
    elif status is None:
        head = f"B12 Care did not answer on {site_url}/healthz yet: see the messages above."
    else:
        head = (f"B12 Care answers on {site_url}, but /healthz says '{status}' "
                f"(curl {site_url}/healthz says which part is not up yet).")
    rule = "-" * 78
    return [rule, head, *login_lines(site_url, debug=settings.DEBUG),
            "Emails are written to var/mail/, texts to var/sms.jsonl. Ctrl-C stops everything.",
            rule]


class Command(BaseCommand):
    help = "Wait for /healthz, then print the address and the demo logins (make run)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=120.0,
                            help="Seconds to wait for /healthz to say ok (default 120).")
        parser.add_argument("--stay", action="store_true",
                            help="Keep running afterwards (a honcho process must not end).")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo logins are for local demos only: run with DEBUG=true.")
        url = f"{settings.SITE_URL}/healthz"
        status = wait_until_ok(lambda: health_status(url), timeout=options["timeout"])
        for line in welcome_text(status, settings.SITE_URL):
            self.stdout.write(line)
        self.stdout.flush()
        if options["stay"]:
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
