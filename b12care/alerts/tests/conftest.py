"""Fixtures of the alerts app: a fixed clock, planned doses built straight in the database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from b12care.alerts import relay
from injections.models import Phase, PlannedDose, Regimen

UTC = dt.UTC
# Tuesday 24 Nov 2026, 10:00 UTC (10:00 in London, winter time).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

_seq = itertools.count(1)


@pytest.fixture
def now():
    return NOW


@pytest.fixture(autouse=True)
def _email_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _no_broker_kicks(monkeypatch, request):
    """Unit tests do not talk to a broker: the on-commit kick is replaced by a counter.
    Tests marked ``redis`` keep the real one."""
    if "redis" in request.keywords:
        return
    calls = []
    monkeypatch.setattr(relay, "relay_kick", lambda: calls.append(1))
    return calls


def make_dose(patient, due_at, *, kind="induction", status="open"):
    """A PlannedDose for ``patient`` in a phase of ``kind`` of their (one) active regimen."""
    regimen, _ = Regimen.objects.get_or_create(
        patient=patient, status="active",
        defaults={"name": "Test regimen", "start_date": (due_at - dt.timedelta(days=1)).date()},
    )
    phase, _ = Phase.objects.get_or_create(
        regimen=regimen, kind=kind,
        defaults={"order": 1 if kind == "induction" else 2, "dose": 1, "end_kind": "open"},
    )
    return PlannedDose.objects.create(
        regimen=regimen, phase=phase, patient=patient, sequence=next(_seq), due_at=due_at,
        window=dt.timedelta(hours=36), grace=dt.timedelta(hours=12), status=status,
    )
