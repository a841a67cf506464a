"""The access helper: who may see which patient. Outsiders always get 404."""

import pytest
from django.http import Http404

from b12care.accounts.access import access_patient, scoped, visible_patients
from b12care.accounts.models import AccessLog, CareTeamMembership, PatientProfile
from b12care.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_patient_sees_only_themselves(patient, outsider_patient):
    assert list(visible_patients(patient.user)) == [patient]


def test_a_clinician_sees_only_patients_on_their_care_team(clinician, patient, outsider_patient):
    assert list(visible_patients(clinician)) == [patient]


def test_an_outsider_clinician_sees_nobody(outsider_clinician, patient):
    assert list(visible_patients(outsider_clinician)) == []


def test_an_admin_sees_every_patient(admin_user, patient, outsider_patient):
    assert set(visible_patients(admin_user)) == {patient, outsider_patient}


def test_an_inactive_clinician_sees_nobody(clinician, patient):
    clinician.is_active = False
    clinician.save()
    assert list(visible_patients(clinician)) == []


def test_access_patient_raises_404_for_someone_elses_patient(outsider_clinician, patient):
    with pytest.raises(Http404):
        access_patient(outsider_clinician, patient.pk)


def test_access_patient_raises_404_for_garbage_ids(clinician):
    with pytest.raises(Http404):
        access_patient(clinician, "not-a-number")


def test_a_clinicians_read_is_written_to_the_access_log(clinician, patient):
    access_patient(clinician, patient.pk, action="test.read")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.patient, entry.action) == (clinician, patient, "test.read")


def test_a_patient_reading_their_own_data_is_not_logged(patient):
    access_patient(patient.user, patient.pk)
    assert not AccessLog.objects.exists()


def test_scoped_narrows_any_patient_queryset(clinician, patient, outsider_patient):
    rows = scoped(CareTeamMembership.objects.all(), clinician)
    assert [m.patient for m in rows] == [patient]


def test_a_patient_without_a_profile_sees_nothing(db):
    user = UserFactory()
    assert list(visible_patients(user)) == []
    assert PatientProfile.objects.count() == 0
