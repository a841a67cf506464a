"""One timeline of a patient's injections, diary check-ins, lab results, alerts and notes.

One query, written as SQL (building it with the ORM cost more CPU than running it): a UNION ALL
of one branch per kind shown (plus notes, always), each its most recent rows, with aligned
columns, merged in Python; ``tests/test_timeline_reference.py`` checks it against a plain ORM
definition. The clinician can show some kinds only and page back (``TimelineQuery``): page
``n`` of ``limit`` events needs at most ``n * limit + 1`` rows of any one kind, so each branch
reads that many and the cost does not grow with the patient's history (pages stop at
``MAX_PAGE``). The notes branch also feeds the page's list of clinical notes
(``Timeline.notes``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection
from django.utils.dateparse import parse_datetime

from b12care.accounts.models import PatientProfile, User
from b12care.alerts.models import Alert, AlertRule
from b12care.core import validation
from injections.models import Injection
from labs.models import Analyte, LabResult
from symptoms.models import CheckIn, SymptomScore

from .models import ClinicianNote

KINDS = ("injection", "checkin", "lab", "alert", "note")  # merge order on equal times
KIND_LABELS = {"injection": "Injections", "checkin": "Diary", "lab": "Blood tests",
               "alert": "Alerts", "note": "Notes"}
KIND_NAMES = {"injection": "Injection", "checkin": "Diary", "lab": "Blood test",
              "alert": "Alert", "note": "Note"}
PAGE_SIZE = 30
MAX_PAGE = 20  # 600 events back; older history is on each app's own pages


@dataclass(frozen=True)
class TimelineQuery:
    """What the review page's timeline shows: some kinds (all when none is chosen), one page."""

    kinds: tuple[str, ...] = KINDS
    page: int = 1

    @classmethod
    def from_params(cls, params) -> TimelineQuery:
        """From GET parameters ``kind`` (repeatable) and ``page``. Anything unknown or out of
        range is the default (every kind, the first page), never an error."""
        chosen = set(params.getlist("kind")) if hasattr(params, "getlist") else set()
        kinds = tuple(k for k in KINDS if k in chosen) or KINDS
        page = validation.bounded_int(params.get("page"), default=1, low=1, high=MAX_PAGE)
        return cls(kinds, page)

    @property
    def filtered(self) -> bool:
        return self.kinds != KINDS

    def params(self, **changes) -> str:
        """The query string of this view, with ``changes`` (``kind``: a tuple; ``page``)."""
        kinds = changes.get("kind", self.kinds)
        page = changes.get("page", self.page)
        pairs = [("kind", k) for k in kinds if kinds != KINDS]
        if page != 1:
            pairs.append(("page", page))
        return urlencode(pairs)


@dataclass
class Event:
    at: dt.datetime
    kind: str  # injection | checkin | lab | alert | note
    title: str
    detail: str = ""
    tone: str = ""  # "", "danger", "warning", "success"

    @property
    def kind_label(self) -> str:
        """What the page calls this kind of event ("Diary", not "checkin")."""
        return KIND_NAMES.get(self.kind, self.kind.capitalize())


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
    query: TimelineQuery = TimelineQuery()
    has_next: bool = False
    older_elsewhere: bool = False  # the last page, with more before it: on each app's pages

    # Query strings of the pages around this one (same kinds), for the page's links.
    @property
    def first_params(self) -> str:
        return self.query.params(page=1)

    @property
    def previous_params(self) -> str:
        return self.query.params(page=self.query.page - 1)

    @property
    def next_params(self) -> str:
        return self.query.params(page=self.query.page + 1)


