"""Schedules described in plain words from their phases: picker, schedule and regimen agree."""

import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from injections import describe
from injections.models import ProtocolTemplate

from .conftest import NOW


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def template(slug):
    return ProtocolTemplate.objects.prefetch_related("phases").get(slug=slug)


@pytest.mark.django_db
def test_the_neuro_template_reads_as_induction_until_ended_then_maintenance_every_2_months():
    assert template("hydroxocobalamin-neuro").description == (
        "Induction: 1 mg on alternate days until your clinician ends it. "
        "Maintenance: 1 mg every 2 months."
    )


@pytest.mark.django_db
def test_counted_weekday_induction_and_microgram_doses_are_described_in_words():
    assert template("hydroxocobalamin-no-neuro").description.startswith(
        "Induction: 1 mg Mon, Wed and Fri every week for 6 doses. Maintenance: 1 mg every 3")
    assert "100 µg every day for 7 doses." in template("cyanocobalamin-us-label").description


def test_no_phases_says_so():
    assert describe.phases_in_words([]) == "No phases yet."


@pytest.mark.django_db
def test_the_picker_follows_a_template_edited_from_every_3_to_every_2_months(clinician_client,
                                                                           patient):
    no_neuro = template("hydroxocobalamin-no-neuro")
    no_neuro.phases.filter(kind="maintenance").update(interval=2)
    page = clinician_client.get(reverse("injections:regimen_new", args=[patient.pk]))
    text = page.content.decode()
    assert "Maintenance: 1 mg every 2 months." in text
    assert "every 3 months" not in text.split("Prophylaxis")[0]


@pytest.mark.django_db
def test_the_preview_shows_the_first_maintenance_doses_after_a_long_induction(clinician_client,
                                                                            patient):
    us_label = template("cyanocobalamin-us-label")
    url = reverse("injections:regimen_new", args=[patient.pk])
    page = clinician_client.post(url, {"template": us_label.pk, "start_date": "2026-11-24",
                                       "time_of_day": "09:00", "preview": "1"}).content.decode()
    assert "maintenance dose 1" in page and "maintenance dose 3" in page
    assert "induction dose 6 of 6" in page


@pytest.mark.django_db
def test_the_preview_says_when_maintenance_waits_for_the_clinician(clinician_client, patient):
    neuro = template("hydroxocobalamin-neuro")
    url = reverse("injections:regimen_new", args=[patient.pk])
    page = clinician_client.post(url, {"template": neuro.pk, "start_date": "2026-11-24",
                                       "time_of_day": "09:00", "preview": "1"}).content.decode()
    assert "Maintenance: starts when the clinician ends the phase before it" in page


@pytest.mark.django_db
def test_the_regimen_page_shows_no_raw_recurrence_rule(clinician_client, patient, regimen):
    page = clinician_client.get(reverse("injections:patient_regimen", args=[patient.pk]))
    text = page.content.decode()
    assert not re.search(r"FREQ=|RRULE", text)
    assert "1 mg hydroxocobalamin every 3 months" in text


def test_no_template_shows_a_raw_rrule():
    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [str(p) for p in root.rglob("*.html") if ".rrule" in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize(("rule", "words"), [
    ("FREQ=DAILY", "every day"),
    ("FREQ=DAILY;INTERVAL=2", "on alternate days"),
    ("RRULE:FREQ=DAILY;INTERVAL=2;", "on alternate days"),
    ("freq=daily;interval=3", "every 3 days"),
    ("FREQ=DAILY;INTERVAL=2;COUNT=6", "on alternate days, 6 doses"),
    ("FREQ=DAILY;COUNT=1", "every day, 1 dose"),
    ("FREQ=WEEKLY", "every week"),
    ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "Mon, Wed and Fri every week"),
    ("FREQ=WEEKLY;BYDAY=FR,MO", "Mon and Fri every week"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "Tue every 2 weeks"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6", "Mon, Wed and Fri every week, 6 doses"),
    ("FREQ=MONTHLY", "every month"),
    ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
    ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31,-1;BYSETPOS=1", "every 2 months"),
    ("FREQ=DAILY;UNTIL=20261231T235959", "every day, until 31 Dec 2026"),
    ("FREQ=MONTHLY;INTERVAL=3;UNTIL=20270105", "every 3 months, until 5 Jan 2027"),
    # Rules B12 Care never writes, or broken ones: words, never the raw text.
    ("FREQ=YEARLY", describe.UNREADABLE),
    ("FREQ=HOURLY;INTERVAL=8", describe.UNREADABLE),
    ("FREQ=DAILY;BYDAY=MO", describe.UNREADABLE),
    ("FREQ=WEEKLY;BYDAY=XX", describe.UNREADABLE),
    ("FREQ=MONTHLY;BYMONTHDAY=15", describe.UNREADABLE),
    ("FREQ=DAILY;COUNT=3;UNTIL=20261231", describe.UNREADABLE),
    ("FREQ=DAILY;INTERVAL=0", describe.UNREADABLE),
    ("FREQ=DAILY;INTERVAL=two", describe.UNREADABLE),
    ("FREQ=DAILY;UNTIL=2026-13-40", describe.UNREADABLE),
    ("FREQ=DAILY;COUNT=-1", describe.UNREADABLE),
    ("INTERVAL=2", describe.UNREADABLE),
    ("", describe.UNREADABLE),
    ("garbage", describe.UNREADABLE),
])
def test_a_stored_rrule_reads_in_words(rule, words):
    assert describe.rrule_in_words(rule) == words


@pytest.mark.django_db
def test_every_rule_a_phase_stores_reads_as_the_phase_itself(regimen):
    """The rule written for each demo-template phase says what the phase's own words say."""
    for phase in regimen.phases.all():
        assert describe.rrule_in_words(phase.rrule) == phase.recurrence.describe().replace(
            ", until a clinician ends it", "")


@pytest.mark.django_db
def test_the_admin_and_the_clinician_see_each_phase_in_words_never_its_rrule(
    client, admin_user, clinician, regimen
):
    client.force_login(admin_user)
    body = client.get(reverse("admin:injections_regimen_change", args=[regimen.pk])).content
    body = body.decode()
    assert "Mon, Wed and Fri every week, 6 doses" in body
    assert "FREQ=" not in body
    client.force_login(clinician)
    body = client.get(reverse("injections:patient_regimen", args=[regimen.patient_id])).content
    assert "Mon, Wed and Fri every week" in body.decode() and b"FREQ=" not in body
