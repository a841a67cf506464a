"""Device tokens: one per phone or app a person connects to the API, revocable on its own."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DeviceToken(models.Model):
    """A hashed API token (b12care.api.tokens). The raw token exists only in the response that
    created it and on the device."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="device_tokens")
    name = models.CharField("device name", max_length=60)
    prefix = models.CharField(max_length=8, unique=True,
                              help_text="First characters of the token, shown to tell it apart.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the token (hex).")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user"], condition=Q(revoked_at__isnull=True),
                                name="devicetoken_user_active")]

    def __str__(self) -> str:
        return f"{self.name} (b12_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_prefix(self) -> str:
        return f"b12_{self.prefix}_…"
