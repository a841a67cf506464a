"""The report's period: two of the patient's local days."""

from __future__ import annotations

import datetime as dt

from django import forms

from .data import Period

MAX_DAYS = 366 * 5


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    end = forms.DateField(label="To", required=False,
                          widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default = Period.default(today)

    def clean(self) -> dict:
        data = super().clean()
        start = data.get("start") or self.default.start
        end = data.get("end") or self.default.end
        if start > end:
            raise forms.ValidationError("The start of the period must come before its end.")
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError("Choose a period of at most five years.")
        data["period"] = Period(start, end)
        return data

    def period(self) -> Period:
        """The chosen period, or the default (last six months) when the choice is invalid."""
        return self.cleaned_data["period"] if self.is_valid() else self.default
