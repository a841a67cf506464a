"""The one access helper. Every query of patient data is scoped here.

- a patient sees only themselves;
- a clinician sees only the patients whose care team they are on;
- an admin sees every patient.
Anything outside a user's scope is answered with 404, so nobody learns that it exists.
Reads of a patient's data by someone other than the patient are written to the audit log
(``AccessLog``, see audit.py), and so are the refusals (404) given here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from b12care.core import validation

from . import audit
from .models import AuditKind, PatientProfile, Role, User

M = TypeVar("M", bound=Model)  # pragma: no mutate (typing only)


def visible_patients(user: User) -> QuerySet[PatientProfile]:
    """The patients ``user`` may see, as a lazy queryset (safe to use as a subquery)."""
    profiles = PatientProfile.objects.select_related("user")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return profiles.none()
    if user.role == Role.PATIENT:
        return profiles.filter(user=user)
    if user.role == Role.CLINICIAN:
        return profiles.filter(care_team__clinician=user)
    if user.role == Role.ADMIN:
        return profiles.all()
    return profiles.none()


def scoped(queryset: QuerySet[M], user: User, patient_field: str = "patient") -> QuerySet[M]:
    """Narrow any queryset of patient data to the rows of patients ``user`` may see."""
    lookup = f"{patient_field}__in"
    return queryset.filter(**{lookup: visible_patients(user).values("pk")})


def access_patient(user: User, patient_id: int | str, *, action: str = "view") -> PatientProfile:
    """Fetch one patient ``user`` may see, or raise 404; log the read if it is someone else's."""
    pk = validation.bounded_int(patient_id, low=1)  # 10^23 is no id: 404, not an overflow
    try:
        if pk is None:
            raise PatientProfile.DoesNotExist
        patient = visible_patients(user).get(pk=pk)
    except PatientProfile.DoesNotExist:
        if getattr(user, "is_authenticated", False):
            audit.denied(user, action=f"refused {action}", object_type="accounts.patientprofile",
                         object_id=str(patient_id)[:64])
        raise Http404("No such patient.") from None  # pragma: no mutate (never shown)
    if patient.user_id != user.pk:
        audit.record(kind=AuditKind.READ, action=action, user=user, patient=patient,
                     object_type="accounts.patientprofile", object_id=patient.pk)
    return patient


def own_patient_profile(user: User) -> PatientProfile:
    """The signed-in patient's own profile; 404 for any other role or a patient without one."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PATIENT:
        raise Http404("Not a patient page.")  # pragma: no mutate (never shown)
    try:
        return PatientProfile.objects.select_related("user").get(user=user)
    except PatientProfile.DoesNotExist:
        raise Http404("No patient profile.") from None  # pragma: no mutate (never shown)


def role_required(*roles: str) -> Callable:
    """View decorator: sign-in required; a user of another role gets 404, not 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            from django.contrib.auth.views import redirect_to_login

            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in roles:
                audit.denied(user, action=f"refused {view.__module__}.{view.__name__}")
                raise Http404("Not found.")  # pragma: no mutate (never shown)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


patient_required = role_required(Role.PATIENT)
clinician_required = role_required(Role.CLINICIAN, Role.ADMIN)
