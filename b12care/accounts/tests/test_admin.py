"""Admin: changing a patient's time zone moves their future doses to the same local time."""

import datetime as dt

import pytest
import time_machine

from injections.models import DoseStatus, PlannedDose, ProtocolTemplate
from injections.protocols import HYDROXO_NO_NEURO
from injections.services import regimen_create_from_template

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_changing_the_time_zone_in_admin_keeps_doses_at_the_same_local_time(
    client, admin_user, patient, clinician
):
    regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=HYDROXO_NO_NEURO),
        start_date=dt.date(2026, 11, 25), time_of_day=dt.time(9), created_by=clinician, now=NOW,
    )
    client.force_login(admin_user)
    form = client.get(f"/admin/accounts/patientprofile/{patient.pk}/change/").context[
        "adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "user"}
    data.update({
        "user": patient.user.pk, "timezone": "America/New_York",
        "care_team-TOTAL_FORMS": "0", "care_team-INITIAL_FORMS": "0",
    })
    response = client.post(f"/admin/accounts/patientprofile/{patient.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    future = PlannedDose.objects.filter(patient=patient, status=DoseStatus.OPEN)
    ny = dt.timezone(dt.timedelta(hours=-5))
    assert {d.due_at.astimezone(ny).time() for d in future} == {dt.time(9)}


def test_an_admin_adds_a_clinician_to_several_care_teams_with_an_action(
    client, admin_user, patient, outsider_patient, outsider_clinician
):
    from b12care.accounts.access import visible_patients

    client.force_login(admin_user)
    url = "/admin/accounts/patientprofile/"
    chosen = {"action": "assign_clinician", "_selected_action": [patient.pk, outsider_patient.pk]}
    confirm = client.post(url, chosen)
    assert b"Add to care teams" in confirm.content
    client.post(url, {**chosen, "apply": "1", "clinician": outsider_clinician.pk})
    assert set(visible_patients(outsider_clinician)) == {patient, outsider_patient}


def test_every_admin_list_page_opens(client, admin_user, patient):
    from django.contrib import admin

    client.force_login(admin_user)
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


def test_a_clinician_cannot_open_the_admin(client, clinician):
    client.force_login(clinician)
    assert client.get("/admin/").status_code == 302  # to the admin login, not the site


def test_the_profile_admin_shows_and_checks_the_date_of_birth(client, admin_user, patient):
    client.force_login(admin_user)
    url = f"/admin/accounts/patientprofile/{patient.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert "date_of_birth" in form.fields
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "user"}
    data.update({"user": patient.user.pk, "date_of_birth": "3000-01-01",
                 "care_team-TOTAL_FORMS": "0", "care_team-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
