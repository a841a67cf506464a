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
