"""Fixtures of the symptoms app: a fixed clock."""

import datetime as dt

# Tuesday 24 Nov 2026, 10:00 UTC (10:00 in London).
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
