"""Users, roles, patient profiles, care teams and the read-access log."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from b12care.core import validation
from b12care.core.models import TimeStampedModel


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Administrator"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address. ``role`` decides what they may see."""

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()
    # Role, active flag, names and address over time. The password hash and the last sign-in
    # are not copied (sign-ins are in the audit log).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = (self.email or "").strip().lower()
        # "Ann\u202eeiL" would show as another name on every list and report.
        self.first_name = validation.strip_bidi(self.first_name).strip()
        self.last_name = validation.strip_bidi(self.last_name).strip()
        super().save(*args, **kwargs)

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a known time zone. Use a name like Europe/London.",
            params={"value": value},
        )


class Country(models.TextChoices):
    """Countries we show an emergency number for; OTHER falls back to 112."""

    GB = "GB", "United Kingdom"
    IE = "IE", "Ireland"
    US = "US", "United States"
    CA = "CA", "Canada"
    AU = "AU", "Australia"
    NZ = "NZ", "New Zealand"
    EU = "EU", "European Union (other)"
    OTHER = "XX", "Other"


EMERGENCY_NUMBERS = {"GB": "999", "IE": "112", "US": "911", "CA": "911", "AU": "000", "NZ": "111"}

# Time zones that name one country; other zones fall back by region below.
_ZONE_COUNTRIES = {
    "Europe/London": "GB", "Europe/Belfast": "GB", "Europe/Dublin": "IE",
    "Pacific/Auckland": "NZ", "Pacific/Chatham": "NZ",
    "America/Toronto": "CA", "America/Vancouver": "CA", "America/Edmonton": "CA",
    "America/Winnipeg": "CA", "America/Halifax": "CA", "America/St_Johns": "CA",
    "America/Regina": "CA", "America/Montreal": "CA",
    "America/New_York": "US", "America/Chicago": "US", "America/Denver": "US",
    "America/Los_Angeles": "US", "America/Phoenix": "US", "America/Anchorage": "US",
    "America/Detroit": "US", "America/Boise": "US", "Pacific/Honolulu": "US",
}
_REGION_COUNTRIES = {"Australia": "AU", "US": "US", "Canada": "CA", "Europe": "EU"}


def country_for_timezone(zone: str) -> str:
    """The country a time zone most likely means (a default the patient or clinic can change):
    "Europe/London" -> "GB", "Australia/Perth" -> "AU", "Asia/Tokyo" -> "XX" (other)."""
    if zone in _ZONE_COUNTRIES:
        return _ZONE_COUNTRIES[zone]
    region = (zone or "").split("/", 1)[0]
    return _REGION_COUNTRIES.get(region, Country.OTHER)


class Cause(models.TextChoices):
    PERNICIOUS_ANAEMIA = "pernicious_anaemia", "Pernicious anaemia (autoimmune)"
    GASTRIC_SURGERY = "gastric_surgery", "Gastric or bowel surgery"
    MALABSORPTION = "malabsorption", "Other malabsorption (e.g. Crohn's, coeliac)"
    DIETARY = "dietary", "Diet low in B12"
    MEDICATION = "medication", "Medicines (e.g. metformin, acid reducers)"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not yet known"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    UNSPECIFIED = "unspecified", "Not specified"


EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def latest_birth_date() -> dt.date:
    """Validators call this when they run: a birth date cannot be later than today (UTC, plus
    a day for zones ahead of it)."""
    return timezone.now().date() + dt.timedelta(days=1)


BIRTH_DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_BIRTH_DATE, "Check the year: dates before 1900 are not accepted."),
    MaxValueValidator(latest_birth_date, "A date of birth cannot be in the future."),
]


def _default_reminder_time() -> dt.time:
    return dt.time(8, 0)


