"""Cross-cutting model pieces: the timestamped base model and the worker heartbeat."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base: every row knows when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """Last time a background process proved it was alive (written by a beat-scheduled task)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}Z"
