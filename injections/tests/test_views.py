"""Pages: what patients and clinicians see, and that outsiders get 404 everywhere."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from b12care.alerts.lifecycle import findings_record
from b12care.alerts.rules import Finding
from injections import services
from injections.models import DoseStatus, Injection, PlannedDose, Regimen

from .conftest import NOW, injection_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def clinician_urls(patient_id, phase_id=1):
    return [
        reverse("injections:patient_regimen", args=[patient_id]),
        reverse("injections:patient_history", args=[patient_id]),
        reverse("injections:regimen_new", args=[patient_id]),
        reverse("injections:phase_add", args=[patient_id]),
        reverse("injections:phase_edit", args=[patient_id, phase_id]),
        reverse("injections:phase_end", args=[patient_id, phase_id]),
        reverse("injections:readiness", args=[patient_id]),
        reverse("injections:log_for_patient", args=[patient_id]),
    ]


def log_form(**overrides):
    data = {
        "taken_at": "2026-11-24T09:30", "site": "left_vastus_lateralis",
        "administered_by": "nurse", "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
        "lot_number": "", "expiry_date": "", "pain": "2", "notes": "", "form_token": "tok-1",
    }
    data.update(overrides)
    return data


# --- Access --------------------------------------------------------------------------------

def test_an_outside_clinician_gets_404_on_every_clinician_page(client, regimen, patient,
                                                               outsider_clinician):
    client.force_login(outsider_clinician)
    phase = regimen.phases.first()
    for url in clinician_urls(patient.pk, phase.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"save": "1"}).status_code == 404, url


def test_a_patient_gets_404_on_clinician_pages_even_their_own(patient_client, regimen, patient):
    for url in clinician_urls(patient.pk, regimen.phases.first().pk):
        assert patient_client.get(url).status_code == 404, url


def test_a_clinician_gets_404_on_patient_only_pages(clinician_client):
    for name in ("injections:overview", "injections:log", "injections:supply"):
        assert clinician_client.get(reverse(name)).status_code == 404


def test_another_patients_entry_is_404_for_edit_and_delete(client, patient, clinician,
                                                           outsider_patient, outsider_clinician):
    injection = services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                          **injection_values()).injection
    for user in (outsider_patient.user, outsider_clinician):
        client.force_login(user)
        for name in ("injections:edit", "injections:delete"):
            assert client.get(reverse(name, args=[injection.pk])).status_code == 404
            assert client.post(reverse(name, args=[injection.pk])).status_code == 404
    assert Injection.objects.filter(pk=injection.pk).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, patient):
    response = client.get(reverse("injections:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- Patient pages -------------------------------------------------------------------------

def test_the_home_shows_the_first_dose_due_and_a_one_tap_log_button(patient_client, regimen):
    page = patient_client.get(reverse("patient_home")).content.decode()
    assert "Induction dose 1 of 6" in page
    assert "due tomorrow" in page
    dose = PlannedDose.objects.order_by("due_at").first()
    assert f"{reverse('injections:log')}?dose={dose.pk}" in page


def test_the_home_says_to_ask_the_clinic_after_a_missed_dose(patient_client, regimen, patient):
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        patient_client.force_login(patient.user)  # days later: a new session
        page = patient_client.get(reverse("patient_home")).content.decode()
    assert "ask your clinic when to take the next dose" in page.lower()
    assert "(induction dose 1 of 6, due Wed 25 Nov)" in page
    assert "Induction dose 2 of 6</strong>" in page


def test_the_home_without_a_regimen_explains_what_will_happen(patient_client):
    page = patient_client.get(reverse("patient_home")).content.decode()
    assert "has not set up your injection schedule yet" in page


def test_logging_a_dose_records_it_against_the_planned_dose(patient_client, regimen, patient):
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC), tick=False):
        patient_client.force_login(patient.user)  # the next day: a new session
        response = patient_client.post(reverse("injections:log"),
                                       log_form(taken_at="2026-11-25T09:15"), follow=True)
    assert "Injection recorded for induction dose 1 of 6" in response.content.decode()
    dose = PlannedDose.objects.order_by("due_at").first()
    # A mis-tap is put right from the confirmation itself.
    edit = reverse("injections:edit", args=[dose.injection.pk])
    assert f'<a href="{edit}">Wrong? Change or remove it</a>' in response.content.decode()
    assert dose.status == DoseStatus.TAKEN
    assert dose.injection.taken_at == dt.datetime(2026, 11, 25, 9, 15, tzinfo=dt.UTC)


def test_a_double_submit_of_the_log_form_records_one_injection(patient_client, patient):
    patient_client.post(reverse("injections:log"), log_form())
    response = patient_client.post(reverse("injections:log"), log_form(), follow=True)
    assert Injection.objects.count() == 1
    assert "already recorded" in response.content.decode()


def test_the_log_form_suggests_a_site_and_hides_self_until_ready(patient_client, patient):
    page = patient_client.get(reverse("injections:log")).content.decode()
    assert "Suggested site: <strong>Left outer thigh (vastus lateralis)</strong>" in page
    assert 'value="self"' not in page
    assert "Alex Jones" in page  # whom to ask


def test_a_patient_choosing_self_before_training_sees_why(patient_client, patient):
    response = patient_client.post(reverse("injections:log"), log_form(administered_by="self"))
    assert response.status_code == 200
    assert not Injection.objects.exists()


def test_a_refused_entry_is_shown_again_without_the_self_option_for_an_untrained_patient(
    patient_client, patient
):
    response = patient_client.post(reverse("injections:log"),
                                   log_form(taken_at="2026-11-24T12:00"))
    page = response.content.decode()
    assert "cannot be in the future" in page and 'value="self"' not in page
    assert "Alex Jones" in page  # whom to ask about self-injection
    assert 'value="2026-11-24T12:00"' in page  # what the patient typed is kept


def test_logging_costs_the_same_queries_whatever_the_history(client, clinician):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from b12care.accounts.tests.factories import CareTeamFactory
    from b12care.clinic.tests.test_review import NOW as HISTORY_NOW
    from b12care.clinic.tests.test_review import history

    counts = []
    for older_injections in (0, 300):
        patient = CareTeamFactory(clinician=clinician).patient
        history(patient, clinician, days=30)
        first = HISTORY_NOW - dt.timedelta(days=400)
        Injection.objects.bulk_create(
            Injection(patient=patient, taken_at=first + dt.timedelta(hours=6 * n),
                      **{k: v for k, v in injection_values().items() if k != "taken_at"})
            for n in range(older_injections))
        with time_machine.travel(HISTORY_NOW, tick=False):
            client.force_login(patient.user)
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(reverse("injections:log"), log_form(
                    taken_at="2026-11-24T10:00", form_token=f"t{older_injections}"))
        assert response.status_code == 302 and "/accounts/login/" not in response.url
        counts.append(len(ctx.captured_queries))
    # session, user, profile, then in one transaction: the token check, the injection and its
    # history row, dose matching, the dose read models (lock, on-time flags, phase counters,
    # summary), the follow-up questions (their settings row and one insert), the red-flag
    # rules' data and alert upserts, the triage state; then the "recorded" message saved with
    # the session (messages live on the server: one UPDATE, in a savepoint inside the test's
    # transaction). Before the transaction, the dose guard rails (injections/plausibility.py)
    # read the dose the entry would fulfil and the injections close to it (2). The audit row
    # of the write and the supply's history rows come with the append-only audit (F2).
    assert counts[0] == counts[1] <= 38, counts


def test_a_trained_patient_can_log_a_self_injection(patient_client, ready_for_self):
    page = patient_client.get(reverse("injections:log")).content.decode()
    assert 'value="self"' in page
    patient_client.post(reverse("injections:log"), log_form(administered_by="self"))
    assert Injection.objects.get().administered_by == "self"


def test_a_future_time_is_refused_with_a_clear_message(patient_client, patient):
    response = patient_client.post(reverse("injections:log"),
                                   log_form(taken_at="2026-11-24T12:00"))
    assert "cannot be in the future" in response.content.decode()
    assert not Injection.objects.exists()


def test_an_expired_batch_is_saved_with_a_warning(patient_client, patient):
    response = patient_client.post(reverse("injections:log"),
                                   log_form(lot_number="X1", expiry_date="2026-01-01"),
                                   follow=True)
    assert "expired" in response.content.decode()
    assert Injection.objects.count() == 1


def test_an_urgent_finding_sends_the_patient_to_guidance(patient_client, patient, monkeypatch):
    class Finding:
        severity = "urgent"

    monkeypatch.setattr("b12care.core.events.patient_data_changed",
                        lambda *a, **k: [Finding()])
    response = patient_client.post(reverse("injections:log"),
                                   log_form(systemic_reactions=["breathing_difficulty"]))
    injection = Injection.objects.get()
    assert injection.breathing_difficulty
    try:
        expected = reverse("alerts:guidance")
    except Exception:
        expected = reverse("patient_home")
    assert response.url == expected


def test_the_overview_lists_history_with_constant_queries(patient_client, patient, clinician,
                                                          regimen, django_assert_max_num_queries):
    def load():
        return patient_client.get(reverse("injections:overview"))

    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values())
    load()
    with django_assert_max_num_queries(40) as few:
        load()
    for days in range(2, 30):
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(taken_at=NOW - dt.timedelta(days=days)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = load()
    assert "Page 1 of 2" in response.content.decode()


def test_a_patient_can_edit_an_entry_within_24_hours_but_not_later(patient_client, patient):
    patient_client.post(reverse("injections:log"), log_form())
    injection = Injection.objects.get()
    url = reverse("injections:edit", args=[injection.pk])
    assert patient_client.get(url).status_code == 200
    patient_client.post(url, log_form(pain="7"))
    injection.refresh_from_db()
    assert injection.pain == 7
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        patient_client.force_login(patient.user)  # the next day: a new session
        response = patient_client.post(url, log_form(pain="1"), follow=True)
    assert "only be changed by your clinic" in response.content.decode()
    injection.refresh_from_db()
    assert injection.pain == 7


def test_the_history_offers_a_patient_edit_and_delete_only_within_24_hours(patient_client,
                                                                          patient):
    patient_client.post(reverse("injections:log"), log_form())
    injection = Injection.objects.get()
    links = (reverse("injections:edit", args=[injection.pk]),
             reverse("injections:delete", args=[injection.pk]))
    page = patient_client.get(reverse("injections:overview")).content.decode()
    assert all(link in page for link in links)
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        patient_client.force_login(patient.user)  # the next day: a new session
        page = patient_client.get(reverse("injections:overview")).content.decode()
    assert "Tue 24 Nov 2026, 09:30" in page  # still listed
    assert not any(link in page for link in links)
    assert "Edit<span" not in page and "Delete<span" not in page


def test_the_history_always_offers_the_clinician_edit_and_delete(client, patient, clinician):
    injection = services.injection_record(patient=patient, recorded_by=patient.user, now=NOW,
                                          **injection_values()).injection
    url = reverse("injections:patient_history", args=[patient.pk])
    with time_machine.travel(NOW + dt.timedelta(days=400), tick=False):
        client.force_login(clinician)
        page = client.get(url).content.decode()
    assert reverse("injections:edit", args=[injection.pk]) in page
    assert reverse("injections:delete", args=[injection.pk]) in page


def test_deleting_asks_for_confirmation_first(patient_client, patient):
    patient_client.post(reverse("injections:log"), log_form())
    injection = Injection.objects.get()
    url = reverse("injections:delete", args=[injection.pk])
    assert "Delete this injection?" in patient_client.get(url).content.decode()
    assert Injection.objects.exists()
    patient_client.post(url)
    assert not Injection.objects.exists()


def test_the_patient_updates_their_supply_and_sees_the_forecast(patient_client, regimen):
    response = patient_client.post(reverse("injections:supply"), {"ampoules_on_hand": "2"},
                                   follow=True)
    page = response.content.decode()
    assert "2 ampoules at home" in page
    assert "Low supply" in page


def test_a_negative_supply_count_is_refused(patient_client, patient):
    response = patient_client.post(reverse("injections:supply"), {"ampoules_on_hand": "-3"})
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()


# --- Clinician pages -----------------------------------------------------------------------

def test_the_clinician_previews_then_saves_a_regimen_from_a_template(clinician_client, patient,
                                                                     no_neuro_template):
    url = reverse("injections:regimen_new", args=[patient.pk])
    data = {"template": no_neuro_template.pk, "start_date": "2026-11-24", "time_of_day": "09:00"}
    page = clinician_client.post(url, {**data, "preview": "1"}).content.decode()
    assert "Wed 25 Nov 2026 at 09:00" in page
    assert not Regimen.objects.exists()
    response = clinician_client.post(url, {**data, "save": "1"})
    assert response.status_code == 302
    assert Regimen.objects.get(patient=patient).phases.count() == 2


def test_the_clinician_adjusts_a_phase_with_plain_choices(clinician_client, patient, regimen):
    maintenance = regimen.phases.get(order=2)
    url = reverse("injections:phase_edit", args=[patient.pk, maintenance.pk])
    data = {"kind": "maintenance", "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
            "repeat": "months", "interval": "2", "time_of_day": "10:00", "start_date": "",
            "end_kind": "open", "count": "", "until": "", "note": ""}
    page = clinician_client.post(url, {**data, "preview": "1"}).content.decode()
    assert "Preview: next doses" in page and "Sun 7 Feb 2027" in page
    clinician_client.post(url, {**data, "save": "1"})
    maintenance.refresh_from_db()
    assert maintenance.rrule == "FREQ=MONTHLY;INTERVAL=2"


def test_weekdays_are_required_for_a_weekday_schedule(clinician_client, patient, regimen):
    induction = regimen.phases.get(order=1)
    url = reverse("injections:phase_edit", args=[patient.pk, induction.pk])
    data = {"kind": "induction", "product": "hydroxocobalamin", "dose": "1", "unit": "mg",
            "repeat": "weekdays", "interval": "1", "time_of_day": "09:00",
            "start_date": "2026-11-24", "end_kind": "count", "count": "6", "save": "1"}
    response = clinician_client.post(url, data)
    assert "Choose at least one weekday" in response.content.decode()


def test_the_clinician_ends_an_open_phase(clinician_client, patient, clinician):
    from injections.models import ProtocolTemplate

    regimen = services.regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug="hydroxocobalamin-neuro"),
        start_date=dt.date(2026, 10, 1), time_of_day=dt.time(9), created_by=clinician, now=NOW)
    induction = regimen.phases.get(order=1)
    url = reverse("injections:phase_end", args=[patient.pk, induction.pk])
    assert "End the induction phase?" in clinician_client.get(url).content.decode()
    clinician_client.post(url, {"end_date": "2026-11-24"})
    induction.refresh_from_db()
    assert induction.ended_on == dt.date(2026, 11, 24)
    assert PlannedDose.objects.filter(phase__order=2).exists()


def test_the_clinician_records_readiness_and_self_injection_opens(clinician_client, patient):
    url = reverse("injections:readiness", args=[patient.pk])
    clinician_client.post(url, {"which": "assessment", "a-assessed_on": "2026-11-20",
                                **{f"a-{k}": "on" for k in services.SuitabilityAssessment.ITEMS}})
    assert not services.self_injection_readiness(patient).ready
    clinician_client.post(url, {"which": "training", "t-observed_on": "2026-11-21",
                                **{f"t-{k}": "on" for k in services.TrainingRecord.ITEMS}})
    assert services.self_injection_readiness(patient).ready


def test_the_clinician_logs_on_behalf_of_the_patient(clinician_client, patient, clinician):
    url = reverse("injections:log_for_patient", args=[patient.pk])
    assert "Log an injection for Pat Lee" in clinician_client.get(url).content.decode()
    clinician_client.post(url, log_form())
    injection = Injection.objects.get()
    assert injection.patient == patient and injection.recorded_by == clinician


def test_the_review_section_links_to_the_injection_pages(clinician_client, patient, regimen):
    url = reverse("clinic:patient_detail", args=[patient.pk])
    page = clinician_client.get(url).content.decode()
    assert regimen.name in page
    assert reverse("injections:patient_regimen", args=[patient.pk]) in page


# Session, user, patient, access log; the schedule (regimen with phases, adherence and supply;
# the doses shown; recent injections); readiness (assessment, training, care team); site
# rotation; the unread badge.
REGIMEN_PAGE_QUERIES = 12


def test_the_clinician_regimen_page_has_constant_queries(clinician_client, patient, clinician,
                                                         regimen, django_assert_num_queries):
    url = reverse("injections:patient_regimen", args=[patient.pk])
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values())
    clinician_client.get(url)
    with django_assert_num_queries(REGIMEN_PAGE_QUERIES):
        clinician_client.get(url)
    for days in range(2, 20):
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(taken_at=NOW - dt.timedelta(days=days)))
    with django_assert_num_queries(REGIMEN_PAGE_QUERIES):
        response = clinician_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("hours_late", "overdue"), [(2, False), (23, False), (25, True)])
def test_the_regimen_page_calls_a_dose_overdue_only_once_its_grace_has_passed(
    clinician_client, clinician, patient, regimen, hours_late, overdue
):
    first = PlannedDose.objects.order_by("due_at").first()  # Mon/Wed/Fri: a day's grace
    url = reverse("injections:patient_regimen", args=[patient.pk])
    with time_machine.travel(first.due_at + dt.timedelta(hours=hours_late), tick=False):
        clinician_client.force_login(clinician)  # hours later: a new session
        page = clinician_client.get(url).content.decode()
    assert "Pat Lee" in page  # the page itself, not the sign-in page
    assert ("Overdue: induction dose 1 of 6" in page) is overdue


def test_a_garbled_or_foreign_dose_link_still_opens_the_log_form(patient_client, regimen, client,
                                                                 outsider_patient, clinician):
    assert patient_client.get(reverse("injections:log") + "?dose=abc").status_code == 200
    other = services.regimen_create_from_template(
        patient=outsider_patient, template=regimen.template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(7, 0), created_by=clinician, now=NOW)
    foreign = PlannedDose.objects.filter(regimen=other).first()
    page = patient_client.get(reverse("injections:log") + f"?dose={foreign.pk}").content.decode()
    assert "07:00" not in page  # the other patient's dose is not shown


def test_a_patient_sees_a_clinic_recorded_entry_read_only_and_a_crafted_post_is_refused(
        patient_client, patient, clinician):
    injection = services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                          **injection_values(pain=2)).injection
    edit = reverse("injections:edit", args=[injection.pk])
    delete = reverse("injections:delete", args=[injection.pk])
    page = patient_client.get(reverse("injections:overview")).content.decode()
    assert "Tue 24 Nov 2026" in page and edit not in page and delete not in page
    followed = patient_client.get(edit, follow=True).content.decode()
    assert "Your clinic recorded this entry" in followed
    assert patient_client.post(edit, log_form(pain="9")).status_code == 403
    assert patient_client.post(delete).status_code == 403
    injection.refresh_from_db()
    assert injection.pain == 2


def test_a_reaction_logged_with_an_urgent_alert_open_shows_the_emergency_first_then_the_save(
    patient_client, patient, regimen
):
    """Sam (issue G1): an open "nerve symptoms worse" alert from minutes ago, then an injection
    with breathing difficulty. The emergency comes first, the urgent advice second, and the
    page still confirms the save and shows its own warning."""
    findings_record(patient=patient, now=NOW - dt.timedelta(minutes=5), findings=[Finding(
        "neuro_worsening", "urgent", "neuro_worsening", "Contact your clinician today.",
        "Neurological worsening", ("numbness_hands",))])
    response = patient_client.post(
        reverse("injections:log"),
        log_form(systemic_reactions=["breathing_difficulty"], lot_number="X1",
                 expiry_date="2026-01-01"), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("alerts:guidance")
    emergency = html.index("Call emergency services now: 999")
    urgent = html.index("Contact your clinician today")
    saved = html.index("Injection recorded")
    warning = html.index("expired")
    assert emergency < urgent < saved
    assert emergency < warning


@pytest.mark.parametrize("now", [
    dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC),  # 01:30 EDT, the first 01:30 in New York
    dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),  # 01:30 EST, the same wall time again
])
def test_taken_now_in_the_hour_that_repeats_records_the_moment_of_the_tap(patient_client,
                                                                          patient, now):
    patient.timezone = "America/New_York"
    patient.save(update_fields=["timezone"])
    with time_machine.travel(now, tick=False):
        patient_client.force_login(patient.user)
        response = patient_client.post(reverse("injections:log"),
                                       log_form(taken_at="", taken_now="1"))
    assert response.status_code == 302
    assert Injection.objects.get().taken_at == now
