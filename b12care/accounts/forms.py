"""Forms for accounts. Validation messages are written for the person reading them."""

from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from b12care.core import validation

from .models import BIRTH_DATE_VALIDATORS, Cause, Country, Sex, User

COMMON_TIMEZONES = [
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
]


def timezone_choices() -> list:
    others = sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES) - {"localtime"})
    return [
        ("Common", [(z, z.replace("_", " ")) for z in COMMON_TIMEZONES]),
        ("All time zones", [(z, z.replace("_", " ")) for z in others]),
    ]


class InvitePatientForm(forms.Form):
    email = forms.EmailField(help_text="We send the invitation here. It becomes their sign-in.")
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        initial="Europe/London",
        help_text="Where the patient lives: doses and reminders follow their local time.",
    )
    country = forms.ChoiceField(
        choices=[("", "From the time zone"), *Country.choices], required=False,
        help_text="For the emergency number shown and the usual lab units.",
    )
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        validators=BIRTH_DATE_VALIDATORS, help_text="Printed on the patient's reports.",
    )
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNSPECIFIED)
    cause = forms.ChoiceField(
        label="Cause of deficiency", choices=Cause.choices, initial=Cause.UNKNOWN
    )
    neurological_involvement = forms.BooleanField(
        required=False,
        label="Neurological involvement",
        help_text="Numbness, tingling, balance or memory problems at diagnosis.",
    )
    severe_anaemia = forms.BooleanField(
        required=False,
        label="Severe anaemia at start",
        help_text="Adds a potassium check in the first 48 hours to the monitoring plan.",
    )
    phone = forms.CharField(
        required=False, max_length=32, help_text="Mobile number for text reminders (optional)."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Create patient and send invitation"))

    def _clean_name(self, name: str) -> str:
        value = validation.strip_bidi(self.cleaned_data[name]).strip()
        if not value:
            raise forms.ValidationError("Enter the name as it should be shown.")
        return value

    def clean_first_name(self) -> str:
        return self._clean_name("first_name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class ClosureRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why do you want to close your account?",
        help_text="Your care team reads this before they confirm. A sentence is enough.",
        max_length=validation.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": validation.NOTE_MAX_LENGTH}),
    )
