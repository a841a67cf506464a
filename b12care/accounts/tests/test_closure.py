"""Closing an account: the patient asks with a reason, their clinician or an admin confirms;
the account is then deactivated and every session ends. Records and audit are kept."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from b12care.accounts import services
from b12care.accounts.models import ClosureRequest, ClosureStatus, User

from .signin import sign_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
URL = "/accounts/close/"


def _review_url(patient) -> str:
    return reverse("account_closure_review", args=[patient.pk])


def test_the_request_page_says_what_is_kept_before_the_patient_asks(patient_client):
    page = patient_client.get(URL).content.decode()
    assert "What we must keep" in page
    assert "at least 8 years" in page
    assert "audit trail" in page
    assert "Download all my data first" in page
    assert 'for="id_reason"' in page


def test_the_patient_asks_with_a_reason_and_can_still_sign_in_until_confirmed(
        patient_client, patient):
    with time_machine.travel(NOW, tick=False):
        response = patient_client.post(URL, {"reason": "Moving abroad."}, follow=True)
        home = patient_client.get(reverse("patient_home"))
    assert "Your request is sent to your care team." in response.content.decode()
    request = ClosureRequest.objects.get(patient=patient)
    assert (request.reason, request.status, request.requested_at) == (
        "Moving abroad.", ClosureStatus.OPEN, NOW)
    patient.user.refresh_from_db()
    assert patient.user.is_active
    assert home.status_code == 200


def test_a_reason_is_required_and_bounded(patient_client, patient):
    assert "This field is required" in patient_client.post(URL, {"reason": ""}).content.decode()
    page = patient_client.post(URL, {"reason": "x" * 2001}).content.decode()
    assert "at most 2000 characters" in page
    assert not ClosureRequest.objects.exists()


def test_asking_twice_keeps_one_open_request(patient_client, patient):
    patient_client.post(URL, {"reason": "one"})
    patient_client.post(URL, {"reason": "two"})
    assert ClosureRequest.objects.filter(patient=patient).count() == 1


def test_the_patient_can_withdraw_before_confirmation(patient_client, patient):
    patient_client.post(URL, {"reason": "Not sure"})
    patient_client.post(URL, {"action": "withdraw"})
    assert ClosureRequest.objects.get().status == ClosureStatus.WITHDRAWN
    assert "Ask to close my account" in patient_client.get(URL).content.decode()


def test_the_clinician_confirms_and_the_account_closes_everywhere(client, patient, clinician):
    phone, laptop = Client(), Client()
    for browser in (phone, laptop):
        sign_in(browser, patient.user.email)
    assert UserSession.objects.filter(user=patient.user).count() == 2
    services.closure_request_create(patient=patient, reason="Moving abroad.", now=NOW)
    client.force_login(clinician)
    page = client.get(_review_url(patient)).content.decode()
    assert "Moving abroad." in page
    client.post(_review_url(patient))
    patient.user.refresh_from_db()
    assert not patient.user.is_active
    request = ClosureRequest.objects.get()
    assert (request.status, request.decided_by) == (ClosureStatus.CONFIRMED, clinician)
    assert phone.get(reverse("patient_home")).status_code == 302
    assert laptop.get(reverse("patient_home")).status_code == 302
    assert not UserSession.objects.filter(user=patient.user).exists()
    # The clinical record stays.
    assert type(patient).objects.filter(pk=patient.pk).exists()


def test_an_admin_confirms_in_the_django_admin(client, patient, admin_user):
    request = services.closure_request_create(patient=patient, reason="done", now=NOW)
    client.force_login(admin_user)
    client.post("/admin/accounts/closurerequest/",
                {"action": "confirm", "_selected_action": [request.pk]})
    assert not User.objects.get(pk=patient.user.pk).is_active
    assert client.get(f"/admin/accounts/closurerequest/{request.pk}/delete/").status_code == 403


def test_a_clinician_off_the_care_team_and_other_patients_get_404(
        client, patient, outsider_clinician, outsider_patient):
    services.closure_request_create(patient=patient, reason="r", now=NOW)
    for user in (outsider_clinician, outsider_patient.user):
        client.force_login(user)
        assert client.get(_review_url(patient)).status_code == 404
        assert client.post(_review_url(patient)).status_code == 404
    assert User.objects.get(pk=patient.user.pk).is_active


def test_staff_have_no_request_page_of_their_own(clinician_client):
    assert clinician_client.get(URL).status_code == 404


def test_the_patient_cannot_confirm_their_own_request(patient):
    request = services.closure_request_create(patient=patient, reason="r", now=NOW)
    with pytest.raises(Exception, match="clinician or an administrator"):
        services.closure_confirm(request=request, by=patient.user, now=NOW)
    assert User.objects.get(pk=patient.user.pk).is_active
