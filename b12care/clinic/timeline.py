"""One timeline of a patient's injections, diary check-ins, lab results, alerts and notes.

One query: a UNION ALL of five branches (one per kind, each its 30 most recent rows, picked by
an ``IN (… LIMIT 30)`` subquery so it runs on SQLite and PostgreSQL alike) with aligned
columns, merged in Python. The cost does not grow with the patient's history. The notes branch
also feeds the page's list of clinical notes (``Timeline.notes``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)

from b12care.accounts.models import PatientProfile
from b12care.alerts.models import Alert
from injections.models import Injection
from labs.models import Analyte, LabResult
from symptoms.models import CheckIn, SymptomScore

from .models import ClinicianNote

KINDS = ("injection", "checkin", "lab", "alert", "note")  # merge order on equal times


@dataclass
class Event:
    at: dt.datetime
    kind: str  # injection | checkin | lab | alert | note
    title: str
    detail: str = ""
    tone: str = ""  # "", "danger", "warning", "success"


@dataclass
class NoteRow:
    """A clinical note as the review page lists it."""

    created_at: dt.datetime
    author: str
    text: str


@dataclass
class Timeline:
    events: list[Event] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)  # newest first


def _null(output_field):
    return Value(None, output_field=output_field)


def _columns(**given) -> dict:
    """Every branch selects the same columns in the same order (all as expressions, so
    ``values()`` keeps this order); what a kind does not use is NULL."""
    columns = {
        "kind": None, "at": None, "ref": None,
        "s1": _null(CharField()), "s2": _null(CharField()), "s3": _null(CharField()),
        "s4": _null(CharField()), "s5": _null(TextField()),
        "d1": _null(DecimalField(max_digits=24, decimal_places=10)),
        "i1": _null(IntegerField()), "b1": _null(BooleanField()),
    }
    columns.update(given)
    return columns


def _recent(model, patient, order: str, limit: int):
    return (model.objects.filter(patient=patient).order_by(order, "pk")
            .values("pk")[:limit])


def _branches(patient: PatientProfile, limit: int):
    # Labs first: the combined query converts each column with the first branch's field
    # (the lab value's ten decimal places).
    labs = LabResult.objects.filter(pk__in=_recent(LabResult, patient, "-sampled_at", limit))
    yield labs.values(**_columns(
        kind=Value("lab", output_field=CharField()), at=F("sampled_at"), ref=F("pk"),
        s1=F("analyte__short_name"), s2=F("analyte__canonical_unit"), s3=F("qualitative"),
        s4=F("flag"), i1=F("analyte__decimal_places"),
        d1=ExpressionWrapper(F("value"), output_field=DecimalField(max_digits=24,
                                                                    decimal_places=10)),
    ))
    injections = Injection.objects.filter(pk__in=_recent(Injection, patient, "-taken_at", limit))
    yield injections.values(**_columns(
        kind=Value("injection", output_field=CharField()), at=F("taken_at"), ref=F("pk"),
        s1=F("product"), s2=F("unit"), s3=F("site"), s4=F("administered_by"),
        d1=ExpressionWrapper(F("dose"), output_field=DecimalField(max_digits=14,
                                                                  decimal_places=4)),
        i1=F("pain"),
        b1=ExpressionWrapper(Q(breathing_difficulty=True) | Q(face_throat_swelling=True)
                             | Q(hives=True), output_field=BooleanField()),
    ))
    worst = (SymptomScore.objects.filter(checkin=OuterRef("pk")).order_by("-severity")
             .values("severity")[:1])
    checkins = CheckIn.objects.filter(pk__in=_recent(CheckIn, patient, "-local_date", limit))
    yield checkins.values(**_columns(
        kind=Value("checkin", output_field=CharField()), at=F("recorded_at"), ref=F("pk"),
        i1=Subquery(worst, output_field=IntegerField()),
    ))
    alerts = Alert.objects.filter(pk__in=_recent(Alert, patient, "-last_seen_at", limit))
    yield alerts.values(**_columns(
        kind=Value("alert", output_field=CharField()), at=F("last_seen_at"), ref=F("pk"),
        s1=F("severity"), s2=F("rule__name"), s3=F("status"), s5=F("clinician_message"),
    ))
    notes = ClinicianNote.objects.filter(pk__in=_recent(ClinicianNote, patient, "-created_at",
                                                        limit))
    yield notes.values(**_columns(
        kind=Value("note", output_field=CharField()), at=F("created_at"), ref=F("pk"),
        s1=F("author__first_name"), s2=F("author__last_name"), s3=F("author__email"),
        s5=F("text"), b1=ExpressionWrapper(Q(author__isnull=False),
                                           output_field=BooleanField()),
    ))


def _injection_event(row) -> Event:
    inj = Injection(product=row["s1"], unit=row["s2"], site=row["s3"],
                    administered_by=row["s4"], dose=Decimal(row["d1"]), pain=row["i1"])
    return Event(
        row["at"], "injection",
        f"Injection {inj.dose.normalize():f} {inj.get_unit_display()} "
        f"{inj.get_product_display().lower()}",
        f"{inj.get_site_display()}; by {inj.get_administered_by_display().lower()}; "
        f"pain {inj.pain}/10",
        "danger" if row["b1"] else "",
    )


def _checkin_event(row) -> Event:
    worst = row["i1"]
    return Event(
        row["at"], "checkin", "Diary check-in",
        f"worst symptom score {worst}/10" if worst is not None else "",
        "warning" if (worst or 0) >= 8 else "",
    )


def _lab_event(row) -> Event:
    lab = LabResult(analyte=Analyte(short_name=row["s1"], canonical_unit=row["s2"],
                                    decimal_places=row["i1"]),
                    qualitative=row["s3"], flag=row["s4"], value=row["d1"])
    abnormal = lab.flag not in ("", "normal")
    return Event(
        row["at"], "lab", f"{lab.analyte.short_name} {lab.display_value}",
        lab.flag_label if abnormal else "in range",
        "danger" if "critical" in lab.flag else ("warning" if abnormal else ""),
    )


def _alert_event(row) -> Event:
    alert = Alert(severity=row["s1"], status=row["s3"])
    return Event(
        row["at"], "alert", f"{alert.get_severity_display()} alert: {row['s2']}",
        f"{alert.get_status_display()}. {row['s5']}",
        "danger" if alert.severity == "urgent" and alert.status == "open" else "warning",
    )


def _author(row) -> str:
    """str(note.author): the full name, else the e-mail ("None" for a deleted author)."""
    if not row["b1"]:
        return "None"
    return f"{row['s1']} {row['s2']}".strip() or row["s3"]


def patient_timeline_and_notes(patient: PatientProfile, *, limit: int = 30,
                               notes: int = 10) -> Timeline:
    """The ``limit`` most recent events of every kind, newest first, and the ``notes`` most
    recent clinical notes, from one query."""
    first, *rest = (branch.order_by() for branch in _branches(patient, limit))
    rows = list(first.union(*rest, all=True))
    # Kinds in merge order, each newest first (equal times: the older row first).
    rows.sort(key=lambda r: r["ref"])
    rows.sort(key=lambda r: r["at"], reverse=True)
    rows.sort(key=lambda r: KINDS.index(r["kind"]))
    build = {"injection": _injection_event, "checkin": _checkin_event, "lab": _lab_event,
             "alert": _alert_event}
    events, note_rows = [], []
    for row in rows:
        if row["kind"] == "note":
            author = _author(row)
            events.append(Event(row["at"], "note", f"Note by {author}", row["s5"]))
            note_rows.append(NoteRow(row["at"], author, row["s5"]))
        else:
            events.append(build[row["kind"]](row))
    events.sort(key=lambda e: e.at, reverse=True)
    return Timeline(events[:limit], note_rows[:notes])


def patient_timeline(patient: PatientProfile, *, limit: int = 30) -> list[Event]:
    return patient_timeline_and_notes(patient, limit=limit).events
