"""The patient review page: timeline, notes, actions; constant queries; outsiders get 404."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from b12care.alerts.lifecycle import findings_record
from b12care.alerts.rules import Finding
from b12care.clinic.models import ClinicianNote
from injections.models import ProtocolTemplate
from injections.protocols import HYDROXO_NEURO
from injections.services import injection_record, regimen_create_from_template
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def url(patient) -> str:
    return f"/clinic/patients/{patient.pk}/"


def history(patient, clinician, *, days: int) -> None:
    """``days`` days of alternate-day injections, daily check-ins and a weekly Hb."""
    start = NOW - dt.timedelta(days=days)
    regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NEURO),
        start_date=start.date(), time_of_day=dt.time(9), created_by=clinician, now=start,
    )
    hb = Analyte.objects.get(key="hb")
    for day in range(days):
        at = start + dt.timedelta(days=day, hours=9)
        with time_machine.travel(at, tick=False):
            if day % 2 == 0:
                injection_record(patient=patient, recorded_by=clinician, now=at, taken_at=at,
                                 product="hydroxocobalamin", dose=Decimal(1), unit="mg",
                                 site="left_deltoid", administered_by="nurse", pain=1,
                                 form_token=f"t{patient.pk}-{day}")
            checkin_save(patient=patient, scores={"fatigue": (max(0, 8 - day // 5), "")},
                         by=patient.user, now=at)
            if day % 7 == 0:
                result_record(patient=patient, analyte=hb, sampled_on=at.date(),
                              value=Decimal("10.5"), unit="g/dL", by=clinician, now=at)


@time_machine.travel(NOW, tick=False)
def test_the_timeline_merges_injections_diary_labs_alerts_and_notes_newest_first(
    clinician_client, clinician, patient
):
    history(patient, clinician, days=3)
    findings_record(patient=patient,
                    findings=[Finding("hb_critical", "review", "hb", "p", "Hb low")], now=NOW)
    ClinicianNote.objects.create(patient=patient, author=clinician, text="Reviewed bloods.")
    response = clinician_client.get(url(patient))
    kinds = {event.kind for event in response.context["timeline"]}
    assert kinds == {"injection", "checkin", "lab", "alert", "note"}
    times = [event.at for event in response.context["timeline"]]
    assert times == sorted(times, reverse=True)
    body = response.content.decode()
    assert "Reviewed bloods." in body and "Print summary" in body


def test_a_clinician_adds_a_note_that_the_care_team_sees(clinician_client, clinician, patient):
    response = clinician_client.post(f"{url(patient)}notes/", {"text": "  Numbness better.  "})
    assert response.status_code == 302
    note = ClinicianNote.objects.get()
    assert (note.text, note.author, note.patient) == ("Numbness better.", clinician, patient)
    assert "Numbness better." in clinician_client.get(url(patient)).content.decode()


def test_an_empty_note_is_refused_with_a_message(clinician_client, patient):
    response = clinician_client.post(f"{url(patient)}notes/", {"text": "   "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ClinicianNote.objects.exists()


def test_outsiders_cannot_read_or_write_notes(client, outsider_clinician, patient):
    client.force_login(outsider_clinician)
    assert client.get(url(patient)).status_code == 404
    assert client.post(f"{url(patient)}notes/", {"text": "x"}).status_code == 404
    client.force_login(patient.user)
    assert client.post(f"{url(patient)}notes/", {"text": "x"}).status_code == 404
    assert not ClinicianNote.objects.exists()


def test_notes_need_a_post(clinician_client, patient):
    assert clinician_client.get(f"{url(patient)}notes/").status_code == 405


def review_queries(client, patient) -> list[str]:
    """Queries of one view of the page (per-process catalogue caches warmed first)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(NOW, tick=False):
        client.get(url(patient))  # warm per-process caches (catalogues)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(patient)).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_review_page_costs_the_same_queries_whatever_the_history(
    clinician_client, clinician, patient
):
    from b12care.accounts.tests.factories import CareTeamFactory

    long_history = CareTeamFactory(clinician=clinician).patient
    history(patient, clinician, days=5)
    history(long_history, clinician, days=200)
    for p in (patient, long_history):
        findings_record(patient=p, findings=[Finding("hb_critical", "review", "hb", "p", "Hb low")],
                        now=NOW)
        ClinicianNote.objects.create(patient=p, author=clinician, text="Reviewed.")
    short = review_queries(clinician_client, patient)
    long = review_queries(clinician_client, long_history)
    assert len(short) == len(long), (len(short), len(long))
    assert len(short) <= REVIEW_QUERY_BUDGET, [q[:100] for q in short]


@time_machine.travel(NOW, tick=False)
def test_the_notes_list_shows_the_ten_latest_notes_with_their_author(
    clinician_client, clinician, patient
):
    for n in range(12):
        with time_machine.travel(NOW - dt.timedelta(hours=12 - n), tick=False):
            ClinicianNote.objects.create(patient=patient, author=clinician, text=f"Note {n:02}.")
    response = clinician_client.get(url(patient))
    notes = response.context["notes"]
    assert [n.text for n in notes] == [f"Note {n:02}." for n in range(11, 1, -1)]
    assert {n.author for n in notes} == {str(clinician)}
    assert "Note 01." not in response.content.decode().split('id="notes"')[1]


# Session, user, patient, access log, the nav badge, one UNION ALL query for the timeline and
# the notes, alerts, injections (phases with adherence, shown doses, recent injections),
# the diary's latest check-in and the labs' latest results with the next planned test.
REVIEW_QUERY_BUDGET = 12
