"""Fixtures of the API tests: a fixed clock, and API clients holding a device token for the
patient, their clinician and the outsiders of conftest.py."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from b12care.api import services

# Tuesday 24 Nov 2026, 10:00 UTC (10:00 in London).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def fixed_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def token_client(user, name="Test phone") -> APIClient:
    """An API client that authenticates with a fresh device token of ``user``."""
    _, raw = services.device_token_create(user=user, name=name, now=NOW)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_token = raw
    return client


@pytest.fixture
def patient_api(patient):
    return token_client(patient.user)


@pytest.fixture
def clinician_api(clinician):
    return token_client(clinician)


@pytest.fixture
def outsider_clinician_api(outsider_clinician):
    return token_client(outsider_clinician)


@pytest.fixture
def outsider_patient_api(outsider_patient):
    return token_client(outsider_patient.user)


def injection_body(**overrides) -> dict:
    body = {"taken_at": "2026-11-24T09:30:00Z", "site": "left_vastus_lateralis",
            "administered_by": "nurse", "product": "hydroxocobalamin", "dose": "1",
            "unit": "mg"}
    body.update(overrides)
    return body
