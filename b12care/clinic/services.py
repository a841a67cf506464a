"""Writes of the clinic app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from b12care.accounts.models import PatientProfile, Role, User

from .models import ClinicianNote


@transaction.atomic
def note_add(*, patient: PatientProfile, author: User, text: str) -> ClinicianNote:
    if author.role not in (Role.CLINICIAN, Role.ADMIN):
        raise PermissionError("Only clinicians write clinical notes.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write something before saving the note."})
    note = ClinicianNote(patient=patient, author=author, text=text)
    note.full_clean()
    note.save()
    return note
