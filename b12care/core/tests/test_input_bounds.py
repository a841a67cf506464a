"""Each input bound at its edge and one step either side (docs/security.md, Input hardening)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.models import User
from b12care.api.models import DeviceToken
from b12care.core import validation
from injections.forms import InjectionForm
from injections.models import Injection, SuitabilityAssessment
from injections.services import injection_record
from labs import units
from labs.models import LabResult, PlannedLab

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def ok(field, value) -> bool:
    try:
        field.run_validators(value)
    except ValidationError:
        return False
    return True


def test_a_sample_day_runs_from_1900_to_today():
    field = LabResult._meta.get_field("sampled_on")
    assert not ok(field, dt.date(1899, 12, 31))
    assert ok(field, dt.date(1900, 1, 1)) and ok(field, dt.date(1900, 1, 2))
    assert ok(field, TODAY + dt.timedelta(days=1))  # a zone ahead of UTC is already there
    assert not ok(field, TODAY + dt.timedelta(days=2))
    assert ok(SuitabilityAssessment._meta.get_field("assessed_on"), TODAY)
    assert not ok(SuitabilityAssessment._meta.get_field("assessed_on"), dt.date(9999, 12, 31))


def test_a_planned_day_is_at_most_ten_years_ahead():
    field = PlannedLab._meta.get_field("due_date")
    assert ok(field, dt.date(2036, 11, 24))
    assert not ok(field, dt.date(2036, 11, 25))
    assert not ok(field, dt.date(1899, 12, 31)) and ok(field, dt.date(1900, 1, 1))


def test_an_expiry_date_lies_within_five_years_either_side():
    field = Injection._meta.get_field("expiry_date")
    assert ok(field, dt.date(2031, 11, 24)) and not ok(field, dt.date(2031, 11, 25))
    assert ok(field, dt.date(2021, 11, 24)) and not ok(field, dt.date(2021, 11, 23))
    assert not ok(field, dt.date(1, 1, 1))


@pytest.mark.parametrize(("dose", "unit", "accepted"), [
    ("5", "mg", True), ("5.01", "mg", False), ("4.99", "mg", True),
    ("5000", "microgram", True), ("5001", "microgram", False),
    ("0", "mg", False), ("0.01", "mg", True),
])
def test_a_dose_is_above_nothing_and_at_most_5_mg(dose, unit, accepted):
    injection = Injection(dose=Decimal(dose), unit=unit)
    try:
        injection.clean()
    except ValidationError as exc:
        assert not accepted, exc
        assert "dose" in exc.message_dict
    else:
        assert accepted


def test_a_lab_value_is_a_finite_number_below_a_billion():
    assert units.parse_value("999999999.9999") == Decimal("999999999.9999")
    for typed in ("1000000000", "1e308", "1E+23", "NaN", "inf", "-1"):
        with pytest.raises(units.LabValueError):
            units.parse_value(typed)


def test_direction_controls_leave_names_on_save_and_in_the_invitation(db):
    user = User.objects.create_user("ann@example.org", first_name="Ann\u202eeiL",
                                    last_name="\u2066Lee\u2069")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("AnneiL", "Lee")
    form = InvitePatientForm({"email": "b@example.org", "first_name": "\u202e",
                              "last_name": "Ok", "timezone": "Europe/London", "sex": "female",
                              "cause": "unknown"})
    assert not form.is_valid()
    assert "first_name" in form.errors


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T09:00"])
def test_an_injection_time_in_year_1_or_9999_is_a_form_error(patient, typed):
    form = InjectionForm({"taken_at": typed, "site": "left_deltoid", "administered_by": "nurse",
                          "product": "hydroxocobalamin", "dose": "1", "unit": "mg"},
                         patient=patient, allow_self=False)
    assert not form.is_valid()
    assert "taken_at" in form.errors


def _record(patient, clinician, token):
    return injection_record(patient=patient, recorded_by=clinician, now=NOW,
                            taken_at=NOW - dt.timedelta(hours=1), product="hydroxocobalamin",
                            dose=Decimal(1), unit="mg", site="left_deltoid",
                            administered_by="nurse", form_token=token)


def test_a_form_token_is_scoped_to_its_patient(patient, outsider_patient, clinician):
    token = "t" * 32
    mine = _record(patient, clinician, token)
    theirs = _record(outsider_patient, clinician, token)
    assert theirs.created and theirs.injection.patient == outsider_patient
    assert theirs.injection.pk != mine.injection.pk
    assert not _record(patient, clinician, token).created  # still one per form for each


def test_a_form_token_that_is_not_ours_is_ignored(patient, clinician):
    first = _record(patient, clinician, "x" * 65)
    second = _record(patient, clinician, "x" * 65)
    assert first.created and second.created
    assert first.injection.form_token is None


def test_huge_ids_and_pages_are_not_found_or_a_page(clinician_client, patient):
    huge = 10**23
    assert clinician_client.get(f"/clinic/patients/{huge}/").status_code == 404
    assert clinician_client.get(reverse("clinic:dashboard"), {"page": huge}).status_code == 200
    assert clinician_client.get(reverse("clinic:dashboard"), {"page": "9" * 400}).status_code == 200


def test_a_huge_message_id_is_not_found(patient_client):
    response = patient_client.post(reverse("alerts:inbox_read"), {"message": str(10**23)})
    assert response.status_code == 404


def test_bounded_int_reads_request_numbers_safely():
    assert validation.bounded_int("12") == 12
    assert validation.bounded_int(str(validation.MAX_ID)) == validation.MAX_ID
    assert validation.bounded_int(str(validation.MAX_ID + 1)) is None
    assert validation.bounded_int("1e3", default=1) == 1
    assert validation.bounded_int(None) is None


def test_an_admin_history_address_with_extra_parts_is_not_found(client, admin_user, patient):
    client.force_login(admin_user)
    path = f"/admin/accounts/patientprofile/{patient.pk}/change/history/"
    assert client.get(path).status_code == 404
    assert client.get(f"/admin/accounts/patientprofile/{patient.pk}/history/").status_code == 200


@pytest.mark.parametrize("target", ["1e308", "NaN", "0001-01-01T00:00", "https://evil.example/"])
def test_stay_signed_in_goes_back_only_to_a_path_of_ours(patient_client, target):
    response = patient_client.post(reverse("session_keep_alive"), {"next": target})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_device_name_loses_direction_controls(patient_client, patient):
    patient_client.post("/devices/", {"name": "My \u202ephone"})
    assert list(DeviceToken.objects.values_list("name", flat=True)) == ["My phone"]
