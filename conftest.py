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
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def clinician_client(client, clinician):
    client.force_login(clinician)
    return client
