"""Writes for accounts: inviting patients and managing care teams."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
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

from . import audit
from .models import (
    AccessLog,
    AuditKind,
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


def invite_email_send(*, user: User, invited_by: User | None, resent: bool = False) -> None:
    context = {
        "user": user,
        "invited_by": invited_by,
        "resent": resent,
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


# Resending an invitation: at most one every few minutes and a handful a day per patient
# (each is an email to someone who has not signed in yet), counted from the audit log.
INVITE_RESEND_ACTION = "resent the invitation"
INVITE_RESEND_GAP = dt.timedelta(minutes=5)
INVITE_RESENDS_PER_DAY = 5


@transaction.atomic
def invite_resend(*, patient: PatientProfile, by: User, now: dt.datetime) -> None:
    """Email ``patient`` a fresh set-password link. Only the newest link works: the account's
    unusable password is renewed, and Django's one-time tokens are derived from it, so links
    in earlier emails stop working (a lost or forwarded email is no way in). Refused, with a
    message for the clinician, once the patient has chosen a password, for a closed account,
    and beyond the limits above. Recorded in the audit log."""
    if by.role != Role.CLINICIAN or not patient.care_team.filter(clinician=by).exists():
        raise PermissionError("Only a clinician of this patient can resend the invitation.")
    user = User.objects.select_for_update().get(pk=patient.user_id)
    if not user.is_active:
        raise ValidationError("This account is closed: there is no invitation to resend.")
    if user.has_usable_password():
        raise ValidationError(f"{patient.display_name} has already chosen a password and can "
                              "sign in; if they forgot it, they can reset it from the sign-in "
                              "page.")
    sent = sorted(AccessLog.objects.filter(patient_id=patient.pk, action=INVITE_RESEND_ACTION,
                                           at__gt=now - dt.timedelta(days=1))
                  .values_list("at", flat=True))
    if sent and now - sent[-1] < INVITE_RESEND_GAP:
        wait = INVITE_RESEND_GAP - (now - sent[-1])
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        raise ValidationError(f"An invitation was sent a moment ago. Give it a few minutes to "
                              f"arrive; you can send another in {minutes} minute"
                              f"{'s' if minutes != 1 else ''}.")
    if len(sent) >= INVITE_RESENDS_PER_DAY:
        raise ValidationError(f"The invitation was already resent {len(sent)} times in the "
                              "last 24 hours. "
                              "Check the email address with the patient, or try again tomorrow.")
    user.set_unusable_password()  # a new unusable hash: every earlier link is void
    user.save(update_fields=["password"])
    audit.record(kind=AuditKind.WRITE, action=INVITE_RESEND_ACTION, user=by, patient=patient,
                 object_type="accounts.user", object_id=user.pk)
    # Sent inside the transaction, last: if the mail server fails, nothing changed (earlier
    # links still work, no resend counted) and the clinician is told so, not shown an error page.
    try:
        invite_email_send(user=user, invited_by=by, resent=True)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("invitation resend for patient %s not sent: %s", patient.pk,
                    type(exc).__name__)
        raise ValidationError("The email could not be sent just now, so nothing has changed: "
                              "links in earlier emails still work. Please try again in a few "
                              "minutes.") from exc


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
