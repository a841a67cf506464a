"""Whose data a request may touch: the web's access helpers, nothing else.

A patient reaches only ``/me/`` (their own profile); a clinician only their care-team patients
through ``access_patient``, which writes the AccessLog row. Any other role or patient is a 404,
exactly as on the web pages.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.request import Request

from b12care.accounts.access import access_patient, own_patient_profile
from b12care.accounts.models import PatientProfile, Role

STAFF_ROLES = (Role.CLINICIAN, Role.ADMIN)


def own_patient(request: Request) -> PatientProfile:
    return own_patient_profile(request.user)


def require_staff(request: Request) -> None:
    if getattr(request.user, "role", None) not in STAFF_ROLES:
        raise Http404("Not found.")


def patient_of_clinician(request: Request, patient_id: int, *, action: str) -> PatientProfile:
    require_staff(request)
    return access_patient(request.user, patient_id, action=f"api.{action}")
