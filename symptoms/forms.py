"""The diary check-in form: one 0-10 radio group per symptom (a fieldset with a legend each)."""

from __future__ import annotations

from django import forms

from .models import Symptom

SCALE = [(str(n), str(n)) for n in range(11)]


class CheckInForm(forms.Form):
    notes = forms.CharField(
        label="Anything else? (optional)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Other symptoms, what helped, questions for your clinician.",
    )

    def __init__(self, *args, symptoms: list[Symptom], **kwargs):
        super().__init__(*args, **kwargs)
        self.symptoms = symptoms
        for symptom in symptoms:
            self.fields[f"s_{symptom.code}"] = forms.ChoiceField(
                label=symptom.question, choices=SCALE, required=False,
                widget=forms.RadioSelect,
            )
            if symptom.locations:
                self.fields[f"loc_{symptom.code}"] = forms.ChoiceField(
                    label="Where?", required=False,
                    choices=[("", "Not saying")] + [(x, x) for x in symptom.locations],
                )

    def rows(self, previous: dict, today: dict):
        """(symptom, score field, location field or None, previous score) for the template."""
        for symptom in self.symptoms:
            loc = f"loc_{symptom.code}"
            yield {
                "symptom": symptom, "field": self[f"s_{symptom.code}"],
                "location": self[loc] if loc in self.fields else None,
                "previous": previous.get(symptom.code),
            }

    def scores(self) -> dict[str, tuple[int, str]]:
        out = {}
        for symptom in self.symptoms:
            raw = self.cleaned_data.get(f"s_{symptom.code}")
            if raw not in (None, ""):
                out[symptom.code] = (int(raw),
                                     self.cleaned_data.get(f"loc_{symptom.code}") or "")
        return out
