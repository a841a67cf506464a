"""The secret address of a patient's calendar feed.

Only a SHA-256 hash of the token is stored: the address is shown once, when it is made, and a
copy of the database cannot be used to read anyone's calendar.
"""

from __future__ import annotations

from django.db import models

from b12care.accounts.models import PatientProfile


class CalendarFeed(models.Model):
    """At most one feed per patient; rotating replaces the hash, revoking deletes the row."""

    patient = models.OneToOneField(PatientProfile, on_delete=models.CASCADE,
                                   related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(help_text="When the current address was made (UTC).")

    def __str__(self) -> str:
        return f"Calendar feed of {self.patient} (since {self.created_at:%Y-%m-%d})"
