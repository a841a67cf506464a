"""Forms for accounts. Validation messages are written for the person reading them."""

from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

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
        choices=Country.choices, initial=Country.GB, help_text="For the emergency number shown."
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

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email
