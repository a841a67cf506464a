"""Fixtures of the injections app: seeded templates, a regimen, self-injection readiness."""

import datetime as dt

import pytest

from injections import protocols, services
from injections.models import ProtocolTemplate, SuitabilityAssessment, TrainingRecord

UTC = dt.UTC
# Tuesday 24 Nov 2026, 10:00 in London (UTC+0 in winter).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def no_neuro_template(db):
    return ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NO_NEURO)


@pytest.fixture
def regimen(patient, clinician, no_neuro_template):
    """Pat on the no-neuro hydroxocobalamin regimen from today, doses at 09:00 London time."""
    return services.regimen_create_from_template(
        patient=patient, template=no_neuro_template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(9, 0), created_by=clinician, now=NOW,
    )


@pytest.fixture
def ready_for_self(patient, clinician):
    SuitabilityAssessment.objects.create(
        patient=patient, assessed_by=clinician, assessed_on=dt.date(2026, 11, 1),
        **{item: True for item in SuitabilityAssessment.ITEMS},
    )
    TrainingRecord.objects.create(
        patient=patient, observed_by=clinician, observed_on=dt.date(2026, 11, 2),
        **{item: True for item in TrainingRecord.ITEMS},
    )
    return patient


def injection_values(**overrides):
    values = {
        "taken_at": NOW, "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
        "site": "left_vastus_lateralis", "administered_by": "nurse",
    }
    values.update(overrides)
    return values
