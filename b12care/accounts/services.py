"""Writes for accounts: inviting patients and managing care teams."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from b12care.core import events

from .models import (
    CareTeamMembership,
    ClosureRequest,
    ClosureStatus,
    PatientProfile,
    Role,
    User,
    country_for_timezone,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientDetails:
    email: str
    first_name: str
    last_name: str
    timezone: str
    country: str  # "" means: from the time zone
    cause: str
    neurological_involvement: bool = False
    severe_anaemia: bool = False
    sex: str = "unspecified"
    date_of_birth: object | None = None
    phone: str = ""


def set_password_url(user: User) -> str:
    """An absolute, one-time link: the token stops working once the password is set."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invite_accept", kwargs={"uidb64": uidb64, "token": token})
    return f"{settings.SITE_URL}{path}"


def invite_email_send(*, user: User, invited_by: User | None) -> None:
    context = {
        "user": user,
        "invited_by": invited_by,
        "url": set_password_url(user),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    send_mail(
        subject="Your B12 Care account",
        message=render_to_string("accounts/email/invite.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def patient_invite(*, invited_by: User, details: PatientDetails) -> PatientProfile:
    """Create a patient account with no usable password, join the inviting clinician to the
    care team, and email a one-time set-password link once the transaction commits."""
    if invited_by.role not in (Role.CLINICIAN, Role.ADMIN):
        raise PermissionError("Only clinicians and admins can invite patients.")
    email = details.email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email address already exists."})
    user = User.objects.create_user(
        email=email,
        password=None,
        first_name=details.first_name.strip(),
        last_name=details.last_name.strip(),
        role=Role.PATIENT,
    )
    profile = PatientProfile(
        user=user,
        timezone=details.timezone,
        country=details.country or country_for_timezone(details.timezone),
        cause=details.cause,
        neurological_involvement=details.neurological_involvement,
        severe_anaemia=details.severe_anaemia,
        sex=details.sex,
        date_of_birth=details.date_of_birth,
        phone=details.phone,
    )
    profile.full_clean()
    profile.save()
    if invited_by.role == Role.CLINICIAN:
        care_team_add(patient=profile, clinician=invited_by, added_by=invited_by, primary=True)
    transaction.on_commit(lambda: invite_email_send(user=user, invited_by=invited_by))
    return profile


def care_team_add(
    *, patient: PatientProfile, clinician: User, added_by: User | None, primary: bool = False
) -> CareTeamMembership:
    """Add ``clinician`` to ``patient``'s care team (idempotent)."""
    if clinician.role != Role.CLINICIAN:
        raise ValidationError({"clinician": "Only clinicians can join a care team."})
    membership, _ = CareTeamMembership.objects.get_or_create(
        patient=patient,
        clinician=clinician,
        defaults={"added_by": added_by, "is_primary": primary},
    )
    return membership


@transaction.atomic
def patient_settings_update(*, patient: PatientProfile, values: dict, now) -> PatientProfile:
    """Save a patient's own settings (reminders, time zone). When the time zone changes, future
    untaken doses move to the same wall-clock time in the new zone; history is never rewritten."""
    previous_zone = PatientProfile.objects.values_list("timezone", flat=True).get(pk=patient.pk)
    for name, value in values.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save()
    kinds = {events.PROFILE}
    if patient.timezone != previous_zone:
        kinds.add(events.TIMEZONE)  # injections moves future doses to the new zone
    events.patient_data_changed([patient.pk], kinds, now=now, by=patient.user)
    return patient


# --- Account closure (privacy rights) -----------------------------------------------------------

def open_closure_request(patient: PatientProfile) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(patient=patient, status=ClosureStatus.OPEN).first()


@transaction.atomic
def closure_request_create(*, patient: PatientProfile, reason: str, now) -> ClosureRequest:
    """The patient asks for their account to be closed. One open request at a time: asking
    again returns the open one."""
    PatientProfile.objects.select_for_update().filter(pk=patient.pk).first()
    if existing := open_closure_request(patient):
        return existing
    request = ClosureRequest(patient=patient, reason=(reason or "").strip(), requested_at=now)
    request.full_clean(exclude=["patient", "decided_by"])
    request.save()
    return request


def _decide(request: ClosureRequest, *, status: str, by: User, now) -> bool:
    """Close an open request; False when it was no longer open (decided meanwhile)."""
    return ClosureRequest.objects.filter(pk=request.pk, status=ClosureStatus.OPEN).update(
        status=status, decided_by=by, decided_at=now) == 1


@transaction.atomic
def closure_request_withdraw(*, patient: PatientProfile, now) -> bool:
    """The patient changed their mind before anyone confirmed."""
    request = open_closure_request(patient)
    return bool(request) and _decide(request, status=ClosureStatus.WITHDRAWN, by=patient.user,
                                     now=now)


@transaction.atomic
def closure_confirm(*, request: ClosureRequest, by: User, now) -> bool:
    """A clinician of the care team or an admin confirms: the account is deactivated (its
    sessions end with it, ``receivers.on_user_saved``); records and audit are kept."""
    if by.role not in (Role.CLINICIAN, Role.ADMIN) or by.pk == request.patient.user_id:
        raise ValidationError("Only the patient's clinician or an administrator can confirm.")
    if not _decide(request, status=ClosureStatus.CONFIRMED, by=by, now=now):
        return False
    user = request.patient.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    return True
