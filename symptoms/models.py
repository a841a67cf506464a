"""Symptom catalogue and the daily diary check-in."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from b12care.accounts.models import PatientProfile
from b12care.core import validation
from b12care.core.models import TimeStampedModel


class Category(models.TextChoices):
    GENERAL = "general", "General"
    NERVES = "nerves", "Nerves"
    MIND = "mind", "Memory and mood"
    BLOOD = "blood", "Heart and breathing"


class Symptom(models.Model):
    """One diary question, scored 0-10. Configured in the admin; seeded by a migration."""

    code = models.SlugField(
        max_length=40, unique=True,
        help_text="Stable name used by red-flag rules (e.g. numbness_feet). Do not change.",
    )
    name = models.CharField(max_length=80)
    question = models.CharField(max_length=200, help_text="Plain-language question.")
    help_text = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices,
                                default=Category.GENERAL)
    neurological = models.BooleanField(
        default=False, help_text="A nerve symptom (watched for new or worsening problems)."
    )
    location_choices = models.CharField(
        max_length=120, blank=True,
        help_text="Comma-separated body locations to ask about, e.g. Left,Right,Both sides.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def locations(self) -> list[str]:
        return [x.strip() for x in self.location_choices.split(",") if x.strip()]


class CheckIn(TimeStampedModel):
    """A patient's diary for one local day (their own zone); updated in place that day."""

    # No index of its own: the (patient, local_date) indexes below serve every patient lookup,
    # and a patient-only index tempts PostgreSQL to read a patient's whole diary for a few days.
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="checkins", db_index=False)
    local_date = models.DateField(help_text="The patient's own calendar day.",
                                  validators=validation.PAST_DATE_VALIDATORS)
    recorded_at = models.DateTimeField(help_text="Last saved (UTC).")
    notes = models.TextField(blank=True, max_length=validation.NOTE_MAX_LENGTH)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    # Read model for the dashboard's nerve trend, written with the scores
    # (symptoms.services; definition: selectors.live_worst_nerve_scores).
    worst_nerve_score = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False,
        help_text="Highest score of a nerve symptom in this check-in; empty when none was scored.",
    )

    # A derived fact: its history is the scores' history.
    history = HistoricalRecords(excluded_fields=["worst_nerve_score"])

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "local_date"],
                                    name="checkin_one_per_local_day"),
        ]
        indexes = [models.Index(fields=["patient", "-local_date"], name="checkin_patient_day")]

    def __str__(self) -> str:
        return f"{self.patient} diary {self.local_date}"


class SymptomScore(models.Model):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="scores")
    symptom = models.ForeignKey(Symptom, on_delete=models.PROTECT, related_name="scores")
    severity = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    location = models.CharField(max_length=40, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["symptom__position"]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "symptom"], name="score_once_per_checkin"),
            models.CheckConstraint(condition=Q(severity__gte=0) & Q(severity__lte=10),
                                   name="score_severity_0_10"),
        ]

    def __str__(self) -> str:
        return f"{self.symptom} {self.severity}/10"
