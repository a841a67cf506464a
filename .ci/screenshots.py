#!/usr/bin/env python3
"""``make screenshots``: the main pages as a patient, a clinician and the admin see them, on a
phone (390×844) and a desktop (1280×900), saved as PNGs under ``var/screenshots/``.

Everything is throwaway: a fresh SQLite database in a temporary folder, seeded with the demo
data, served by Django's live server in this process (Celery messages go to an in-memory
broker, emails to memory), signed into through the real forms by Debian's chromium
(Playwright; staff type the code their authenticator app would show). Nothing touches the
``make run`` database, broker folder or mail folder.

    .venv/bin/python .ci/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "var" / "screenshots"
sys.path.insert(0, str(ROOT))

# Pages per role: (file name, path or a callable(page) that reaches it). Paths are shot as
# they load; patient-specific staff pages use the demo patient Sam Taylor.
PATIENT = "patient@b12care.example"
PATIENT_PAGES = [
    ("home", "/me/"),
    ("injections", "/injections/"),
    ("log-injection", "/injections/log/"),
    ("diary", "/diary/"),
    ("diary-trends", "/diary/trends/"),
    ("labs", "/labs/"),
    ("what-to-do-now", "/alerts/now/"),
    ("messages", "/alerts/messages/"),
    ("download-my-data", "/exports/"),
]
CLINICIAN = "clinician@b12care.example"
ADMIN = "admin@b12care.example"


def staff_pages(patient_id: int) -> list[tuple[str, str]]:
    return [
        ("landing", ""),  # wherever sign-in leads
        ("dashboard", "/clinic/"),
        ("patient-review", f"/clinic/patients/{patient_id}/"),
        ("patient-regimen", f"/injections/patients/{patient_id}/"),
        ("patient-labs", f"/labs/patients/{patient_id}/"),
        ("patient-alerts", f"/alerts/patients/{patient_id}/"),
        ("add-patient", "/clinic/patients/new/"),
    ]


ADMIN_EXTRA = [("django-admin", "/admin/")]


def setup_django(database: Path) -> None:
    os.environ.pop("REDIS_URL", None)  # the in-memory broker of settings_test
    os.environ.update(
        DJANGO_SETTINGS_MODULE="b12care.settings_test",  # memory broker, locmem cache and mail
        DEBUG="true",  # demo data is seeded only with DEBUG on
        DATABASE_URL=f"sqlite:///{database}",
        LOG_LEVEL="WARNING",
        # Playwright's sync API runs an event loop in this thread; our ORM calls stay sync.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    import django

    django.setup()


def start_server():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, f"http://127.0.0.1:{server.port}"


def shoot_role(browser, base: str, role: str, email: str, pages, saved: list[Path]) -> None:
    from django.conf import settings

    from b12care.core.tests.browser import DESKTOP, PHONE, login_as

    class Live:
        url = base

    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    login_as(page, Live, email, settings.DEMO_PASSWORD)
    landing = page.url
    for name, path in pages:
        page.goto(landing if path == "" else base + path)
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            target = OUT / f"{role}-{name}-{size_name}.png"
            page.screenshot(path=str(target), full_page=True)
            saved.append(target)
        page.set_viewport_size(PHONE)
        if path == "":
            print(f"  {role} lands on {page.url.removeprefix(base)} after signing in")
    context.close()


def main() -> int:
    from b12care.core.tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available

    if not chromium_available():
        print(f"No chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="b12care-screenshots-") as tmp:
        setup_django(Path(tmp) / "demo.sqlite3")
        from django.core.management import call_command
        from django.db import connections
        from playwright.sync_api import sync_playwright

        from b12care.accounts.models import PatientProfile

        print(f"Seeding a throwaway database in {tmp} ...")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_demo", "--no-logins", stdout=io.StringIO())
        patient_id = PatientProfile.objects.get(user__email=PATIENT).pk
        server, base = start_server()
        saved: list[Path] = []
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                shoot_role(browser, base, "patient", PATIENT, [("landing", ""), *PATIENT_PAGES],
                           saved)
                shoot_role(browser, base, "clinician", CLINICIAN, staff_pages(patient_id), saved)
                shoot_role(browser, base, "admin", ADMIN, staff_pages(patient_id) + ADMIN_EXTRA,
                           saved)
                browser.close()
        finally:
            server.terminate()
            connections.close_all()
    print(f"{len(saved)} screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
