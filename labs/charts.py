"""Lab-side pieces of the trend charts; the charts themselves are ``b12care.core.charts``."""

from __future__ import annotations

import datetime as dt


def injection_days(patient, *, since: dt.date, until: dt.date) -> list[dt.date]:
    """Local days (patient's zone) of the patient's injections in [since, until]."""
    from injections.selectors import injection_times

    tz = patient.tz
    start = dt.datetime.combine(since, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0),
                              tzinfo=tz).astimezone(dt.UTC)
    return [t.astimezone(tz).date() for t in injection_times(patient, since=start, until=end)]
