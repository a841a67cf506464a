"""Forms of the labs app: one test at a time, so the unit list is that test's units (no JS)."""

from __future__ import annotations

from django import forms

from . import preferences, units
from .models import Analyte
from .units import display_unit


def date_widget() -> forms.DateInput:
    # <input type="date"> only accepts ISO dates, whatever the site's display format.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ResultForm(forms.Form):
    sampled_on = forms.DateField(label="Date the blood was taken", widget=date_widget())
    sampled_time = forms.TimeField(
        label="Time (optional)", required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Leave empty if you do not know it.",
    )
    value = forms.CharField(
        label="Result", max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Just the number from the report, e.g. 250 or 12.5.",
    )
    unit = forms.ChoiceField(label="Unit on the report", widget=forms.RadioSelect)
    qualitative = forms.ChoiceField(label="Result", widget=forms.RadioSelect)
    lab_name = forms.CharField(label="Laboratory or clinic (optional)", max_length=120,
                               required=False)
    notes = forms.CharField(label="Notes (optional)", required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *args, analyte: Analyte, default_unit: str = "", **kwargs):
        if data is not None and data.get("meant_unit"):
            # One tap on "Did you mean 135 g/L?": the same values, in the unit meant.
            data = data.copy()
            data["unit"] = data["meant_unit"]
        super().__init__(data, *args, **kwargs)
        self.analyte = analyte
        self.meant_units: list[preferences.MeantUnit] = []
        if analyte.is_qualitative:
            del self.fields["value"], self.fields["unit"], self.fields["sampled_time"]
            self.fields["qualitative"].choices = [(a, a.capitalize())
                                                  for a in analyte.answer_choices]
        else:
            del self.fields["qualitative"]
            units = [u.unit for u in analyte.units.all()]
            self.fields["unit"].choices = [(u, display_unit(u)) for u in units]
            self.fields["unit"].initial = default_unit or analyte.canonical_unit
            if analyte.help_text:
                self.fields["value"].help_text = analyte.help_text

    def clean(self):
        data = super().clean()
        if self.analyte.is_qualitative or not data.get("value") or not data.get("unit"):
            return data
        conversions = {u.unit: units.Conversion(u.multiply, u.divide)
                       for u in self.analyte.units.all()}
        self.meant_units = preferences.meant_units(self.analyte, data["value"], data["unit"],
                                                   conversions)
        if self.meant_units:
            typed = f"{data['value'].strip()} {display_unit(data['unit'])}"
            options = " or ".join(m.text for m in self.meant_units)
            self.add_error("unit", f"{typed} is not a possible {self.analyte.short_name} "
                                   f"result. Did you mean {options}?")
        return data


class PlannedLabForm(forms.Form):
    analyte = forms.ModelChoiceField(label="Test", queryset=Analyte.objects.none())
    label = forms.CharField(label="Description", max_length=120, required=False,
                            help_text="Shown to the patient, e.g. “Full blood count at 6 months”.")
    due_date = forms.DateField(label="Due date", widget=date_widget())
    days_before = forms.IntegerField(label="Counts from (days before)", min_value=0,
                                     max_value=365, initial=3)
    days_after = forms.IntegerField(label="Overdue after (days after)", min_value=0,
                                    max_value=365, initial=7)
    note = forms.CharField(label="Note", max_length=200, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["analyte"]
        else:
            self.fields["analyte"].queryset = Analyte.objects.filter(is_active=True)
