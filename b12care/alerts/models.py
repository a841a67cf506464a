"""Red-flag alerts, their configurable rules, the notification outbox and reminder steps.

PostgreSQL holds every alert, reminder and notification; Redis only carries task messages.
Every row here is written in the same transaction as the patient data that caused it, so a
broker outage can delay a message but never lose one (see docs/alerts.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from b12care.accounts.models import PatientProfile
from b12care.core import validation

from .rules import REGISTRY
from .tiers import TIERS


class Severity(models.TextChoices):
    """Tiers, highest first (``tiers.py`` holds the one ordering every surface uses)."""

    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    REVIEW = "review", "Review"
    INFO = "info", "Information"


class AlertRule(models.Model):
    """Admin-editable configuration of one red-flag rule (code matches rules.REGISTRY).

    ``thresholds`` holds the rule's numbers (e.g. ``{"delta": 3, "window_days": 14}``);
    defaults come from CLINICAL.md and are seeded by a data migration. Keys an admin leaves
    out fall back to the code's defaults.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(
        default=True, help_text="Switch a rule off only after a clinical safety review."
    )
    thresholds = models.JSONField(default=dict, blank=True)
    severity = models.CharField(
        "tier", max_length=16, blank=True, choices=Severity.choices,
        help_text="Blank: the rule's own tier. Choose Emergency to put this rule's alerts "
                  "first everywhere and escalate them on the emergency ladder.")
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed a setting, when and why (the admin requires a reason).
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        spec = REGISTRY.get(self.code)
        if spec is None:
            raise ValidationError({"code": "No rule with this code exists in the code base."})
        if not isinstance(self.thresholds, dict):
            raise ValidationError({"thresholds": "Enter an object like {\"delta\": 3}."})
        errors = [error for key, value in self.thresholds.items()
                  if (error := _threshold_error(key, value, spec.defaults))]
        if errors:
            raise ValidationError({"thresholds": errors})


