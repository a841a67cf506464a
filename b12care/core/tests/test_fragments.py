"""Cached page fragments never show stale data: every kind of write shows on the next request,
time-dependent labels follow the clock within one bucket, and cached forms post with the
viewer's own CSRF token."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from b12care.accounts.services import patient_settings_update
from b12care.accounts.tests.factories import CareTeamFactory, ClinicianFactory
from b12care.alerts.models import Alert, AlertStatus
from b12care.alerts.rules import Finding
from b12care.alerts.services import record_findings
from b12care.clinic.services import note_add
from b12care.clinic.state import refresh_triage_state
from b12care.core import fragments
from injections import services as injections
from injections.models import ProtocolTemplate
from injections.protocols import HYDROXO_NO_NEURO
from labs.models import Analyte
from labs.services import result_record
from symptoms.services import checkin_save

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def cached_keys() -> int:
    return len(cache._cache)  # LocMemCache (test settings)


def warm(client, url: str) -> str:
    """Load a page twice; the first load must have stored fragments that the second reuses."""
    first = text(client.get(url))
    stored = cached_keys()
    text(client.get(url))
    assert stored and cached_keys() == stored, "the page should have been served from the cache"
    return first


@pytest.fixture
def regimen(patient, clinician):
    """First dose tomorrow (25 Nov) at 18:00 London time."""
    regimen = injections.regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO),
        start_date=NOW.date() + dt.timedelta(days=1), time_of_day=dt.time(18),
        created_by=clinician, now=NOW)
    refresh_triage_state([patient.pk], now=NOW)
    return regimen


def log_injection(patient, by, **values):
    values = {"taken_at": NOW - dt.timedelta(hours=1), "product": "hydroxocobalamin",
              "dose": Decimal(1), "unit": "mg", "site": "left_deltoid", "administered_by": "nurse",
              "pain": 0, **values}
    return injections.injection_record(patient=patient, recorded_by=by, now=NOW, **values)


# --- The patient home ---------------------------------------------------------------------------

def test_home_shows_a_new_check_in_injection_and_lab_at_once(client, patient, clinician, regimen):
    client.force_login(patient.user)
    page = warm(client, "/me/")
    assert "No symptom check-ins yet" in page

    checkin_save(patient=patient, scores={"fatigue": (6, "")}, by=patient.user, now=NOW)
    page = text(client.get("/me/"))
    assert "You filled in today's diary" in page and "Tiredness: <strong>6</strong>/10" in page

    log_injection(patient, clinician, administered_by="carer")
    injections.supply_set(patient=patient, ampoules=1, by=patient.user, now=NOW)
    assert "you have 1 ampoule." in text(client.get("/me/"))

    result_record(patient=patient, analyte=Analyte.objects.get(key="hb"),
                  sampled_on=NOW.date(), value=Decimal("9.1"), unit="g/dL", by=clinician,
                  now=NOW)
    assert "9.1 g/dL" in text(client.get("/me/"))


def test_home_follows_a_time_zone_change_at_once(client, patient, regimen):
    client.force_login(patient.user)
    assert "due tomorrow" in warm(client, "/me/")
    # 12:00 UTC is already 25 Nov in Auckland: the dose moves to 18:00 there, today.
    patient_settings_update(patient=patient, values={"timezone": "Pacific/Auckland"}, now=NOW)
    assert "due today" in text(client.get("/me/"))


def test_time_dependent_labels_follow_the_clock_within_one_bucket(client, patient, regimen):
    client.force_login(patient.user)
    before_midnight = dt.datetime(2026, 11, 24, 23, 57, tzinfo=dt.UTC)  # London is on UTC
    with time_machine.travel(before_midnight, tick=False):
        assert "due tomorrow" in warm(client, "/me/")
    with time_machine.travel(before_midnight + dt.timedelta(minutes=2), tick=False):
        assert "due tomorrow" in text(client.get("/me/"))  # same 5-minute bucket: cached
    # Four minutes later, past midnight: no write and the entry has not expired, but this is a
    # new bucket, so the section is rebuilt for the new day.
    with time_machine.travel(before_midnight + dt.timedelta(minutes=4), tick=False):
        assert "due today" in text(client.get("/me/"))


# --- The review page ------------------------------------------------------------------------------

def url(patient) -> str:
    return f"/clinic/patients/{patient.pk}/"


def test_review_shows_a_note_readiness_and_an_acknowledged_alert_at_once(
    clinician_client, clinician, patient, regimen
):
    [alert] = record_findings(patient, [Finding("hb_critical", "review", "hb", "p", "Hb low")],
                              now=NOW)
    warm(clinician_client, url(patient))

    note_add(patient=patient, author=clinician, text="Phoned, feels better.")
    assert "Phoned, feels better." in text(clinician_client.get(url(patient)))

    injections.assessment_record(patient=patient, by=clinician, assessed_on=NOW.date(),
                                 items=dict.fromkeys(injections.SuitabilityAssessment.ITEMS, True))
    injections.training_record(patient=patient, by=clinician, observed_on=NOW.date(),
                               items=dict.fromkeys(injections.TrainingRecord.ITEMS, True))
    assert "ready (assessed and trained)" in text(clinician_client.get(url(patient)))

    response = clinician_client.post(f"/alerts/patients/{patient.pk}/{alert.pk}/acknowledge/",
                                     {"note": "Seen."})
    assert response.status_code == 302
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED
    assert "Acknowledged" in text(clinician_client.get(url(patient)))


def test_a_cached_alert_form_posts_with_the_viewers_own_csrf_token(clinician, patient):
    """Fragments are shared by the care team; each viewer's form must carry their token."""
    colleague = ClinicianFactory()
    CareTeamFactory(patient=patient, clinician=colleague)
    record_findings(patient, [Finding("hb_critical", "review", "hb", "p", "Hb low")], now=NOW)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(clinician)
    second.force_login(colleague)
    first.get(url(patient))  # renders and caches the alerts section
    page = second.get(url(patient)).content.decode()  # served from the cache
    token = re.search(r'action="(/alerts/[^"]+/acknowledge/)".*?name="csrfmiddlewaretoken" '
                      r'value="([^"]+)"', page, re.S)
    assert token and fragments.CSRF_PLACEHOLDER not in page
    response = second.post(token.group(1), {"note": "", "csrfmiddlewaretoken": token.group(2)})
    assert response.status_code == 302  # not 403
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED


