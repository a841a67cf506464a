"""Removing a result entered by mistake: the patient for 24 hours, the clinician any time."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from labs import services
from labs.models import LabResult, PlannedLab, PlanStatus

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def record(patient, analyte, by, **kw):
    values = {"sampled_on": TODAY, "value": "300", "unit": analyte.canonical_unit, **kw}
    with time_machine.travel(NOW, tick=False):
        return services.result_record(patient=patient, analyte=analyte, by=by, now=NOW,
                                      **values).result


def test_a_patient_removes_their_own_mistake_after_confirming(patient_client, patient, analytes):
    result = record(patient, analytes["b12"], patient.user, value="3000")
    url = reverse("labs:result_delete", args=[result.pk])
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        assert "Remove this result?" in patient_client.get(url).content.decode()
        assert LabResult.objects.filter(pk=result.pk).exists()  # a GET only asks
        response = patient_client.post(url, follow=True)
    assert not LabResult.objects.filter(pk=result.pk).exists()
    assert "was removed" in response.content.decode()
    assert LabResult.history.filter(id=result.pk, history_type="-").exists()  # kept in history


def test_after_24_hours_the_patient_is_told_to_ask_the_clinic(patient_client, patient, analytes):
    result = record(patient, analytes["b12"], patient.user)
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        response = patient_client.post(reverse("labs:result_delete", args=[result.pk]),
                                       follow=True)
    assert LabResult.objects.filter(pk=result.pk).exists()
    assert "only your clinic can remove" in response.content.decode()


def test_a_patient_cannot_remove_a_result_their_clinician_entered(
    patient_client, patient, clinician, analytes
):
    result = record(patient, analytes["hb"], clinician, value="12")
    url = reverse("labs:result_delete", args=[result.pk])
    with time_machine.travel(NOW, tick=False):
        assert not services.can_delete_result(result, patient.user, now=NOW)
        told = patient_client.get(url, follow=True).content.decode()
        assert "only your clinic can remove" in told
        assert patient_client.post(url).status_code == 403  # no page offers it: crafted
    assert LabResult.objects.filter(pk=result.pk).exists()


def test_a_clinician_removes_a_result_and_the_planned_test_is_due_again(
    clinician_client, patient, clinician, analytes
):
    services.default_plan_create(patient=patient, treatment_start=TODAY, now=NOW)
    result = record(patient, analytes["b12"], clinician)
    planned = PlannedLab.objects.get(fulfilled_by=result)
    with time_machine.travel(NOW + dt.timedelta(days=10), tick=False):
        clinician_client.force_login(clinician)  # ten days later: a new session
        response = clinician_client.post(
            reverse("labs:patient_result_delete", args=[patient.pk, result.pk]))
    assert response.status_code == 302, response.content.decode()[:300]
    assert not LabResult.objects.filter(pk=result.pk).exists()
    planned.refresh_from_db()
    assert (planned.status, planned.fulfilled_by) == (PlanStatus.OPEN, None)


def test_outsiders_get_404_and_remove_nothing(client, patient, outsider_patient,
                                              outsider_clinician, analytes):
    result = record(patient, analytes["b12"], patient.user)
    client.force_login(outsider_patient.user)
    assert client.post(reverse("labs:result_delete", args=[result.pk])).status_code == 404
    client.force_login(outsider_clinician)
    url = reverse("labs:patient_result_delete", args=[patient.pk, result.pk])
    assert client.post(url).status_code == 404
    assert LabResult.objects.filter(pk=result.pk).exists()
