"""The access helper: who may see which patient. Outsiders always get 404."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
    scoped,
    visible_patients,
)
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
    entry = AccessLog.objects.get(kind="read")
    assert (entry.user, entry.patient, entry.action) == (clinician, patient, "test.read")
    assert (entry.object_type, entry.object_id) == ("accounts.patientprofile", str(patient.pk))


def test_a_refused_read_is_audited_with_what_was_asked_for(outsider_clinician, patient):
    with pytest.raises(Http404):
        access_patient(outsider_clinician, patient.pk, action="clinic.patient_detail")
    entry = AccessLog.objects.get(kind="denied")
    assert (entry.user, entry.action, entry.object_type, entry.object_id) == (
        outsider_clinician, "refused clinic.patient_detail", "accounts.patientprofile",
        str(patient.pk))


def test_a_refused_garbage_id_is_audited_cut_to_64_characters(clinician):
    with pytest.raises(Http404):
        access_patient(clinician, "9" * 100)
    assert AccessLog.objects.get(kind="denied").object_id == "9" * 64


def test_a_refusal_without_a_signed_in_user_writes_no_audit_row(patient):
    for nobody in (AnonymousUser(), None):
        with pytest.raises(Http404):
            access_patient(nobody, patient.pk)
    assert not AccessLog.objects.filter(kind="denied").exists()


def test_a_read_without_a_named_action_is_logged_as_a_view(clinician, patient):
    access_patient(clinician, patient.pk)
    assert AccessLog.objects.get(kind="read").action == "view"


def test_a_patient_reading_their_own_data_is_not_logged(patient):
    access_patient(patient.user, patient.pk)
    assert not AccessLog.objects.filter(kind="read").exists()


def test_scoped_narrows_any_patient_queryset(clinician, patient, outsider_patient):
    rows = scoped(CareTeamMembership.objects.all(), clinician)
    assert [m.patient for m in rows] == [patient]


def test_a_patient_without_a_profile_sees_nothing(db):
    user = UserFactory()
    assert list(visible_patients(user)) == []
    assert PatientProfile.objects.count() == 0


def test_a_user_with_an_unknown_role_sees_nobody(patient, outsider_patient):
    user = UserFactory(role="receptionist")
    assert list(visible_patients(user)) == []
    with pytest.raises(Http404):
        access_patient(user, patient.pk)


def test_an_anonymous_visitor_sees_nobody(patient):
    assert list(visible_patients(AnonymousUser())) == []


def test_no_user_at_all_sees_nobody_rather_than_an_error(patient):
    assert list(visible_patients(None)) == []
    with pytest.raises(Http404):
        own_patient_profile(None)


def test_an_admins_read_of_a_patient_is_logged_with_the_action_cut_to_80_characters(
    admin_user, patient
):
    access_patient(admin_user, str(patient.pk), action="x" * 100)
    entry = AccessLog.objects.get(kind="read")
    assert (entry.user, entry.patient, entry.action) == (admin_user, patient, "x" * 80)


def test_access_patient_raises_404_for_a_missing_id(admin_user):
    with pytest.raises(Http404):
        access_patient(admin_user, 999_999)
    with pytest.raises(Http404):
        access_patient(admin_user, None)


def test_a_patient_gets_their_own_profile_and_nobody_else_gets_one(patient, clinician):
    assert own_patient_profile(patient.user) == patient
    for user in (clinician, AnonymousUser(), UserFactory(role="receptionist")):
        with pytest.raises(Http404):
            own_patient_profile(user)


def test_a_patient_user_without_a_profile_gets_404_for_their_own_pages(db):
    with pytest.raises(Http404):
        own_patient_profile(UserFactory())


def _request(user):
    request = RequestFactory().get("/somewhere/?q=1")
    request.user = user
    return request


def _view(request):
    return HttpResponse("ok")


def test_role_pages_send_anonymous_visitors_to_sign_in_and_hide_from_other_roles(
    patient, clinician, admin_user
):
    response = patient_required(_view)(_request(AnonymousUser()))
    assert response.status_code == 302 and "next=/somewhere/%3Fq%3D1" in response["Location"]
    assert patient_required(_view)(_request(patient.user)).content == b"ok"
    assert clinician_required(_view)(_request(clinician)).content == b"ok"
    assert clinician_required(_view)(_request(admin_user)).content == b"ok"
    with pytest.raises(Http404):
        clinician_required(_view)(_request(patient.user))
    with pytest.raises(Http404):
        patient_required(_view)(_request(clinician))
    refused = AccessLog.objects.filter(kind="denied").order_by("pk")
    assert [(e.user, e.action) for e in refused] == [
        (patient.user, f"refused {__name__}._view"), (clinician, f"refused {__name__}._view")]
    assert clinician_required(_view).__name__ == "_view"
