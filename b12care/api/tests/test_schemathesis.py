"""Schemathesis: requests generated from the API's own OpenAPI schema, sent as a patient and as
a clinician with device tokens. No request may end in a server error, and every answer must
match the schema (status code, content type and body).

Bounded: 25 examples per operation, derandomised so every CI run sends the same requests. To
hunt with fresh random examples, set a number: ``B12_SCHEMATHESIS_EXAMPLES=200 pytest -m
schemathesis``.
"""

import datetime as dt
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from b12care.alerts.models import Alert
from b12care.wsgi import application
from injections import protocols
from injections import services as injection_services
from injections.models import ProtocolTemplate
from labs import services as lab_services
from labs.models import Analyte
from symptoms import services as diary_services

from .conftest import token_client

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

HUNT = os.environ.get("B12_SCHEMATHESIS_EXAMPLES")
EXAMPLES = int(HUNT or 25)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

bounded = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=HUNT is None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.fixture
def in_test_transaction():
    """Django's test client stops a request from closing the test's database connection (and
    with it the test transaction); schemathesis calls the WSGI app directly, so do the same."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(settings, in_test_transaction, patient, clinician):
    """A patient with a regimen, an injection, a diary entry, a lab result and an open alert,
    their clinician, and device tokens for both. Rate limits are out of the way."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "anon": "100000/min", "user": "100000/min", "devices": "100000/min"}}
    now = dt.datetime.now(dt.UTC)
    template = ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NO_NEURO)
    injection_services.regimen_create_from_template(
        patient=patient, template=template, start_date=now.date() - dt.timedelta(days=3),
        time_of_day=dt.time(9, 0), created_by=clinician, now=now)
    injection = injection_services.injection_record(
        patient=patient, recorded_by=patient.user, now=now, taken_at=now - dt.timedelta(hours=1),
        product="hydroxocobalamin", dose="1", unit="mg", site="left_deltoid",
        administered_by="nurse", breathing_difficulty=True).injection
    diary_services.checkin_save(patient=patient, scores={"fatigue": (4, "")}, by=patient.user,
                                now=now)
    lab_services.result_record(patient=patient, analyte=Analyte.objects.get(key="b12"),
                               sampled_on=now.date(), value="300", unit="ng/L",
                               by=patient.user, now=now)
    return {"patient": patient, "injection": injection,
            "alert": Alert.objects.filter(patient=patient).first(),
            "patient_token": token_client(patient.user).raw_token,
            "clinician_token": token_client(clinician).raw_token}


def aim_at_real_rows(case, world, *, as_clinician: bool) -> None:
    """Random ids mostly hit nothing (404, also checked). Point half of them at the rows that
    exist, so the successful answers are checked against the schema too."""
    params = case.path_parameters or {}

    def even(name):  # negative examples may send a string where an integer belongs
        return isinstance(params.get(name), int) and params[name] % 2 == 0

    if as_clinician and isinstance(params.get("patient_id"), int):
        params["patient_id"] = world["patient"].pk
    if even("id"):
        params["id"] = world["injection"].pk
    if even("alert_id"):
        params["alert_id"] = world["alert"].pk


@schema.parametrize()
@bounded
def test_the_api_answers_a_patient_within_its_schema(case, world):
    aim_at_real_rows(case, world, as_clinician=False)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['patient_token']}"},
                           checks=CHECKS)


@schema.parametrize()
@bounded
def test_the_api_answers_a_clinician_within_its_schema(case, world):
    aim_at_real_rows(case, world, as_clinician=True)
    case.call_and_validate(headers={"Authorization": f"Bearer {world['clinician_token']}"},
                           checks=CHECKS)