def _threshold_error(key: str, value, defaults: dict) -> str:
    """Why an admin's threshold value is refused ("" if it is fine)."""
    if key not in defaults:
        return f"Unknown setting '{key}'. Known: {', '.join(defaults)}."
    if isinstance(defaults[key], list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"'{key}' must be a list of codes."
        return ""
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return f"'{key}' must be a number."
    if isinstance(value, bool) or str(value).startswith("-"):
        return f"'{key}' must be a positive number."
    return ""


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    """One red flag about one patient. A repeated finding (same ``dedup_key``) updates the
    active alert (open or acknowledged) instead of raising another; once resolved, a new
    finding opens a new alert."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField("tier", max_length=16, choices=Severity.choices)
    dedup_key = models.CharField(max_length=200)
    patient_message = models.TextField(blank=True, max_length=validation.LONG_TEXT_MAX_LENGTH)
    clinician_message = models.TextField(max_length=validation.LONG_TEXT_MAX_LENGTH)
    status = models.CharField(
        max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    evidence = models.JSONField(
        default=list, blank=True,
        help_text="What the finding rests on (symptom codes, lab or dose ids), accumulated.",
    )
    round = models.PositiveSmallIntegerField(
        default=1, help_text="1, then +1 each time new evidence re-opens an acknowledged alert."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # Two notes, kept apart: acknowledging may say "calling the patient", resolving says what
    # was done. Each is visible on the alert; the history keeps every version. The patient sees
    # a note only if the clinician chose to share it.
    note = models.TextField("acknowledgement note", blank=True,
                            max_length=validation.NOTE_MAX_LENGTH)
    note_shared = models.BooleanField(
        "acknowledgement note shared with the patient", default=False,
        help_text="Only a note the clinician chose to share is ever shown to the patient.",
    )
    resolve_note = models.TextField("resolution note", blank=True,
                                    max_length=validation.NOTE_MAX_LENGTH)
    resolve_note_shared = models.BooleanField(
        "resolution note shared with the patient", default=False,
        help_text="Only a note the clinician chose to share is ever shown to the patient.",
    )

    # The lifecycle (open, acknowledged, re-opened, resolved) with who and when. ``evidence``,
    # counters and times of repeated findings are rewritten by the rule sweep set-wise.
    history = HistoricalRecords(excluded_fields=["evidence", "occurrences", "last_seen_at"])

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            # At most one active (open or acknowledged) alert per finding: the upsert in
            # lifecycle.findings_record relies on it, and so does concurrency safety.
            models.UniqueConstraint(
                fields=["patient", "dedup_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alerts_one_active_alert_per_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=list(TIERS)),
                name="alerts_alert_severity_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "severity", "last_seen_at"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alerts_active_by_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.rule.name} ({self.patient})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AlertSummary(models.Model):
    """Read model: one patient's open alerts in brief, for the pages (``summary.py``).

    Written in the transaction of every alert write (``lifecycle.py``) and rewritten only
    when a fact changed. A row exists once the patient has had an alert. "Open" means status
    open (acknowledged alerts are counted apart). No fact depends on the clock."""

    patient = models.OneToOneField(PatientProfile, on_delete=models.CASCADE, primary_key=True,
                                   related_name="alert_summary")
    emergency_open = models.PositiveIntegerField(default=0)
    urgent_open = models.PositiveIntegerField(default=0)
    review_open = models.PositiveIntegerField(default=0)
    info_open = models.PositiveIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(
        default=0, help_text="Acknowledged alerts, not yet resolved.")
    last_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="Newest finding among the open alerts.")
    top_alert = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The highest-tier open alert, newest first.")

    def __str__(self) -> str:
        return (f"{self.patient_id}: {self.emergency_open} emergency, "
                f"{self.urgent_open} urgent, {self.review_open} review, "
                f"{self.info_open} info open")

    @property
    def active(self) -> int:
        """Open and acknowledged alerts."""
        return (self.emergency_open + self.urgent_open + self.review_open + self.info_open
                + self.acknowledged)


class EscalationLadder(models.Model):
    """An admin's setting of one tier's escalation ladder (``escalation.py``; docs/alerts.md).
    Without a row a tier uses the defaults of CLINICAL.md (``escalation.DEFAULT_LADDERS``).

    Rung 0 is the alert's own notification (every care-team member at once). Rung 1 goes to
    the care team again and to the patient's escalation contact when the alert is still
    unacknowledged after ``delay_minutes`` (or, with no delay, at the start of the next working
    day in the patient's time zone)."""

    tier = models.CharField(max_length=16, choices=Severity.choices, unique=True)
    enabled = models.BooleanField(default=True)
    delay_minutes = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Escalate after this many minutes unacknowledged. Blank: at the start of "
                  "the next working day (Monday to Friday).")
    working_day_starts = models.TimeField(
        default=dt.time(9, 0), help_text="Start of a working day, in the patient's time zone.")
    to_escalation_contact = models.BooleanField(
        default=True, help_text="Also tell the patient's escalation contact.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Escalation ladder: {self.get_tier_display()}"


class EscalationStatus(models.TextChoices):
    PENDING = "pending", "Due"
    SENT = "sent", "Sent"
    STOPPED = "stopped", "Stopped by acknowledgement"


class AlertEscalation(models.Model):
    """One rung of one alert round's ladder: the unique row is the record that the rung
    happened once (sent), or why it will not (stopped). ``due_at`` is stored when the alert
    opens, so the periodic sweep finds due rungs by index (no ETA tasks)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="escalations")
    round = models.PositiveSmallIntegerField(default=1)
    step = models.PositiveSmallIntegerField(help_text="0 = the alert's own notification.")
    tier = models.CharField(max_length=16, choices=Severity.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=EscalationStatus.choices,
                              default=EscalationStatus.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(default=0, help_text="People told.")
    to_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["alert", "round", "step"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "round", "step"],
                                    name="alerts_one_escalation_per_alert_round_step"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"),
                         name="alerts_pending_escalations"),
        ]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} round {self.round} step {self.step} ({self.status})"


class ReminderSubject(models.TextChoices):
    DOSE = "dose", "Planned dose"
    LAB = "lab", "Planned lab test"


class StepKind(models.TextChoices):
    REMINDER = "reminder", "First reminder"
    REPEAT = "repeat", "Repeat reminder"
    ESCALATION = "escalation", "Escalation to the care team"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"


class ReminderStep(models.Model):
    """One step of reminding about one planned dose or lab: the unique row is the record that
    the step happened exactly once (sent) or why it did not (skipped, with ``reason``).

    ``subject_id`` is the PlannedDose / PlannedLab id. It is a plain integer, not a foreign
    key, so this app's migrations do not depend on other apps' (regenerated planned doses may
    be deleted; their finished steps stay as history).
    """

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="reminder_steps"
    )
    subject = models.CharField(max_length=8, choices=ReminderSubject.choices)
    subject_id = models.BigIntegerField()
    step = models.PositiveSmallIntegerField(
        help_text="0 = first reminder, 1.. repeats, 99 escalation"
    )
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    due_at = models.DateTimeField(help_text="When the dose or lab itself is due (UTC).")
    fire_at = models.DateTimeField(help_text="When this step should happen (UTC).")
    status = models.CharField(
        max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    reason = models.CharField(max_length=200, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    ESCALATION_STEP = 99

    class Meta:
        ordering = ["fire_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "subject_id", "step"], name="alerts_one_row_per_reminder_step"
            ),
        ]
        indexes = [
            models.Index(
                fields=["fire_at"], condition=Q(status="pending"), name="alerts_pending_steps"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} #{self.subject_id} ({self.status})"


class ReminderPlan(models.Model):
    """A dose reminder step planned ahead, not due yet. When ``fire_at`` passes, the sweep
    turns it into a pending ``ReminderStep`` (the record) and deletes it, or drops it if the
    dose was logged, skipped or removed, or the patient deactivated, meanwhile."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=8, choices=ReminderSubject.choices)
    subject_id = models.BigIntegerField()
    step = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    due_at = models.DateTimeField()
    fire_at = models.DateTimeField()
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="Wall clock: compared with the patient's last change."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "subject_id", "step"], name="alerts_one_plan_per_step"
            ),
        ]
        indexes = [models.Index(fields=["fire_at"], name="alerts_plan_fire_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} #{self.subject_id} at {self.fire_at}"


class ReminderSnooze(models.Model):
    """A patient asked not to be reminded about one dose or lab until ``until``."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=8, choices=ReminderSubject.choices)
    subject_id = models.BigIntegerField()
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "subject_id"], name="alerts_one_snooze"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} #{self.subject_id} snoozed until {self.until:%Y-%m-%d %H:%M}Z"


MESSAGE_MAX_LENGTH = 2000
SUBJECT_MAX_LENGTH = 120


class MessageThread(models.Model):
    """A conversation between one patient and their care team (secure messages). Patient data:
    every read goes through the access helper; notifications about it carry no content."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="message_threads")
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    alert = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="threads",
        help_text="The alert this conversation was started from, if any.",
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-last_message_at"],
                                name="alerts_threads_by_patient")]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    """One message in a thread. ``read_at``: when the other side (the patient, or any member
    of the care team for a patient's message) first opened it."""

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    from_patient = models.BooleanField()
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "from_patient"],
                                condition=Q(read_at__isnull=True), name="alerts_unread_messages")]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In the app"
    SMS = "sms", "Text message"