def test_an_admin_edit_of_a_note_shows_at_once(admin_user, clinician_client, clinician, patient,
                                               regimen):
    note = note_add(patient=patient, author=clinician, text="First text.")
    warm(clinician_client, url(patient))
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/admin/clinic/cliniciannote/{note.pk}/change/",
                           {"patient": patient.pk, "author": clinician.pk, "text": "Corrected."})
    assert response.status_code == 302
    page = text(clinician_client.get(url(patient)))
    assert "Corrected." in page and "First text." not in page


# --- The dashboard --------------------------------------------------------------------------------

def test_dashboard_rows_show_new_alerts_and_their_acknowledgement_at_once(
    clinician_client, clinician, patient, regimen
):
    assert "urgent</span>" not in warm(clinician_client, "/clinic/")
    [alert] = record_findings(
        patient, [Finding("neuro_worsening", "urgent", "numb", "p", "Numbness worse")], now=NOW)
    assert "1 urgent</span>" in text(clinician_client.get("/clinic/"))
    clinician_client.post(f"/alerts/patients/{patient.pk}/{alert.pk}/acknowledge/", {"note": ""})
    assert "1 urgent</span>" not in text(clinician_client.get("/clinic/"))


def test_a_patients_new_name_shows_on_the_dashboard_at_once(
    admin_user, clinician_client, patient, regimen
):
    warm(clinician_client, "/clinic/")
    user = patient.user
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "email": user.email, "first_name": "Patricia", "last_name": user.last_name,
        "role": user.role, "is_active": "on", "date_joined_0": "2026-11-01",
        "date_joined_1": "09:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = text(clinician_client.get("/clinic/"))
    assert "Patricia Lee" in page and "Pat Lee" not in page


def test_a_patient_without_a_data_version_is_never_cached(patient_client, patient):
    assert fragments.data_version(patient) is None
    patient_client.get("/me/")
    assert not [key for key in cache._cache if ":home-section:" in key]


def test_fragments_of_other_code_are_never_served(settings, tmp_path):
    """The key holds a digest of the templates and sources: a deploy starts with new keys."""
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "row.html"
    template.write_text("<li>{{ row }}</li>")
    settings.BASE_DIR = tmp_path
    fragments.code_digest.cache_clear()
    try:
        before = fragments.fragment_key("row", 1, 7, NOW)
        template.write_text("<li class='new'>{{ row }}</li>")
        fragments.code_digest.cache_clear()
        assert fragments.fragment_key("row", 1, 7, NOW) != before
    finally:
        fragments.code_digest.cache_clear()


