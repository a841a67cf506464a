"""The timeline's SQL against a plain ORM definition of the same events, on a history longer
than the timeline's limit (so each kind's "most recent" cut is exercised)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from b12care.alerts.lifecycle import findings_record
from b12care.alerts.models import Alert
from b12care.alerts.rules import Finding
from b12care.clinic import timeline
from b12care.clinic.models import ClinicianNote
from b12care.clinic.tests.test_review import NOW, history
from injections.models import Injection
from labs.models import LabResult
from symptoms.models import CheckIn

pytestmark = pytest.mark.django_db


def row(kind, at, ref, **columns):
    return {"kind": kind, "at": at, "ref": ref, "s1": None, "s2": None, "s3": None, "s4": None,
            "s5": None, "d1": None, "i1": None, "b1": None, **columns}


def reference_rows(patient, limit, limits=None):
    """The rows ``timeline._rows`` reads, each kind its ``limits[kind]`` (default ``limit``)
    most recent; a kind missing from ``limits`` is left out."""
    return _reference_kinds(patient, limits or dict.fromkeys(timeline.KINDS, limit))


def _reference_kinds(patient, limits):
    rows = []
    limit = limits.get("lab", 0)
    for r in (LabResult.objects.filter(patient=patient).select_related("analyte")
              .order_by("-sampled_at", "pk")[:limit]):
        rows.append(row("lab", r.sampled_at, r.pk, s1=r.analyte.short_name,
                        s2=r.analyte.canonical_unit, s3=r.qualitative, s4=r.flag, d1=r.value,
                        i1=r.analyte.decimal_places))
    limit = limits.get("injection", 0)
    for j in Injection.objects.filter(patient=patient).order_by("-taken_at", "pk")[:limit]:
        rows.append(row("injection", j.taken_at, j.pk, s1=j.product, s2=j.unit, s3=j.site,
                        s4=j.administered_by, d1=j.dose, i1=j.pain,
                        b1=j.breathing_difficulty or j.face_throat_swelling or j.hives))
    limit = limits.get("checkin", 0)
    for c in CheckIn.objects.filter(patient=patient).order_by("-local_date", "pk")[:limit]:
        worst = max((s.severity for s in c.scores.all()), default=None)
        rows.append(row("checkin", c.recorded_at, c.pk, i1=worst))
    limit = limits.get("alert", 0)
    for a in (Alert.objects.filter(patient=patient).select_related("rule")
              .order_by("-last_seen_at", "pk")[:limit]):
        rows.append(row("alert", a.last_seen_at, a.pk, s1=a.severity, s2=a.rule.name,
                        s3=a.status, s5=a.clinician_message))
    limit = limits.get("note", 0)
    for n in (ClinicianNote.objects.filter(patient=patient).select_related("author")
              .order_by("-created_at", "pk")[:limit]):
        author = n.author
        rows.append(row("note", n.created_at, n.pk, s1=author and author.first_name,
                        s2=author and author.last_name, s3=author and author.email,
                        s5=n.text, b1=author is not None))
    return rows


@time_machine.travel(NOW, tick=False)
def test_the_sql_timeline_equals_the_orm_definition(clinician, patient, monkeypatch):
    history(patient, clinician, days=70)  # 35 injections, 70 check-ins, 10 Hb results
    findings_record(patient=patient, findings=[
        Finding("hb_critical", "review", "hb", "Hb low", "Hb low"),
        Finding("systemic_reaction", "urgent", "inj-1", "Call 999", "Possible anaphylaxis"),
    ], now=NOW)
    ClinicianNote.objects.create(patient=patient, author=clinician, text="Reviewed bloods.")
    ClinicianNote.objects.create(patient=patient, author=None, text="Author since removed.")
    sql = timeline.patient_timeline_and_notes(patient, limit=30)
    assert {e.kind for e in sql.events} == set(timeline.KINDS)

    def orm_rows(patient_, limit, limits=None):
        return reference_rows(patient_, limit, limits)

    monkeypatch.setattr(timeline, "_rows", orm_rows)
    orm = timeline.patient_timeline_and_notes(patient, limit=30)
    assert sql.events == orm.events
    assert sql.notes == orm.notes
    assert "None" in [n.author for n in sql.notes]  # a removed author, as str(None) reads


@time_machine.travel(NOW, tick=False)
def test_each_kind_keeps_only_its_most_recent_rows(clinician, patient):
    history(patient, clinician, days=70)
    rows = timeline._rows(patient, 30)
    checkins = [r for r in rows if r["kind"] == "checkin"]
    assert len(checkins) == 30
    newest = CheckIn.objects.filter(patient=patient).order_by("-local_date")[:30]
    assert {r["ref"] for r in checkins} == {c.pk for c in newest}
    injections = [r for r in rows if r["kind"] == "injection"]
    assert len(injections) == 30 and all(isinstance(r["d1"], Decimal) for r in injections)
    assert all(r["at"].tzinfo is not None and r["at"] <= NOW for r in rows)
    assert all(r["at"] >= NOW - dt.timedelta(days=71) for r in rows)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("kinds", [timeline.KINDS, ("injection",), ("lab", "alert"),
                                   ("checkin", "note")])
@pytest.mark.parametrize("page", [1, 2, 3])
def test_each_filtered_page_equals_the_orm_definition(clinician, patient, monkeypatch, kinds,
                                                      page):
    history(patient, clinician, days=40)  # 20 injections, 40 check-ins, 6 Hb results
    findings_record(patient=patient, findings=[
        Finding("hb_critical", "review", "hb", "Hb low", "Hb low")], now=NOW)
    for n in range(12):
        ClinicianNote.objects.create(patient=patient, author=clinician, text=f"Note {n}.")
    query = timeline.TimelineQuery(kinds, page)
    sql = timeline.patient_timeline_and_notes(patient, limit=10, query=query)
    monkeypatch.setattr(timeline, "_rows", lambda p, limit, limits=None:
                        reference_rows(p, limit, limits))
    orm = timeline.patient_timeline_and_notes(patient, limit=10, query=query)
    assert (sql.events, sql.notes, sql.has_next) == (orm.events, orm.notes, orm.has_next)
    assert {e.kind for e in sql.events} <= set(kinds)
    assert len(sql.notes) == 10  # the notes list does not depend on the filter
    # The whole filtered history, page after page, is every event of those kinds once.
    monkeypatch.undo()
    everything = timeline.patient_timeline_and_notes(
        patient, limit=1000, query=timeline.TimelineQuery(kinds, 1)).events
    assert sql.events == everything[(page - 1) * 10:page * 10]
    assert sql.has_next == (len(everything) > page * 10)