class PatientProfile(TimeStampedModel):
    """Clinical and reminder settings of one patient. Every schedule lives in ``timezone``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_profile"
    )
    timezone = models.CharField(
        "time zone",
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="Where the patient lives: doses and reminders follow this local time.",
    )
    country = models.CharField(
        max_length=2,
        choices=Country.choices,
        default=Country.GB,
        help_text="Used to show the right emergency number and the usual lab units.",
    )
    date_of_birth = models.DateField(
        null=True, blank=True, validators=BIRTH_DATE_VALIDATORS,
        help_text="Shown on the patient's reports so a doctor can match them to their records.",
    )
    sex = models.CharField(
        max_length=16,
        choices=Sex.choices,
        default=Sex.UNSPECIFIED,
        help_text="Used for sex-specific lab ranges (e.g. haemoglobin).",
    )
    cause = models.CharField(
        "cause of deficiency", max_length=32, choices=Cause.choices, default=Cause.UNKNOWN
    )
    neurological_involvement = models.BooleanField(
        default=False, help_text="Numbness, tingling, balance or memory problems at diagnosis."
    )
    severe_anaemia = models.BooleanField(
        "severe anaemia at start",
        default=False,
        help_text="Severe megaloblastic anaemia: potassium is checked in the first 48 hours.",
    )
    phone = models.CharField(
        max_length=32, blank=True, help_text="Mobile number for text reminders (optional)."
    )
    # Reminder preferences (read by the reminder sweep, b12care/alerts).
    remind_by_email = models.BooleanField("email reminders", default=True)
    remind_by_sms = models.BooleanField("text message reminders", default=False)
    remind_in_app = models.BooleanField("in-app reminders", default=True)
    reminder_time = models.TimeField(
        default=_default_reminder_time,
        help_text="Local time on the day a dose is due when we remind you.",
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    # Care teams are patient-clinician links (CareTeamMembership), so the team's escalation
    # contact is kept per patient: the clinician told when an alert climbs the ladder
    # (b12care/alerts/escalation.py). Set by an admin.
    escalation_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="escalation_patients", limit_choices_to={"role": "clinician"},
        help_text="Clinician told when an alert about this patient is not acknowledged in "
                  "time (the escalation ladder).",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__email"]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def emergency_number(self) -> str:
        return EMERGENCY_NUMBERS.get(self.country, "112")

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.email


PHONE_VALIDATOR = RegexValidator(
    r"^\+?[0-9(][0-9 ()-]{4,22}[0-9]$",
    "Enter a phone number of digits, spaces, brackets or dashes, e.g. +44 20 7946 0000.",
)


class Clinic(TimeStampedModel):
    """Where a care team works, and how a patient reaches it: the contact card shown beside
    every "contact your clinic" message (admin-configured). Care-team links point here."""

    name = models.CharField(max_length=120)
    phone = models.CharField(
        max_length=24, validators=[PHONE_VALIDATOR],
        help_text="The number patients should phone, e.g. +44 20 7946 0000.",
    )
    hours = models.CharField(
        "opening hours", max_length=200,
        help_text="In plain words, e.g. 'Monday to Friday, 8am to 6pm'.",
    )
    out_of_hours = models.CharField(
        "out of hours", max_length=300,
        help_text="What to do when the clinic is closed, e.g. 'Call NHS 111, or 999 in an "
                  "emergency'.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tel(self) -> str:
        """The number for a ``tel:`` link: digits and a leading plus only."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return f"+{digits}" if self.phone.strip().startswith("+") else digits


class CareTeamMembership(models.Model):
    """A clinician who looks after a patient. Clinicians see only their own patients."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="care_team")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="care_memberships",
        limit_choices_to={"role": Role.CLINICIAN},
    )
    is_primary = models.BooleanField("primary clinician", default=False)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships",
        help_text="The clinic the patient contacts for this clinician (its phone and hours).",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], name="careteam_unique_member"),
        ]
        verbose_name = "care team membership"

    def __str__(self) -> str:
        return f"{self.clinician} → {self.patient}"

    def clean(self) -> None:
        if self.clinician_id and self.clinician.role != Role.CLINICIAN:
            raise ValidationError({"clinician": "Only clinicians can join a care team."})


class AuditKind(models.TextChoices):
    READ = "read", "Read a patient's data"
    WRITE = "write", "Changed data"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    THROTTLED = "throttled", "Held back by the sign-in limits"
    MFA = "mfa", "Changed a second factor"
    DENIED = "denied", "Refused (not theirs to see)"


class AppendOnly(Exception):
    """Raised on any attempt to change or remove an audit row through the ORM."""


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("The audit log is append-only: rows cannot be updated.")

    def delete(self):
        raise AppendOnly("The audit log is append-only: rows cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("The audit log is append-only: rows cannot be updated.")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnly("The audit log is append-only: rows cannot be updated.")


class AccessLog(models.Model):
    """The append-only audit log: one row per read of a patient's data by someone else, write
    of clinical data, sign-in event, second-factor change and refusal.

    Rows outlive the people they name: ``user`` and ``patient`` are plain references without a
    database constraint and nothing cascades or nulls them (``DO_NOTHING``); ``user_label`` and
    ``patient_label`` keep who it was. ``save`` refuses to change a stored row, ``delete`` and
    the queryset's ``update``/``delete`` refuse, and on PostgreSQL a trigger
    (migration ``accounts/0006``) rejects UPDATE and DELETE from any client.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
        blank=True, related_name="+",
    )
    user_label = models.CharField("who", max_length=254, blank=True)
    role = models.CharField(max_length=16, blank=True)
    patient = models.ForeignKey(
        PatientProfile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+",
    )
    patient_label = models.CharField("patient name", max_length=254, blank=True)
    kind = models.CharField(max_length=20, choices=AuditKind.choices, default=AuditKind.READ)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit event"
        indexes = [models.Index(fields=["patient", "kind", "-at"], name="audit_patient_kind_at")]

    def __str__(self) -> str:
        return f"{self.user_label or 'system'} {self.action} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("The audit log is append-only: rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("The audit log is append-only: rows cannot be deleted.")
        return f"{self.user} read {self.patient} ({self.action}) at {self.at:%Y-%m-%d %H:%M}"


class ClosureStatus(models.TextChoices):
    OPEN = "open", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Account closed"
    WITHDRAWN = "withdrawn", "Withdrawn by the patient"


class ClosureRequest(models.Model):
    """A patient asks for their account to be closed; a clinician of their care team or an
    admin confirms it (the account is then deactivated and every session ended). Clinical
    records and the audit trail are kept for the legal retention period (docs/security.md)."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.PROTECT,
                                related_name="closure_requests")
    reason = models.TextField(max_length=validation.NOTE_MAX_LENGTH)
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=ClosureStatus.choices,
                              default=ClosureStatus.OPEN)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=models.Q(status="open"),
                                    name="closure_one_open_request"),
        ]

    def __str__(self) -> str:
        return f"Closure of {self.patient} ({self.get_status_display()})"
