"""One timeline of a patient's injections, diary check-ins, lab results, alerts and notes.

Five queries (one per kind, each limited), merged in Python: the cost does not grow with the
patient's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import Alert
from injections.models import Injection
from labs.models import LabResult
from symptoms.models import CheckIn

from .models import ClinicianNote


@dataclass
class Event:
    at: dt.datetime
    kind: str  # injection | checkin | lab | alert | note
    title: str
    detail: str = ""
    tone: str = ""  # "", "danger", "warning", "success"


def patient_timeline(patient: PatientProfile, *, limit: int = 30) -> list[Event]:
    events: list[Event] = []
    for inj in Injection.objects.filter(patient=patient).order_by("-taken_at")[:limit]:
        systemic = inj.breathing_difficulty or inj.face_throat_swelling or inj.hives
        events.append(Event(
            inj.taken_at, "injection",
            f"Injection {inj.dose.normalize():f} {inj.get_unit_display()} "
            f"{inj.get_product_display().lower()}",
            f"{inj.get_site_display()}; by {inj.get_administered_by_display().lower()}; "
            f"pain {inj.pain}/10",
            "danger" if systemic else "",
        ))
    checkins = (CheckIn.objects.filter(patient=patient).annotate(worst=Max("scores__severity"))
                .order_by("-local_date")[:limit])
    for checkin in checkins:
        events.append(Event(
            checkin.recorded_at, "checkin", "Diary check-in",
            f"worst symptom score {checkin.worst}/10" if checkin.worst is not None else "",
            "warning" if (checkin.worst or 0) >= 8 else "",
        ))
    for lab in (LabResult.objects.filter(patient=patient).select_related("analyte")
                .order_by("-sampled_at")[:limit]):
        abnormal = lab.flag not in ("", "normal")
        events.append(Event(
            lab.sampled_at, "lab", f"{lab.analyte.short_name} {lab.display_value}",
            lab.flag_label if abnormal else "in range",
            "danger" if "critical" in lab.flag else ("warning" if abnormal else ""),
        ))
    for alert in (Alert.objects.filter(patient=patient).select_related("rule")
                  .order_by("-last_seen_at")[:limit]):
        events.append(Event(
            alert.last_seen_at, "alert", f"{alert.get_severity_display()} alert: {alert.rule.name}",
            f"{alert.get_status_display()}. {alert.clinician_message}",
            "danger" if alert.severity == "urgent" and alert.status == "open" else "warning",
        ))
    for note in (ClinicianNote.objects.filter(patient=patient).select_related("author")
                 .order_by("-created_at")[:limit]):
        events.append(Event(note.created_at, "note", f"Note by {note.author}", note.text))
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]