def test_the_fragment_cache_can_be_turned_off(settings, patient_client, patient, regimen):
    settings.FRAGMENT_CACHE = False
    assert "due tomorrow" in text(patient_client.get("/me/"))
    assert not [key for key in cache._cache if ":frag:" in key]


def test_pages_work_while_the_cache_server_is_down(settings, clinician_client, patient, regimen,
                                                   caplog):
    """Redis restarting must not take the clinic down: fragments are rendered instead."""
    # Django resets its cache handlers when CACHES changes (and again when the test ends).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens
    response = clinician_client.get("/clinic/")
    assert response.status_code == 200 and "Pat Lee" in response.content.decode()
    assert clinician_client.get(url(patient)).status_code == 200
    assert "Fragment cache unavailable" in caplog.text



# --- The dashboard's cached ranking ---------------------------------------------------------------

def dashboard_names(client) -> list[str]:
    return [p.user.first_name for p in client.get("/clinic/").context["board"].patients]


def test_the_cached_ranking_follows_alerts_and_care_team_changes_at_once(
    clinician_client, clinician, patient, regimen, outsider_patient
):
    from b12care.accounts.models import CareTeamMembership
    from b12care.accounts.services import care_team_add

    calm = CareTeamFactory(clinician=clinician, patient__user__first_name="Abe",
                           patient__user__last_name="Aaron").patient
    refresh_triage_state([calm.pk, outsider_patient.pk], now=NOW)
    assert dashboard_names(clinician_client) == ["Abe", "Pat"]  # by name
    assert dashboard_names(clinician_client) == ["Abe", "Pat"]  # served from the cache

    record_findings(patient, [Finding("neuro_worsening", "urgent", "numb", "p", "worse")],
                    now=NOW)
    assert dashboard_names(clinician_client) == ["Pat", "Abe"]  # urgent first, at once

    care_team_add(patient=outsider_patient, clinician=clinician, added_by=None)
    assert "Olive" in dashboard_names(clinician_client)  # joined the team

    zed = CareTeamFactory(patient__user__first_name="Zed").patient  # another team's patient
    refresh_triage_state([zed.pk], now=NOW)
    assert "Zed" not in dashboard_names(clinician_client)
    # Swap one patient for another: the same number of patients, no data written.
    CareTeamMembership.objects.filter(patient=calm, clinician=clinician).delete()
    care_team_add(patient=zed, clinician=clinician, added_by=None)
    names = dashboard_names(clinician_client)
    assert "Zed" in names and "Abe" not in names


def test_the_cached_ranking_re_ranks_as_time_passes(
    clinician_client, clinician, patient, regimen
):
    calm = CareTeamFactory(clinician=clinician, patient__user__first_name="Abe",
                           patient__user__last_name="Aaron").patient
    refresh_triage_state([calm.pk], now=NOW)
    assert dashboard_names(clinician_client) == ["Abe", "Pat"]
    # Two days later Pat's pre-treatment blood test (due by 25 Nov) is overdue; nothing was
    # written in between, so only the clock moved him up.
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        board = clinician_client.get("/clinic/").context["board"]
    assert [p.user.first_name for p in board.patients] == ["Pat", "Abe"]
    assert board.groups[0][0] == "Overdue blood tests" and board.counts["overdue_lab"] == 1


def test_the_cached_ranking_sees_one_patient_swapped_for_another(
    clinician_client, clinician, patient, regimen, monkeypatch
):
    """Same number of patients, same data versions, pages still full: the care-team row
    in the fingerprint shows the change."""
    from b12care.accounts.models import CareTeamMembership
    from b12care.accounts.services import care_team_add
    from b12care.clinic import triage

    monkeypatch.setattr(triage, "PAGE_SIZE", 2)
    abe = CareTeamFactory(clinician=clinician, patient__user__first_name="Abe",
                          patient__user__last_name="Aaron").patient
    yul = CareTeamFactory(clinician=clinician, patient__user__first_name="Yul",
                          patient__user__last_name="Young").patient  # on page 2
    zed = CareTeamFactory(patient__user__first_name="Zed",
                          patient__user__last_name="Adams").patient  # another team's
    refresh_triage_state([abe.pk, yul.pk, zed.pk], now=NOW)
    assert dashboard_names(clinician_client) == ["Abe", "Pat"]
    CareTeamMembership.objects.filter(patient=yul, clinician=clinician).delete()
    care_team_add(patient=zed, clinician=clinician, added_by=None)
    assert dashboard_names(clinician_client) == ["Abe", "Zed"]
