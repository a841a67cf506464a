"""Secure messages between a patient and their care team: writes (start a thread, send,
mark read) and the content-free notifications they cause, in the same transaction.

Callers fetch the patient (and so the thread) through ``b12care.accounts.access`` first; these
services check again who may write, so a wrong caller cannot post into someone else's thread.
The outbox rows say only "You have a new message in B12 Care": the words stay behind login.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.urls import reverse

from b12care.accounts.models import CareTeamMembership, PatientProfile, Role, User

from .models import (
    MESSAGE_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Alert,
    Channel,
    EventKind,
    InAppMessage,
    Message,
    MessageThread,
    Notification,
)
from .outbox import CLINICIAN_CHANNELS, MESSAGE_BODY_PATIENT, MESSAGE_SUBJECT_PATIENT, care_team
from .relay import relay_kick_on_commit

NEW_MESSAGE_SUBJECT = MESSAGE_SUBJECT_PATIENT
NEW_MESSAGE_BODY = MESSAGE_BODY_PATIENT
_no_nul = ProhibitNullCharactersValidator()


def may_write(*, patient: PatientProfile, user: User) -> bool:
    """The patient themself, or an active clinician on their care team (admins configure;
    they do not join conversations)."""
    if not user.is_active:
        return False
    if user.role == Role.PATIENT:
        return patient.user_id == user.pk
    return (user.role == Role.CLINICIAN and CareTeamMembership.objects.filter(
        patient=patient, clinician=user).exists())


def _clean_text(value: str, *, field: str, limit: int, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: f"Write {what}."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it to {limit} characters (this is {len(text)})."})
    try:
        _no_nul(text)
    except ValidationError:
        raise ValidationError({field: "Remove the invisible control characters."}) from None
    return text


@transaction.atomic
def thread_start(*, patient: PatientProfile, author: User, subject: str, body: str,
                 now: dt.datetime, alert: Alert | None = None) -> MessageThread:
    """A new conversation with its first message (and that message's notifications)."""
    if not may_write(patient=patient, user=author):
        raise ValidationError("You cannot write in this conversation.")
    subject = _clean_text(subject, field="subject", limit=SUBJECT_MAX_LENGTH, what="a subject")
    body = _clean_text(body, field="body", limit=MESSAGE_MAX_LENGTH, what="a message")
    if alert is not None and alert.patient_id != patient.pk:
        raise ValidationError("That alert belongs to another patient.")
    thread = MessageThread.objects.create(patient=patient, subject=subject, alert=alert,
                                          started_by=author, created_at=now, last_message_at=now)
    _message_add(thread=thread, author=author, body=body, now=now)
    return thread


@transaction.atomic
def message_send(*, thread: MessageThread, author: User, body: str,
                 now: dt.datetime) -> Message:
    """A reply in an existing conversation."""
    if not may_write(patient=thread.patient, user=author):
        raise ValidationError("You cannot write in this conversation.")
    body = _clean_text(body, field="body", limit=MESSAGE_MAX_LENGTH, what="a message")
    message = _message_add(thread=thread, author=author, body=body, now=now)
    MessageThread.objects.filter(pk=thread.pk).update(last_message_at=now)
    return message


def _message_add(*, thread: MessageThread, author: User, body: str, now: dt.datetime) -> Message:
    from_patient = author.pk == thread.patient.user_id
    message = Message.objects.create(thread=thread, author=author, from_patient=from_patient,
                                     body=body, created_at=now)
    message_notifications_create(message=message, now=now)
    return message


def message_notifications_create(*, message: Message, now: dt.datetime) -> list[Notification]:
    """Tell the other side, without content: the patient in the app (and by email if they
    chose email), or every active care-team member by email and in the app."""
    thread, patient = message.thread, message.thread.patient
    common = {"kind": EventKind.MESSAGE, "message": message, "subject": NEW_MESSAGE_SUBJECT,
              "body": NEW_MESSAGE_BODY, "created_at": now, "next_attempt_at": now}
    rows = []
    if message.from_patient:
        link = reverse("alerts:patient_thread", args=[patient.pk, thread.pk])
        rows += [Notification(recipient=clinician, channel=channel, link=link, **common)
                 for clinician in care_team(patient) for channel in CLINICIAN_CHANNELS]
    elif patient.user.is_active:
        channels = [Channel.IN_APP] + ([Channel.EMAIL] if patient.remind_by_email
                                       and patient.user.email else [])
        link = reverse("alerts:thread", args=[thread.pk])
        rows += [Notification(recipient=patient.user, channel=channel, link=link, **common)
                 for channel in channels]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        relay_kick_on_commit()
    return rows


@transaction.atomic
def thread_mark_read(*, thread: MessageThread, reader: User, now: dt.datetime) -> int:
    """The reader opened the conversation: the other side's messages are read (for the care
    team, one member reading is enough), and the reader's own "new message" entries in the
    notification centre too. Returns how many messages became read."""
    reader_is_patient = reader.pk == thread.patient.user_id
    updated = Message.objects.filter(thread=thread, read_at__isnull=True,
                                     from_patient=not reader_is_patient).update(read_at=now)
    InAppMessage.objects.filter(user=reader, read_at__isnull=True,
                                notification__message__thread=thread).update(read_at=now)
    return updated
