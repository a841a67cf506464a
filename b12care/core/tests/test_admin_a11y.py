"""The labels our ModelAdmins add where the Django admin leaves them out (found by the axe walk,
test_browser_axe.py; checked here without a browser)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from b12care.accounts.models import CareTeamMembership
from b12care.accounts.tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _inputs(html: str, name_pattern: str) -> list[str]:
    return [tag for tag in re.findall(r"<(?:input|select)[^>]*>", html)
            if re.search(rf'name="{name_pattern}"', tag)]


def test_the_catalogues_editable_columns_name_their_row(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("admin:symptoms_symptom_changelist")).content.decode()
    boxes = _inputs(html, r"form-\d+-is_active")
    assert boxes and all('aria-label="Is active: ' in box for box in boxes)
    html = client.get(reverse("admin:labs_analyte_changelist")).content.decode()
    positions = _inputs(html, r"form-\d+-position")
    assert positions and all('aria-label="Position: ' in box for box in positions)


def test_care_team_rows_and_date_time_boxes_are_labelled(client, admin_user):
    patient = PatientFactory()
    CareTeamMembership.objects.create(patient=patient, clinician=ClinicianFactory(),
                                      is_primary=True)
    client.force_login(admin_user)
    html = client.get(reverse("admin:accounts_patientprofile_change", args=[patient.pk]))
    html = html.content.decode()
    assert 'aria-label="Primary clinician, row 1"' in html
    assert 'aria-label="Delete, row 1"' in html
    [clinic] = _inputs(html, "care_team-0-clinic")
    assert 'aria-label="Clinic, row 1"' in clinic
