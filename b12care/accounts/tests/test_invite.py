"""A clinician invites a patient; the patient sets a password through a one-time link."""

import re

import pytest
from django.core import mail

from b12care.accounts.models import CareTeamMembership, PatientProfile, User

pytestmark = pytest.mark.django_db

FORM = {
    "email": "New.Patient@Example.org",
    "first_name": "Nia",
    "last_name": "Evans",
    "timezone": "America/New_York",
    "country": "US",
    "sex": "female",
    "cause": "pernicious_anaemia",
    "neurological_involvement": "on",
}


def invite(client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/clinic/patients/new/", {**FORM, **changes})


def link_in(message) -> str:
    return re.search(r"http://testserver(/welcome/\S+/)", message.body).group(1)


def test_a_clinician_invites_a_patient_who_joins_their_care_team(
    clinician_client, clinician, django_capture_on_commit_callbacks
):
    response = invite(clinician_client, django_capture_on_commit_callbacks)
    profile = PatientProfile.objects.get(user__email="new.patient@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"/clinic/patients/{profile.pk}/"
    assert profile.timezone == "America/New_York" and profile.neurological_involvement
    assert CareTeamMembership.objects.get(patient=profile).clinician == clinician
    assert not profile.user.has_usable_password()
    assert mail.outbox[0].to == ["new.patient@example.org"]
    assert "choose your password" in mail.outbox[0].body.lower()


def test_the_invitation_link_sets_a_password_once_and_signs_the_patient_in(
    clinician_client, client, django_capture_on_commit_callbacks
):
    invite(clinician_client, django_capture_on_commit_callbacks)
    clinician_client.logout()
    url = link_in(mail.outbox[0])
    form_page = client.get(url, follow=True)
    assert b"Choose your password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase", "new_password2": "a-long-new-passphrase"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/me/"
    assert User.objects.get(email="new.patient@example.org").check_password(
        "a-long-new-passphrase"
    )
    client.logout()
    again = client.get(url, follow=True)
    assert b"expired or was already used" in again.content


def test_a_duplicate_email_is_refused_with_a_clear_message_and_nothing_is_created(
    clinician_client, patient, django_capture_on_commit_callbacks
):
    response = invite(clinician_client, django_capture_on_commit_callbacks, email="PAT@example.org")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert PatientProfile.objects.count() == 1
    assert not mail.outbox


def test_an_unknown_time_zone_is_refused(clinician_client, django_capture_on_commit_callbacks):
    response = invite(clinician_client, django_capture_on_commit_callbacks, timezone="Mars/Base")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(email="new.patient@example.org").exists()


def test_a_patient_cannot_open_the_invite_page(patient_client):
    assert patient_client.get("/clinic/patients/new/").status_code == 404
    assert patient_client.post("/clinic/patients/new/", FORM).status_code == 404
    assert not User.objects.filter(email="new.patient@example.org").exists()


def test_in_a_debug_run_the_invitation_goes_to_a_file_never_to_the_log(
    clinician_client, settings, tmp_path, caplog, capsys, django_capture_on_commit_callbacks
):
    # What `make run` uses when EMAIL_URL is not set (see test_settings for the default).
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    invite(clinician_client, django_capture_on_commit_callbacks)
    [written] = tmp_path.iterdir()
    assert "/welcome/" in written.read_text()
    printed = capsys.readouterr()
    assert "/welcome/" not in caplog.text + printed.out + printed.err


def test_the_date_of_birth_is_saved_and_an_impossible_one_is_refused(
    clinician_client, django_capture_on_commit_callbacks
):
    for bad, message in (("1899-12-31", "before 1900"), ("2999-01-01", "in the future")):
        response = invite(clinician_client, django_capture_on_commit_callbacks,
                          date_of_birth=bad)
        assert message in response.content.decode()
        assert not User.objects.filter(email="new.patient@example.org").exists()
    invite(clinician_client, django_capture_on_commit_callbacks, date_of_birth="1961-02-28")
    profile = PatientProfile.objects.get(user__email="new.patient@example.org")
    assert str(profile.date_of_birth) == "1961-02-28"
