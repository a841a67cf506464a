"""Pieces every endpoint shares: the patient a request is about, local date-times, and what a
red-flag save tells the writer."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from b12care.accounts.models import PatientProfile
from b12care.core import clock, events

from ..scope import own_patient, patient_of_clinician

READ_ONLY = ["get", "head", "options"]


class PatientScopedView(GenericAPIView):
    """``/me/...``: the signed-in patient's own data. ``/patients/{patient_id}/...``: a
    care-team clinician's read of that patient (audited). Everyone else: 404."""

    audit_action = ""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    @cached_property
    def patient(self) -> PatientProfile:
        if "patient_id" in self.kwargs:
            return patient_of_clinician(self.request, self.kwargs["patient_id"],
                                        action=self.audit_action)
        return own_patient(self.request)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return context
        context.update(patient=self.patient, now=self.now, viewer=self.request.user)
        return context


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset, or without one meaning the patient's own wall-clock time (the
    same daylight-saving rule as the web form: b12care.core.clock.to_utc)."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        patient = self.context.get("patient")
        if timezone.is_naive(value) and patient is not None:
            try:
                return clock.to_utc(value.date(), value.time(), patient.tz)
            except OverflowError:
                self.fail("overflow")
        return super().enforce_timezone(value)


def local_text(instant: dt.datetime | None, patient: PatientProfile) -> str | None:
    """``instant`` in the patient's zone as ISO 8601 with its offset."""
    return instant.astimezone(patient.tz).isoformat() if instant else None


class GuidanceSerializer(serializers.Serializer):
    """What the web does after a save that raised an urgent red flag: send the patient to the
    "what to do now" page."""

    needs_guidance = serializers.BooleanField(
        help_text="True when the saved data raised an urgent red flag: show the guidance now.")
    guidance_url = serializers.URLField(
        allow_null=True, help_text="The web page that says what to do now (null when none).")


def guidance(findings, request) -> dict:
    needed = events.needs_guidance(findings)
    url = request.build_absolute_uri(reverse("alerts:guidance")) if needed else None
    return {"needs_guidance": needed, "guidance_url": url}


def service_error(exc: ValidationError) -> serializers.ValidationError:
    """A service's ValidationError as the API's 400: field -> messages, the rest under
    ``non_field_errors`` (as DRF reports its own)."""
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({"non_field_errors": exc.messages})
    return serializers.ValidationError({
        ("non_field_errors" if name == "__all__" else name): messages
        for name, messages in exc.message_dict.items()})
