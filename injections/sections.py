"""This app's sections of the patient home and the clinician review page
(arranged by b12care/clinic/pages.py)."""

from __future__ import annotations

import datetime as dt

from b12care.accounts.models import PatientProfile, User
from b12care.core import clock

from . import entry, followups, quicklog, selectors, services
from .models import Site

# Where each site sits on the body-map drawing (front view, 200 x 300 viewBox).
SITE_POSITIONS = {
    Site.LEFT_DELTOID: (138, 78), Site.RIGHT_DELTOID: (62, 78),
    Site.LEFT_VENTROGLUTEAL: (128, 150), Site.RIGHT_VENTROGLUTEAL: (72, 150),
    Site.LEFT_THIGH: (126, 200), Site.RIGHT_THIGH: (74, 200),
    Site.LEFT_DORSOGLUTEAL: (116, 168), Site.RIGHT_DORSOGLUTEAL: (84, 168),
}
RECENT_DAYS = 90


def body_map_sites(patient: PatientProfile, *, now: dt.datetime) -> list[dict]:
    """One row per site for the body map: when last used, whether flagged, whether suggested."""
    suggestion = services.suggest_site(patient, now=now)
    rows = []
    for site, label in Site.choices:
        last = suggestion.last_used.get(site)
        days = (now - last).days if last else None
        x, y = SITE_POSITIONS[site]
        rows.append({
            "site": site, "label": label, "x": x, "y": y,
            "last_used": last, "days_ago": days,
            "recent": days is not None and days <= RECENT_DAYS,
            "avoid": suggestion.avoid.get(site, ""),
            "suggested": site == suggestion.site,
            "not_advised": "dorsogluteal" in site,
        })
    return rows


def home_section(patient: PatientProfile, *, now: dt.datetime) -> dict | None:
    # Read-only: planned doses are regenerated when a schedule or time zone changes and by
    # the hourly roll task, never by a page view (a GET must not write).
    summary = selectors.schedule_summary(patient, now=now, upcoming=4, recent=3,
                                         readiness=True)
    # The site suggestion (one query) is read whenever a dose is coming, due or not: the card
    # names the next site, so the page costs the same whatever the state of the schedule.
    suggestion = services.suggest_site(patient, now=now) if summary["next"] else None
    return {"title": "Injections", "template": "injections/_home_section.html",
            "context": {"summary": summary, "patient": patient, "now": now,
                        "followups": followups.due_followups(patient, now=now),
                        "next_site": quicklog.chip_label(suggestion.site) if suggestion else "",
                        "quick": _quick_log(patient, summary, suggestion, now=now)}}


def _quick_log(patient: PatientProfile, summary: dict, suggestion: services.SiteSuggestion | None,
               *, now: dt.datetime) -> dict | None:
    """The home's one-tap "Taken now" form for the dose due now (None when no dose is due):
    its values (injections/quicklog.py) and a fresh idempotency token, as the full form has."""
    due = summary["next"]
    if not due or not due["due"] or suggestion is None:
        return None
    values = quicklog.quick_log(
        phase=due["phase"], last=summary["recent"][0] if summary["recent"] else None,
        suggested_site=suggestion.site, avoid=suggestion.avoid,
        ready_for_self=summary["readiness"].ready, today=clock.local_day(now, patient.tz))
    if values is None:
        return None
    return {"values": values, "dose": due["dose"], "form_token": entry.new_form_token()}


def review_section(patient: PatientProfile, *, now: dt.datetime, viewer: User) -> dict | None:
    summary = selectors.schedule_summary(patient, now=now, upcoming=3, recent=5, readiness=True)
    return {"title": "Injections", "template": "injections/_review_section.html",
            "name": "injections",  # the review page's header reads whether there is a regimen
            "context": {"summary": summary, "patient": patient, "now": now,
                        "readiness": summary["readiness"]}}