class EventKind(models.TextChoices):
    ALERT = "alert", "Alert"
    REMINDER = "reminder", "Reminder"
    MESSAGE = "message", "Secure message"


class Notification(models.Model):
    """Outbox row: one message about one event (alert or reminder step) to one recipient on
    one channel. Written in the cause's transaction; delivered by a worker that claims it
    with a lease (``claimed_at``), sends, then sets ``sent_at``: at least once, recorded once.
    """

    kind = models.CharField(max_length=8, choices=EventKind.choices)
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    reminder = models.ForeignKey(
        ReminderStep, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notifications",
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    alert_round = models.PositiveSmallIntegerField(
        default=1, help_text="Which round of the alert this tells about (re-opened alerts)."
    )
    escalation_step = models.PositiveSmallIntegerField(
        default=0, help_text="Rung of the escalation ladder (0 = the alert's own message).")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # What is sent: never clinical detail ("You have a new message in B12 Care").
    subject = models.CharField(max_length=120)
    body = models.TextField(max_length=validation.LONG_TEXT_MAX_LENGTH)
    link = models.CharField(max_length=300, blank=True, help_text="Path behind login.")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, max_length=validation.LONG_TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="alert", alert__isnull=False, reminder__isnull=True,
                      message__isnull=True)
                    | Q(kind="reminder", reminder__isnull=False, alert__isnull=True,
                        message__isnull=True)
                    | Q(kind="message", message__isnull=False, alert__isnull=True,
                        reminder__isnull=True)
                ),
                name="alerts_notification_has_one_event",
            ),
            models.UniqueConstraint(
                fields=["alert", "alert_round", "escalation_step", "channel", "recipient"],
                condition=Q(alert__isnull=False),
                name="alerts_one_notification_per_alert_channel_recipient",
            ),
            models.UniqueConstraint(
                fields=["reminder", "channel", "recipient"],
                condition=Q(reminder__isnull=False),
                name="alerts_one_notification_per_reminder_channel_recipient",
            ),
            models.UniqueConstraint(
                fields=["message", "channel", "recipient"],
                condition=Q(message__isnull=False),
                name="alerts_one_notification_per_message_channel_recipient",
            ),
        ]
        indexes = [
            # The relay and reconciler only ever look at unsent, unfailed rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="alerts_unsent_notifications",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} to {self.recipient_id} ({self.state})"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "pending"


class InAppMessage(models.Model):
    """A row of a user's notification centre. One per in-app notification (idempotent)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox"
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="in_app_message"
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=validation.LONG_TEXT_MAX_LENGTH)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="alerts_unread_inbox"
            ),
        ]

    def __str__(self) -> str:
        return self.title
