"""Fixtures shared by every app's tests: a patient, their clinician, and outsiders of each role.

Every access test uses an outsider: a user who exists, is signed in, and must still get 404.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from b12care.accounts.tests.factories import (
    AdminFactory,
    CareTeamFactory,
    ClinicianFactory,
    PatientFactory,
)

PASSWORD = "correct-horse-battery"


def pytest_report_header(config):
    """Say which database and broker this run really uses, e.g.
    ``b12care: database postgresql 15.19, broker redis``."""
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    version = "?"
    try:
        with config.stash[blocking_manager_key].unblock():
            connection.ensure_connection()
            if connection.vendor == "postgresql":
                raw = connection.cursor().connection.server_version  # e.g. 150019
                version = f"{raw // 10000}.{raw % 100}"
            elif connection.vendor == "sqlite":
                import sqlite3

                version = sqlite3.sqlite_version
            connection.close()
    except Exception as exc:  # the run itself will fail loudly; the header just says why
        version = f"unreachable ({type(exc).__name__})"
    return f"b12care: database {connection.vendor} {version}, broker {settings.BROKER_SCHEME}"


@pytest.fixture
def clinician(db):
    return ClinicianFactory(email="dr.jones@example.org", first_name="Alex", last_name="Jones")


@pytest.fixture
def patient(db, clinician):
    """A patient in London on ``clinician``'s care team."""
    profile = PatientFactory(
        user__email="pat@example.org", user__first_name="Pat", user__last_name="Lee"
    )
    CareTeamFactory(patient=profile, clinician=clinician)
    return profile


@pytest.fixture
def outsider_patient(db):
    """Another patient, on nobody's team that the tests use: must never be visible to others."""
    return PatientFactory(
        user__email="outsider@example.org", user__first_name="Olive", user__last_name="Out"
    )


@pytest.fixture
def outsider_clinician(db):
    """A clinician who is not on ``patient``'s care team."""
    return ClinicianFactory(email="dr.other@example.org")


@pytest.fixture
def admin_user(db):
    return AdminFactory(email="admin@example.org")


@pytest.fixture
def debug_run(settings):
    """DEBUG on, as in ``make run``: demo data refuses to be created without it."""
    settings.DEBUG = True


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client


# --- Browser journeys and services ----------------------------------------------------------------
# In CI (.ci/run sets B12_REQUIRE_BROWSER=1) a missing chromium fails the run instead of skipping.


def pytest_collection_modifyitems(config, items):
    import os

    from b12care.core.tests.browser import chromium_available

    require_browser = os.environ.get("B12_REQUIRE_BROWSER") == "1"
    skip_browser = pytest.mark.skip(reason="chromium not installed (apt-get install chromium)")
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL (real Redis); .ci/run sets it")
    for item in items:
        if "browser" in item.keywords and not chromium_available() and not require_browser:
            item.add_marker(skip_browser)
        if "redis" in item.keywords and settings.BROKER_SCHEME != "redis":
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rate-limit counters of earlier tests)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (live server, real workers) run on a database that an earlier
    transactional test may have flushed: give them the migrations' reference rows back."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or {
        "transactional_db", "live_server", "browser_page"
    } & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from b12care.core.tests.reference_data import ensure_reference_data

        ensure_reference_data()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def browser_page(request, transactional_db, live_server, monkeypatch):
    """A phone-sized (390×844) chromium page. Saves a screenshot if the test fails."""
    import pathlib
    import re

    from playwright.sync_api import sync_playwright

    from b12care.core.tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # (and the live server's) are still synchronous, so Django's async guard is lifted here only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            folder = pathlib.Path(__file__).parent / "test-artifacts"
            folder.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        context.close()
        browser.close()
        # Under Playwright's greenlet the test's ORM calls ran on their own connection object
        # (Django keeps connections per context); close it, or PostgreSQL cannot drop the test
        # database at the end of the run.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def announcements(monkeypatch):
    """Every change announced through ``b12care.core.events``, in order; the subscribers still
    run."""
    from b12care.core import events

    seen = []
    dispatch = events._dispatch

    def spy(changes):
        seen.extend(changes)
        return dispatch(changes)

    monkeypatch.setattr(events, "_dispatch", spy)
    return seen
