"""Pages made of per-app sections: the patient home and the clinician's patient review.

Each app (injections, symptoms, labs, alerts) has a ``sections`` module with
``home_section(patient, *, now)`` and ``review_section(patient, *, now, viewer)``, each returning
``{"title": str, "template": str, "context": dict}`` or None. Core pages only arrange them, so
apps stay independent of one another.

``page_sections`` renders them, each app's section cached as an HTML fragment under the
patient's data version (b12care/core/fragments.py), except the ones listed in ``LIVE``. A cached
section is shared by everyone who may see the patient: it must not depend on the viewer or the
request (a section that does belongs in ``LIVE``); ``{% csrf_token %}`` is fine.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from b12care.accounts.models import PatientProfile, User

from . import fragments

SECTION_MODULES = ("b12care.alerts.sections", "injections.sections", "symptoms.sections",
                   "labs.sections")
# Rendered on every request: the home's alerts section shows the user's unread-message count,
# which is per user, not patient data.
LIVE = {"home": {"b12care.alerts.sections"}, "review": set()}


def _section(name: str, page: str, patient: PatientProfile, now: dt.datetime,
             viewer: User | None) -> dict:
    module = import_module(name)
    if page == "home":
        section = module.home_section(patient, now=now)
    else:
        section = module.review_section(patient, now=now, viewer=viewer)
    if not section:
        return {}
    html = render_to_string(section["template"],
                            fragments.render_context(ctx=section["context"]))
    return {"title": section["title"], "html": html}


def page_sections(request: HttpRequest, patient: PatientProfile, *, page: str,
                  now: dt.datetime, viewer: User | None = None) -> list[dict]:
    """The page's sections as ``{"title", "html"}`` in app order ("home" or "review")."""
    live = LIVE[page]
    cached = fragments.cached_many(
        f"{page}-section", [(name, patient) for name in SECTION_MODULES if name not in live],
        now=now,
        render_missing=lambda names: {n: _section(n, page, patient, now, viewer) for n in names},
    )
    sections = []
    for name in SECTION_MODULES:
        section = _section(name, page, patient, now, viewer) if name in live else cached[name]
        if section:
            sections.append({"title": section["title"],
                             "html": mark_safe(fragments.with_csrf(request, section["html"]))})
    return sections
