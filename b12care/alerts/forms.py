from __future__ import annotations

from django import forms

from b12care.accounts.forms import timezone_choices
from b12care.accounts.models import PatientProfile

from .models import MESSAGE_MAX_LENGTH, SUBJECT_MAX_LENGTH
from .reminder_plans import in_quiet_hours


class PreferencesForm(forms.ModelForm):
    """The patient's own reminder settings (fields live on PatientProfile)."""

    class Meta:
        model = PatientProfile
        fields = ["remind_in_app", "remind_by_email", "remind_by_sms", "phone", "reminder_time",
                  "quiet_hours_start", "quiet_hours_end", "timezone"]
        labels = {
            "remind_in_app": "In the app (messages page)",
            "remind_by_email": "By email",
            "remind_by_sms": "By text message",
            "reminder_time": "Remind me at",
            "quiet_hours_start": "Quiet from",
            "quiet_hours_end": "Quiet until",
            "timezone": "Your time zone",
        }
        help_texts = {
            "reminder_time": "Local time on the day a dose or test is due, e.g. 08:00.",
            "quiet_hours_start": "No reminders between these times (leave both empty for none). "
                                 "Urgent messages to your care team are never held back.",
            "quiet_hours_end": "For example 22:00 to 07:00.",
            "phone": "Needed for text messages. Include the country code, e.g. +44 7700 900123.",
            "timezone": "Doses and reminders follow this local time. Change it if you move; "
                        "your next doses keep their time of day in the new zone.",
        }
        widgets = {
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"] = forms.ChoiceField(
            choices=timezone_choices, label=self._meta.labels["timezone"],
            help_text=self._meta.help_texts["timezone"],
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            self.add_error(missing, "Give both a start and an end for quiet hours, or neither.")
        if start is not None and start == end:
            self.add_error("quiet_hours_end", "The end must differ from the start.")
        if data.get("remind_by_sms") and not (data.get("phone") or "").strip():
            self.add_error("phone", "Add a mobile number to get text messages.")
        reminder = data.get("reminder_time")
        if (reminder is not None and start is not None and end is not None
                and in_quiet_hours(reminder, start, end)):
            self.add_error("reminder_time", "This time is inside your quiet hours: reminders "
                           "would wait until they end. Choose another time.")
        return data


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label="Note", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done, e.g. 'Phoned patient, advised A&E'.",
    )
    share = forms.BooleanField(
        label="Share this note with the patient", required=False,
        help_text="Unticked, the note stays within the care team.",
    )


SNOOZE_CHOICES = [("1", "1 hour"), ("3", "3 hours"), ("12", "12 hours")]


class SnoozeForm(forms.Form):
    hours = forms.TypedChoiceField(choices=SNOOZE_CHOICES, coerce=int, label="Snooze for")


class ThreadStartForm(forms.Form):
    """A new conversation: a subject and the first message. No attachments."""

    subject = forms.CharField(
        label="Subject", max_length=SUBJECT_MAX_LENGTH,
        help_text="A few words, e.g. 'Question about my next dose'.",
    )
    body = forms.CharField(
        label="Message", max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=f"Up to {MESSAGE_MAX_LENGTH} characters. Not for emergencies: in an "
                  "emergency call your local emergency number.",
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=f"Up to {MESSAGE_MAX_LENGTH} characters.",
    )
