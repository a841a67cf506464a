"""Questions after an injection (G1 items 8 and 9): the post-dose check-in and the site
follow-up, on fixed clocks, through the services and the patient's pages."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from b12care.alerts.models import Alert, Notification
from injections import followups, services
from injections.models import FollowUpKind, FollowUpSettings, InjectionFollowUp

from .conftest import NOW, injection_values

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
CHECKIN_DUE = NOW + dt.timedelta(minutes=30)
SITE_DUE = NOW + dt.timedelta(hours=48)


def log(patient, **overrides):
    with time_machine.travel(NOW, tick=False):  # created_at: the 24 h edit lock starts now
        return services.injection_record(patient=patient, recorded_by=patient.user, now=NOW,
                                         **injection_values(**overrides)).injection


def home(client, at):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("patient_home")).content.decode()


def post(client, url, at, **data):
    with time_machine.travel(at, tick=False):
        return client.post(url, data)


def checkin_url(injection):
    return reverse("injections:checkin", args=[injection.pk])


def site_url(injection):
    return reverse("injections:site", args=[injection.pk])


# --- Post-dose check-in -------------------------------------------------------------------------

def test_a_carer_given_injection_stores_a_check_in_at_30_minutes_and_a_site_follow_up_at_48_h(
        patient):
    injection = log(patient, administered_by="carer")
    due = dict(InjectionFollowUp.objects.filter(injection=injection).values_list("kind",
                                                                                 "due_at"))
    assert due == {"checkin": CHECKIN_DUE, "site": SITE_DUE}


def test_a_self_given_injection_is_checked_in_too(ready_for_self):
    injection = log(ready_for_self, administered_by="self")
    assert followups.checkin_of(injection).due_at == CHECKIN_DUE


def test_a_nurse_given_injection_gets_no_check_in_only_the_site_follow_up(patient):
    injection = log(patient, administered_by="nurse")
    assert list(InjectionFollowUp.objects.filter(injection=injection)
                .values_list("kind", flat=True)) == ["site"]


def test_the_check_in_delay_is_the_admins_setting(patient):
    FollowUpSettings.objects.create(pk=1, checkin_delay_minutes=45, site_followup_hours=72)
    injection = log(patient, administered_by="carer")
    assert followups.checkin_of(injection).due_at == NOW + dt.timedelta(minutes=45)
    assert followups.site_followup_of(injection).due_at == NOW + dt.timedelta(hours=72)


def test_the_home_asks_the_check_in_from_30_minutes_not_before(patient_client, patient):
    log(patient, administered_by="carer")
    assert 'data-testid="checkin-card"' not in home(patient_client, CHECKIN_DUE - SECOND)
    page = home(patient_client, CHECKIN_DUE)
    assert 'data-testid="checkin-card"' in page and "call 999 now" in page


def test_the_home_never_asks_the_check_in_after_a_nurse_given_dose(patient_client, patient):
    injection = log(patient, administered_by="nurse")
    assert 'data-testid="checkin-card"' not in home(patient_client, CHECKIN_DUE)
    with time_machine.travel(CHECKIN_DUE, tick=False):
        assert patient_client.get(checkin_url(injection)).status_code == 404


def test_the_check_in_page_puts_the_emergency_call_on_the_same_page(patient_client, patient):
    injection = log(patient, administered_by="carer")
    with time_machine.travel(CHECKIN_DUE, tick=False):
        page = patient_client.get(checkin_url(injection)).content.decode()
    assert 'href="tel:999"' in page and "Call 999 now" in page
    assert "Swelling of your face, lips or throat" in page


def test_yes_raises_the_anaphylaxis_alert_exactly_once(patient_client, patient, clinician):
    injection = log(patient, administered_by="carer")
    response = post(patient_client, checkin_url(injection), CHECKIN_DUE, answer="yes")
    assert response.url == reverse("alerts:guidance")
    again = post(patient_client, checkin_url(injection), CHECKIN_DUE + SECOND, answer="yes")
    assert again.url == reverse("alerts:guidance")
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.dedup_key) == ("systemic_reaction",
                                                  f"systemic_reaction:injection:{injection.pk}")
    assert "post-dose check-in" in alert.clinician_message
    assert Notification.objects.filter(recipient=clinician).count() == 2  # email + in-app once
    with time_machine.travel(CHECKIN_DUE, tick=False):
        guidance = patient_client.get(reverse("alerts:guidance")).content.decode()
    assert "Call emergency services now: 999" in guidance


def test_no_closes_the_check_in_and_raises_nothing(patient_client, patient):
    injection = log(patient, administered_by="carer")
    response = post(patient_client, checkin_url(injection), CHECKIN_DUE, answer="no")
    assert response.url == reverse("patient_home")
    assert followups.checkin_of(injection).answer == "no"
    assert not Alert.objects.exists()
    assert 'data-testid="checkin-card"' not in home(patient_client, CHECKIN_DUE + SECOND)


def test_yes_after_no_still_raises_the_alert(patient_client, patient):
    injection = log(patient, administered_by="carer")
    post(patient_client, checkin_url(injection), CHECKIN_DUE, answer="no")
    post(patient_client, checkin_url(injection), CHECKIN_DUE + dt.timedelta(minutes=20),
         answer="yes")
    assert Alert.objects.get().rule.code == "systemic_reaction"


def test_an_unanswered_check_in_lapses_without_escalation(patient_client, patient):
    log(patient, administered_by="carer")
    later = CHECKIN_DUE + followups.CHECKIN_SHOWN_FOR
    assert 'data-testid="checkin-card"' not in home(patient_client, later)
    assert not Alert.objects.exists() and not Notification.objects.exists()


def test_a_hostile_answer_gets_a_message_and_saves_nothing(patient_client, patient):
    injection = log(patient, administered_by="carer")
    response = post(patient_client, checkin_url(injection), CHECKIN_DUE, answer="<script>")
    assert response.status_code == 400
    assert "Choose one of the buttons below." in response.content.decode()
    assert followups.checkin_of(injection).answer == ""


def test_another_patients_or_a_clinicians_check_in_is_not_found(client, patient, clinician,
                                                                 outsider_patient):
    injection = log(patient, administered_by="carer")
    for user in (outsider_patient.user, clinician):
        client.force_login(user)
        assert post(client, checkin_url(injection), CHECKIN_DUE, answer="yes").status_code == 404
        assert post(client, site_url(injection), SITE_DUE, answer="yes").status_code == 404
    assert not Alert.objects.exists()


def test_a_nurse_given_edit_drops_the_unanswered_check_in(patient):
    injection = log(patient, administered_by="carer")
    services.injection_update(injection=injection, by=patient.user, now=NOW,
                              administered_by="nurse")
    assert followups.checkin_of(injection) is None
    assert followups.site_followup_of(injection).pk is not None


# --- Site follow-up -----------------------------------------------------------------------------

def test_the_home_asks_about_the_site_from_48_h(patient_client, patient):
    log(patient, administered_by="nurse")
    assert 'data-testid="site-card"' not in home(patient_client, SITE_DUE - SECOND)
    assert 'data-testid="site-card"' in home(patient_client, SITE_DUE)


def test_a_sore_site_reported_from_the_injection_page_at_72_h_raises_a_review_alert(
        patient_client, patient, clinician):
    injection = log(patient, administered_by="nurse", site="left_deltoid")
    at = NOW + dt.timedelta(hours=72)
    assert not services.can_change(injection, patient.user, now=at)  # past the edit lock
    with time_machine.travel(at, tick=False):
        assert "How is the site?" in patient_client.get(
            reverse("injections:overview")).content.decode()
    response = post(patient_client, site_url(injection), at, answer="yes")
    assert response.url == site_url(injection)
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.severity) == ("injection_site_infection", "review")
    assert "72 h after the injection" in alert.clinician_message


def test_a_site_answer_at_exactly_48_h_is_not_more_than_48_h(patient):
    injection = log(patient, administered_by="nurse")
    followups.site_followup_answer(injection=injection, problem=True, by=patient.user,
                                   now=SITE_DUE)
    assert not Alert.objects.exists()
    other = log(patient, administered_by="nurse", taken_at=NOW - dt.timedelta(hours=2))
    followups.site_followup_answer(injection=other, problem=True, by=patient.user,
                                   now=SITE_DUE - dt.timedelta(hours=2) + SECOND)
    assert Alert.objects.get().rule.code == "injection_site_infection"


def test_a_site_cannot_be_reported_before_the_follow_up_is_due(patient_client, patient):
    injection = log(patient, administered_by="nurse")
    response = post(patient_client, site_url(injection), SITE_DUE - SECOND, answer="yes")
    assert response.status_code == 400
    assert "two days after the injection" in response.content.decode()
    assert followups.site_followup_of(injection).answer == ""


def test_site_rotation_skips_a_sore_site_until_the_patient_clears_it(patient_client, patient):
    for n, site in enumerate(("right_vastus_lateralis", "left_ventrogluteal",
                              "right_ventrogluteal", "left_deltoid", "right_deltoid")):
        log(patient, site=site, taken_at=NOW - dt.timedelta(days=20 - n))
    sore = log(patient, site="left_vastus_lateralis", taken_at=NOW - dt.timedelta(days=30))
    at = NOW + dt.timedelta(days=3)
    assert services.suggest_site(patient, now=at).site == "left_vastus_lateralis"
    post(patient_client, site_url(sore), at, answer="yes")
    suggestion = services.suggest_site(patient, now=at)
    assert suggestion.site == "right_vastus_lateralis"
    assert "still sore" in suggestion.avoid["left_vastus_lateralis"]
    later = at + dt.timedelta(days=10)  # long after the 7 days of ticked reactions
    assert services.suggest_site(patient, now=later).site == "right_vastus_lateralis"
    with time_machine.travel(later, tick=False):
        patient_client.force_login(patient.user)  # a fresh session ten days on
        assert "The site is fine now" in patient_client.get(site_url(sore)).content.decode()
    post(patient_client, site_url(sore), later, answer="no")
    assert services.suggest_site(patient, now=later).site == "left_vastus_lateralis"


def test_a_site_follow_up_no_closes_it_without_an_alert(patient_client, patient):
    injection = log(patient, administered_by="nurse")
    post(patient_client, site_url(injection), SITE_DUE, answer="no")
    assert followups.site_followup_of(injection).answer == "no"
    assert 'data-testid="site-card"' not in home(patient_client, SITE_DUE + SECOND)
    assert not Alert.objects.exists()


def test_an_entry_logged_before_follow_ups_existed_can_still_report_its_site(patient):
    injection = log(patient, administered_by="nurse")
    InjectionFollowUp.objects.all().delete()
    followups.site_followup_answer(injection=injection, problem=True, by=patient.user,
                                   now=SITE_DUE + SECOND)
    assert InjectionFollowUp.objects.get().kind == FollowUpKind.SITE
    assert Alert.objects.get().rule.code == "injection_site_infection"