def _branch_sql(kinds=None) -> str:
    """One SELECT per kind of ``kinds`` (default: all), each its ``limit`` most recent rows,
    with aligned columns (what a kind does not use is a typed NULL, so PostgreSQL can match
    the columns of the union)."""
    lab, analyte = LabResult._meta.db_table, Analyte._meta.db_table
    inj, checkin = Injection._meta.db_table, CheckIn._meta.db_table
    score, alert = SymptomScore._meta.db_table, Alert._meta.db_table
    rule, note = AlertRule._meta.db_table, ClinicianNote._meta.db_table
    user = User._meta.db_table
    t, n, i, b = ("CAST(NULL AS text)", "CAST(NULL AS numeric)", "CAST(NULL AS integer)",
                  "CAST(NULL AS boolean)")
    branches = [
        f"""SELECT 'lab' AS kind, r.sampled_at AS at, r.id AS ref, a.short_name AS s1,
             a.canonical_unit AS s2, r.qualitative AS s3, r.flag AS s4, {t} AS s5,
             CAST(r.value AS numeric) AS d1, a.decimal_places AS i1, {b} AS b1
           FROM {lab} r JOIN {analyte} a ON a.id = r.analyte_id
           WHERE r.patient_id = %s ORDER BY r.sampled_at DESC, r.id LIMIT %s""",
        f"""SELECT 'injection', j.taken_at, j.id, j.product, j.unit, j.site,
             j.administered_by, {t}, CAST(j.dose AS numeric), j.pain,
             (j.breathing_difficulty OR j.face_throat_swelling OR j.hives)
           FROM {inj} j WHERE j.patient_id = %s ORDER BY j.taken_at DESC, j.id LIMIT %s""",
        f"""SELECT 'checkin', c.recorded_at, c.id, {t}, {t}, {t}, {t}, {t}, {n},
             (SELECT MAX(s.severity) FROM {score} s WHERE s.checkin_id = c.id), {b}
           FROM {checkin} c WHERE c.patient_id = %s
           ORDER BY c.local_date DESC, c.id LIMIT %s""",
        f"""SELECT 'alert', al.last_seen_at, al.id, al.severity, ru.name, al.status, {t},
             al.clinician_message, {n}, {i}, {b}
           FROM {alert} al JOIN {rule} ru ON ru.id = al.rule_id
           WHERE al.patient_id = %s ORDER BY al.last_seen_at DESC, al.id LIMIT %s""",
        f"""SELECT 'note', o.created_at, o.id, u.first_name, u.last_name, u.email, {t},
             o.text, {n}, {i}, (o.author_id IS NOT NULL)
           FROM {note} o LEFT JOIN {user} u ON u.id = o.author_id
           WHERE o.patient_id = %s ORDER BY o.created_at DESC, o.id LIMIT %s""",
    ]
    # Wrapped, because SQLite allows ORDER BY/LIMIT only on the whole compound SELECT.
    return "\nUNION ALL\n".join(f"SELECT * FROM ({sql}) AS {kind}"
                                 for sql, kind in zip(branches, KINDS_IN_SQL, strict=True)
                                 if kinds is None or kind in kinds)


KINDS_IN_SQL = ("lab", "injection", "checkin", "alert", "note")
COLUMNS = ("kind", "at", "ref", "s1", "s2", "s3", "s4", "s5", "d1", "i1", "b1")


def _rows(patient: PatientProfile, limit: int, limits: dict[str, int] | None = None
          ) -> list[dict]:
    """Each kind's ``limit`` most recent rows; with ``limits``, only those kinds, each its
    own number of rows."""
    limits = limits or dict.fromkeys(KINDS_IN_SQL, limit)
    kinds = [k for k in KINDS_IN_SQL if k in limits]
    with connection.cursor() as cursor:
        cursor.execute(_branch_sql(kinds), [v for k in kinds for v in (patient.pk, limits[k])])
        rows = [dict(zip(COLUMNS, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:  # what the ORM's converters would do on SQLite (PostgreSQL gives types)
        if isinstance(row["at"], str):
            row["at"] = parse_datetime(row["at"])
        if row["at"].tzinfo is None:
            row["at"] = row["at"].replace(tzinfo=dt.UTC)
        if row["d1"] is not None and not isinstance(row["d1"], Decimal):
            row["d1"] = Decimal(str(row["d1"]))
    return rows


def _injection_event(row) -> Event:
    inj = Injection(product=row["s1"], unit=row["s2"], site=row["s3"],
                    administered_by=row["s4"], dose=Decimal(row["d1"]), pain=row["i1"])
    return Event(
        row["at"], "injection",
        f"Injection {inj.dose.normalize():f} {inj.get_unit_display()} "
        f"{inj.get_product_display().lower()}",
        f"{inj.get_site_display()}; by {inj.get_administered_by_display().lower()}"
        + (f"; pain {inj.pain}/10" if inj.pain is not None else "; pain not recorded"),
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


def patient_timeline_and_notes(patient: PatientProfile, *, limit: int = PAGE_SIZE,
                               notes: int = 10, query: TimelineQuery | None = None
                               ) -> Timeline:
    """One page of ``limit`` events of the kinds ``query`` shows, newest first, and the
    ``notes`` most recent clinical notes, from one query."""
    query = query or TimelineQuery()
    needed = query.page * limit + 1  # enough of any one kind to fill this page and see more
    limits = dict.fromkeys(query.kinds, needed)
    limits["note"] = max(notes, limits.get("note", 0))
    rows = _rows(patient, limit, limits)
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
            note_rows.append(NoteRow(row["at"], author, row["s5"]))
            if "note" in query.kinds:
                events.append(Event(row["at"], "note", f"Note by {author}", row["s5"]))
        else:
            events.append(build[row["kind"]](row))
    events.sort(key=lambda e: e.at, reverse=True)
    start = (query.page - 1) * limit
    more = len(events) > start + limit
    return Timeline(events[start:start + limit], note_rows[:notes], query,
                    has_next=more and query.page < MAX_PAGE,
                    older_elsewhere=more and query.page >= MAX_PAGE)


def patient_timeline(patient: PatientProfile, *, limit: int = PAGE_SIZE) -> list[Event]:
    return patient_timeline_and_notes(patient, limit=limit).events
