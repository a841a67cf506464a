"""Clinician notes on a patient (clinical data: change history kept)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from b12care.accounts.models import PatientProfile


class ClinicianNote(models.Model):
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="note_patient_recent")]

    def __str__(self) -> str:
        return f"Note on {self.patient} by {self.author} at {self.created_at:%Y-%m-%d %H:%M}"


class TriageState(models.Model):
    """The triage dashboard's read model: one narrow row per patient with the facts that rank
    them (b12care/clinic/state.py keeps it current in the same transaction as every write that
    changes those facts, through the ``b12care.core.events`` seam; a periodic reconcile is the
    safety net). Time passing needs no write: the dashboard compares the stored deadlines
    with ``now`` in SQL."""

    patient = models.OneToOneField(PatientProfile, on_delete=models.CASCADE, primary_key=True,
                                   related_name="triage_state")
    emergency_open = models.PositiveIntegerField(default=0, help_text="Open emergency alerts.")
    urgent_open = models.PositiveIntegerField(default=0, help_text="Open urgent alerts.")
    review_open = models.PositiveIntegerField(default=0, help_text="Open review alerts.")
    newest_finding_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Newest finding among the open alerts of the patient's highest tier.")
    next_dose_deadline = models.DateTimeField(
        null=True, blank=True, help_text="Earliest due time + grace of an open planned dose.")
    last_missed_at = models.DateTimeField(
        null=True, blank=True, help_text="Latest due time of a missed planned dose.")
    lab_overdue_from = models.DateField(
        null=True, blank=True, help_text="Day after the earliest open planned lab's window ends.")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Triage state of {self.patient_id}"
