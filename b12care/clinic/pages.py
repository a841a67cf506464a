"""Pages made of per-app sections: the patient home and the clinician's patient review.

Each app (injections, symptoms, labs, alerts) has a ``sections`` module with
``home_section(patient, *, now)`` and ``review_section(patient, *, now, viewer)``, each returning
``{"title": str, "template": str, "context": dict}`` or None. This module, on the top floor,
only arranges them in order; the page template includes each section's template.
"""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User
from b12care.alerts import sections as alerts_sections
from injections import sections as injections_sections
from labs import sections as labs_sections
from symptoms import sections as symptoms_sections

SECTION_MODULES = (alerts_sections, injections_sections, symptoms_sections, labs_sections)


def page_sections(patient: PatientProfile, *, page: str, now: dt.datetime,
                  viewer: User | None = None) -> list[dict]:
    """The page's non-empty sections in app order ("home" or "review")."""
    sections = []
    for module in SECTION_MODULES:
        if page == "home":
            section = module.home_section(patient, now=now)
        else:
            section = module.review_section(patient, now=now, viewer=viewer)
        if section:
            sections.append(section)
    return sections
