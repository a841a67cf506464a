"""Guard rails through the forms: the patient's log form, the clinician's phase form, the
admin's template and regimen phases, and the home's one-tap "Taken now" only when it is due."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from injections import protocols, services
from injections.models import DoseStatus, Injection, PlannedDose, ProtocolTemplate

from .conftest import NOW, injection_values
from .test_views import log_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def confirmed(response, data):
    """The same entry again, with the box ticked for what the page asked to confirm."""
    return {**data, "confirm": "on",
            "confirmed_for": response.context["form"].data["confirmed_for"]}


# --- The patient's log form -------------------------------------------------------------------

def test_a_dose_other_than_the_phases_is_saved_only_after_confirmation(patient_client, regimen):
    data = log_form(dose="2", notes="Left leg, felt fine")
    response = patient_client.post(reverse("injections:log"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 mg is 2× your usual 1 mg. Is that right?" in page
    assert "Yes, this is right: save it" in page
    assert "Left leg, felt fine" in page  # nothing typed is lost
    assert not Injection.objects.exists()
    response = patient_client.post(reverse("injections:log"), confirmed(response, data))
    assert response.status_code == 302
    assert Injection.objects.get().dose == 2


def test_a_usual_dose_at_the_due_time_saves_without_a_question(patient_client, regimen):
    response = patient_client.post(reverse("injections:log"), log_form())
    assert response.status_code == 302
    assert PlannedDose.objects.filter(status=DoseStatus.TAKEN).count() == 1


def test_a_confirmation_does_not_carry_over_to_a_changed_dose(patient_client, regimen):
    first = patient_client.post(reverse("injections:log"), log_form(dose="2"))
    response = patient_client.post(reverse("injections:log"),
                                   confirmed(first, log_form(dose="3")))
    assert "3 mg is 3× your usual 1 mg" in response.content.decode()
    assert not Injection.objects.exists()


@pytest.mark.parametrize("extra", [
    {}, {"confirm": "on", "confirmed_for": "forged"}, {"confirm": "on", "timing": "extra"},
])
def test_a_dose_far_outside_the_range_is_refused_whatever_the_form_says(patient_client,
                                                                        regimen, extra):
    response = patient_client.post(reverse("injections:log"), log_form(dose="1000", **extra))
    page = response.content.decode()
    assert response.status_code == 200
    assert "1000 mg is far above any hydroxocobalamin injection (at most 5 mg)" in page
    assert "Did you mean 1000 µg?" in page
    assert not Injection.objects.exists()


def test_the_service_refuses_a_dose_above_the_limit_too(patient, clinician, regimen):
    with pytest.raises(ValidationError) as caught:
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(dose="5.01"))
    assert "far above" in str(caught.value)
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(dose="5", taken_at=NOW - dt.timedelta(days=2)))


def test_a_second_injection_within_24_hours_needs_confirmation(patient_client, patient,
                                                               clinician, regimen):
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(taken_at=NOW - dt.timedelta(hours=2)))
    data = log_form(taken_at="2026-11-24T09:30", timing="extra")
    response = patient_client.post(reverse("injections:log"), data)
    page = response.content.decode()
    assert "An injection is already logged on Tue 24 Nov at 08:00, 1 hour before this one" in page
    assert Injection.objects.count() == 1
    response = patient_client.post(reverse("injections:log"), confirmed(response, data))
    assert response.status_code == 302
    assert Injection.objects.count() == 2


def test_a_double_submit_is_not_taken_for_a_second_injection(patient_client, regimen):
    patient_client.post(reverse("injections:log"), log_form())
    response = patient_client.post(reverse("injections:log"), log_form(), follow=True)
    assert "already recorded" in response.content.decode()


@pytest.fixture
def far_dose(patient, clinician):
    """Prophylaxis (1 mg every 3 months) whose first dose is 47 days away, Sun 10 Jan 2027."""
    return services.regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=protocols.PROPHYLAXIS),
        start_date=dt.date(2027, 1, 10), time_of_day=dt.time(9, 0), created_by=clinician,
        now=NOW,
    )


def test_a_dose_long_before_its_due_time_asks_early_or_extra(patient_client, far_dose):
    response = patient_client.post(reverse("injections:log"), log_form())
    page = response.content.decode()
    assert "Your next dose is not due until Sun 10 Jan 2027" in page
    assert "My next dose, taken early" in page and "An extra dose" in page
    assert "Choose whether this is your next dose taken early or an extra dose" in page
    assert not Injection.objects.exists()


@pytest.mark.parametrize(("answer", "status"), [("early", DoseStatus.TAKEN),
                                                ("extra", DoseStatus.OPEN)])
def test_the_early_or_extra_answer_is_recorded(patient_client, far_dose, answer, status):
    response = patient_client.post(reverse("injections:log"), log_form(timing=answer))
    assert response.status_code == 302
    injection = Injection.objects.get()
    assert injection.timing == answer
    assert PlannedDose.objects.order_by("due_at").first().status == status


def test_a_timing_answer_is_not_recorded_when_the_question_was_not_asked(patient_client,
                                                                         regimen):
    patient_client.post(reverse("injections:log"), log_form(timing="extra"))
    assert Injection.objects.get().timing == ""


def test_correcting_an_entry_asks_nothing_new(patient_client, regimen):
    patient_client.post(reverse("injections:log"), log_form())
    injection = Injection.objects.get()
    response = patient_client.post(reverse("injections:edit", args=[injection.pk]),
                                   log_form(notes="Left thigh, fine", form_token=""))
    assert response.status_code == 302
    injection.refresh_from_db()
    assert injection.notes == "Left thigh, fine" and injection.planned_dose.sequence == 1


def test_correcting_an_early_dose_keeps_its_answer(patient_client, far_dose):
    patient_client.post(reverse("injections:log"), log_form(timing="early"))
    injection = Injection.objects.get()
    response = patient_client.post(reverse("injections:edit", args=[injection.pk]),
                                   log_form(notes="Early, as agreed", form_token=""))
    assert response.status_code == 302
    injection.refresh_from_db()
    assert injection.timing == "early" and injection.planned_dose is not None


# --- The home: "Taken now" only when it is due ---------------------------------------------------

def test_a_dose_47_days_away_has_no_log_this_dose_button(patient_client, far_dose):
    page = patient_client.get(reverse("patient_home")).content.decode()
    assert "Log this dose" not in page
    assert "Next dose: Sun 10 Jan" in page
    assert 'class="btn btn-outline-secondary w-100" href="/injections/log/">Log an injection' \
        in page


def test_a_dose_whose_window_is_open_has_the_taken_now_button(patient_client, regimen):
    page = patient_client.get(reverse("patient_home")).content.decode()
    assert "Taken now" in page and "Log with more details" in page
    assert "Next dose:" not in page


# --- The clinician's phase form ----------------------------------------------------------------

def phase_data(**overrides):
    data = {"kind": "maintenance", "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
            "repeat": "months", "interval": "3", "time_of_day": "09:00", "start_date": "",
            "end_kind": "open", "count": "", "until": "", "note": "", "save": "1"}
    return {**data, **overrides}


def test_a_clinician_changing_a_phase_dose_confirms_it(clinician_client, patient, regimen):
    maintenance = regimen.phases.get(order=2)
    url = reverse("injections:phase_edit", args=[patient.pk, maintenance.pk])
    data = phase_data(dose="2")
    response = clinician_client.post(url, data)
    page = response.content.decode()
    assert "2 mg is 2× the phase&#x27;s current dose of 1 mg. Is that right?" in page
    assert "outside the usual hydroxocobalamin dose of 1 mg" in page
    maintenance.refresh_from_db()
    assert maintenance.dose == 1
    assert clinician_client.post(url, confirmed(response, data)).status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.dose == 2


def test_a_preview_shows_the_warning_without_blocking(clinician_client, patient, regimen):
    maintenance = regimen.phases.get(order=2)
    url = reverse("injections:phase_edit", args=[patient.pk, maintenance.pk])
    data = {k: v for k, v in phase_data(dose="2").items() if k != "save"}
    page = clinician_client.post(url, {**data, "preview": "1"})
    assert "Preview: next doses" in page.content.decode()
    assert "2 mg is 2×" in page.content.decode()


def test_a_clinician_cannot_set_a_phase_dose_of_1000_mg(clinician_client, patient, regimen):
    maintenance = regimen.phases.get(order=2)
    url = reverse("injections:phase_edit", args=[patient.pk, maintenance.pk])
    response = clinician_client.post(url, phase_data(dose="1000", confirm="on"))
    assert "1000 mg is far above" in response.content.decode()
    maintenance.refresh_from_db()
    assert maintenance.dose == 1


# --- The admin: template phases and regimen phases ---------------------------------------------

def template_admin_data(template, **phase_overrides):
    phase = template.phases.get()
    row = {"id": phase.pk, "template": template.pk, "order": "1", "kind": "maintenance",
           "product": "hydroxocobalamin", "dose": "1", "unit": "mg", "repeat": "months",
           "interval": "3", "weekdays": "", "end_kind": "open", "count": "", "note": "",
           "until_after_days": "", **phase_overrides}
    data = {"name": template.name, "slug": template.slug, "source": template.source,
            "is_active": "on", "position": str(template.position),
            "phases-TOTAL_FORMS": "1", "phases-INITIAL_FORMS": "1",
            "phases-MIN_NUM_FORMS": "0", "phases-MAX_NUM_FORMS": "1000"}
    data.update({f"phases-0-{k}": v for k, v in row.items()})
    return data


@pytest.mark.parametrize(("overrides", "saved", "message"), [
    ({"dose": "6"}, False, "6 mg is far above any hydroxocobalamin injection"),
    ({"dose": "6", "confirm_dose": "on"}, False, "6 mg is far above"),
    ({"dose": "2"}, False, "2 mg is 2× the saved dose of 1 mg"),
    ({"dose": "2", "confirm_dose": "on"}, True, ""),
    ({"dose": "1000", "unit": "microgram"}, True, ""),
])
def test_the_admin_checks_a_template_phase_dose(client, admin_user, overrides, saved, message):
    template = ProtocolTemplate.objects.get(slug=protocols.PROPHYLAXIS)
    client.force_login(admin_user)
    url = reverse("admin:injections_protocoltemplate_change", args=[template.pk])
    response = client.post(url, template_admin_data(template, **overrides))
    assert (response.status_code == 302) is saved, response.content.decode()[-3000:]
    if message:
        assert message in response.content.decode()
    stored = template.phases.get()
    expected = (overrides["dose"], overrides.get("unit", "mg")) if saved else ("1", "mg")
    assert (stored.dose, stored.unit) == (Decimal(expected[0]), expected[1])


def test_an_early_dose_says_so_after_saving_and_in_the_history(patient_client, far_dose):
    response = patient_client.post(reverse("injections:log"), log_form(timing="early"),
                                   follow=True)
    assert "Injection recorded for maintenance dose 1, taken early." in response.content.decode()
    history = patient_client.get(reverse("injections:overview")).content.decode()
    assert "Maintenance dose 1, taken early" in history


def test_a_clinician_logging_for_the_patient_is_asked_about_their_usual_dose(
    clinician_client, patient, regimen
):
    url = reverse("injections:log_for_patient", args=[patient.pk])
    page = clinician_client.post(url, log_form(dose="2")).content.decode()
    assert "2 mg is 2× their usual 1 mg. Is that right?" in page
    assert not Injection.objects.exists()
