"""Pages made of per-app sections: the patient home and the clinician's patient review.

Each app (injections, symptoms, labs, alerts) has a ``sections`` module with
``home_section(patient, *, now)`` and ``review_section(patient, *, now, viewer)``, each returning
``{"title": str, "template": str, "context": dict}`` or None. Core pages only arrange them, so
apps stay independent of one another.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from b12care.accounts.models import PatientProfile, User

SECTION_MODULES = ("b12care.alerts.sections", "injections.sections", "symptoms.sections",
                   "labs.sections")


def home_sections(patient: PatientProfile, *, now: dt.datetime) -> list[dict]:
    found = (import_module(name).home_section(patient, now=now) for name in SECTION_MODULES)
    return [section for section in found if section]


def review_sections(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> list[dict]:
    found = (
        import_module(name).review_section(patient, now=now, viewer=viewer)
        for name in SECTION_MODULES
    )
    return [section for section in found if section]
