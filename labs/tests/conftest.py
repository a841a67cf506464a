"""Fixtures of the labs app: a fixed clock and the seeded catalogue."""

import datetime as dt

import pytest

from labs.models import Analyte

# Tuesday 24 Nov 2026, 10:00 UTC (10:00 in London).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def analytes(db):
    return {a.key: a for a in Analyte.objects.prefetch_related("units")}
