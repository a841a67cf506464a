"""Facts one domain app offers the others without an import between them.

The domain apps (injections, symptoms, labs) are independent of one another (import-linter).
When one needs a fact another owns, the owner registers a provider in its ``AppConfig.ready``
and the user asks for it here, on the ground floor: today the days a patient had injections,
which the symptom and lab charts mark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

InjectionDays = Callable[..., list[dt.date]]
_injection_days: list[InjectionDays] = []


def provide_injection_days(provider: InjectionDays) -> None:
    """``provider(patient, *, since, until)`` -> local days (patient's zone) with injections."""
    _injection_days[:] = [provider]


def injection_days(patient, *, since: dt.date, until: dt.date) -> list[dt.date]:
    """The patient's local injection days in [since, until]; none when no app provides them."""
    if not _injection_days:
        return []
    return _injection_days[0](patient, since=since, until=until)
