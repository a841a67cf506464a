"""Forms of the injections app: plain choices, plain-language help, accessible groups."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Fieldset, Layout
from crispy_forms.utils import TEMPLATE_PACK
from django import forms

from b12care.accounts.models import PatientProfile
from b12care.core import validation

from . import plausibility, scheduling
from .models import (
    LOCAL_REACTIONS,
    SYSTEMIC_REACTIONS,
    AdministeredBy,
    DoseUnit,
    EndKind,
    Injection,
    Phase,
    Product,
    ProtocolTemplate,
    Site,
    SuitabilityAssessment,
    Timing,
    TrainingRecord,
    Weekday,
)


def date_widget() -> forms.DateInput:
    # <input type="date"> only accepts ISO dates, whatever the site's display format.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _plain_decimal(value):
    return f"{value.normalize():f}" if hasattr(value, "normalize") else value


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates add the form tag and the buttons (preview/save)
    if layout:
        helper.layout = Layout(*layout)
    return helper


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the patient's own zone, returned as UTC (same DST rule as
    the schedule: a time inside a spring-forward gap means the end of the gap)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args, tz=None, **kwargs):
        self.tz = tz
        super().__init__(*args, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)

    def to_python(self, value):
        if isinstance(value, dt.datetime):
            return value
        result = super().to_python(value)
        if result is None:
            return None
        # Year 1 or 9999 would overflow when moved to UTC; no injection is that old or new.
        validation.check_planned_date(result.date(), today=dt.date.today(), years=1,
                                      what="This date")
        naive = result.replace(tzinfo=None)
        return scheduling.to_utc(naive.date(), naive.time(), self.tz)


class Disclosure(Fieldset):
    """A fieldset behind a ``<details>`` summary (one tap opens it), open when one of its
    fields has an error or the entry needs a confirmation. ``hint(form)`` says on the summary
    line what is inside."""

    template = "injections/_disclosure.html"

    def __init__(self, legend, *fields, hint=None, **kwargs):
        super().__init__(legend, *fields, **kwargs)
        self.hint_of = hint

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        names = [name for name in self.fields if isinstance(name, str)]
        # Open on an error in it, or when the guard rails ask about the entry (the dose is in
        # here: the patient may want to correct it rather than confirm it).
        self.open = form.is_bound and (any(name in form.errors for name in names)
                                       or getattr(form, "needs_confirmation", False))
        self.hint = self.hint_of(form) if self.hint_of else ""
        return super().render(form, context, template_pack, **kwargs)


def _product_hint(form) -> str:
    """"1 mg hydroxocobalamin, batch AB12" from what the form holds now."""
    product, dose, unit, lot = (form[name].value() for name in
                                ("product", "dose", "unit", "lot_number"))
    words = [str(_plain_decimal(dose) or ""), dict(DoseUnit.choices).get(unit, ""),
             dict(Product.choices).get(product, "").lower()]
    hint = " ".join(word for word in words if word)
    return f"{hint}, batch {lot}" if lot else hint


class ConfirmableForm(forms.Form):
    """A form whose entry may need an explicit "yes, it is right" (injections/plausibility.py).

    Refusals come from the model's ``clean()`` (a ticked box never skips them); while a
    confirmation is pending, ``apply_verdict`` shows the findings with a tick box: the form is
    re-rendered with everything typed kept. The hidden ``confirmed_for`` names what was
    confirmed, so an entry changed after ticking needs a new confirmation."""

    confirm = forms.BooleanField(required=False, label="Yes, this is right: save it")
    confirmed_for = forms.CharField(widget=forms.HiddenInput, required=False)

    def init_confirmation(self) -> None:
        self.findings: list[plausibility.Finding] = []
        self.needs_confirmation = self.asks_timing = False
        if self.is_bound:
            self.data = self.data.copy()

    def apply_verdict(self, verdict: plausibility.Verdict, *, require: bool = True) -> None:
        """``require``: refuse to go on without the confirmation (False: only show it, as
        on a preview)."""
        if verdict.refusals:  # the model's clean() puts them on the form (never skipped)
            return
        self.findings = [f for f in verdict.findings if f.kind != plausibility.REFUSE]
        signature = verdict.signature
        if not signature:
            return
        confirmed = (self.cleaned_data.get("confirm")
                     and self.cleaned_data.get("confirmed_for") == signature)
        if not confirmed:
            self.needs_confirmation = True
            self.data[self.add_prefix("confirmed_for")] = signature
            self.data.pop(self.add_prefix("confirm"), None)
            if require:
                self.add_error("confirm", "Check the entry above. If it is right, tick this "
                                          "box and save again.")


SITE_HELP = ("We suggest the site you have used least recently. Avoid a site that is sore, red "
             "or swollen. The buttock (dorsogluteal) site is not advised.")


class InjectionForm(ConfirmableForm, forms.ModelForm):
    """Log (or correct) one injection. ``allow_self`` comes from the readiness check;
    ``checker(taken_at=, product=, dose=, unit=)`` returns the guard rails' verdict."""

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)
    timing = forms.TypedChoiceField(
        label="Which is it?", required=False, widget=forms.RadioSelect,
        choices=Timing.choices, empty_value="",
    )
    local_reactions = forms.MultipleChoiceField(
        label="At the injection site", required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(LOCAL_REACTIONS.items()),
    )
    # The 0-10 scale of large buttons the symptom diary has (injections/_scale_field.html).
    pain = forms.TypedChoiceField(
        label="How painful was it?", required=False, widget=forms.RadioSelect,
        choices=[(n, str(n)) for n in range(11)], coerce=int, empty_value=None,
        help_text="0 = no pain, 10 = worst pain imaginable (optional).",
    )
    systemic_reactions = forms.MultipleChoiceField(
        label="Anywhere else", required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(SYSTEMIC_REACTIONS.items()),
        help_text="If you have difficulty breathing or swelling of your face, lips or throat, "
        "call emergency services now.",
    )

    class Meta:
        model = Injection
        fields = ["taken_at", "site", "administered_by", "product", "dose", "unit", "lot_number",
                  "expiry_date", "pain", "notes"]
        widgets = {
            "site": forms.RadioSelect,
            "administered_by": forms.RadioSelect,
            "expiry_date": date_widget(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"taken_at": "When was it given?", "site": "Where was it given?",
                  "administered_by": "Who gave it?"}
        help_texts = {
            "site": SITE_HELP,
            "lot_number": "Printed on the ampoule or box (optional).",
            "expiry_date": "Printed on the ampoule or box (optional). We warn you if it has "
            "passed.",
        }

    def __init__(self, *args, patient: PatientProfile, allow_self: bool, self_reason: str = "",
                 checker=None, **kwargs):
        instance = kwargs.get("instance")
        initial = kwargs.setdefault("initial", {})
        if instance is not None and instance.pk:
            initial["local_reactions"] = [k for k in LOCAL_REACTIONS if getattr(instance, k)]
            initial["systemic_reactions"] = [k for k in SYSTEMIC_REACTIONS if getattr(instance, k)]
        super().__init__(*args, **kwargs)
        self.init_confirmation()
        self.patient = patient
        self.checker = checker
        field = LocalDateTimeField(tz=patient.tz, label=self.fields["taken_at"].label,
                                   help_text=f"In your time zone ({patient.timezone}).")
        self.fields["taken_at"] = field
        if instance is not None and instance.pk:
            self.initial["taken_at"] = instance.taken_at.astimezone(patient.tz).replace(
                tzinfo=None)
        elif isinstance(self.initial.get("taken_at"), dt.datetime):
            self.initial["taken_at"] = self.initial["taken_at"].astimezone(patient.tz).replace(
                tzinfo=None, second=0, microsecond=0)
        self.fields["site"].choices = list(Site.choices)
        self.offer_self(allow_self, self_reason)
        if "dose" in self.initial:
            self.initial["dose"] = _plain_decimal(self.initial["dose"])
        self.helper = _helper(
            "form_token", "confirmed_for",
            Field("taken_at"),
            Field("site", template="injections/_chips_field.html"),
            "administered_by",
            Disclosure("Product and batch", "product", "dose", "unit", "lot_number",
                       "expiry_date", hint=_product_hint),
            Fieldset("How did it go?", Field("pain", template="injections/_scale_field.html"),
                     Field("local_reactions", wrapper_class="mb-3 checks-grid"),
                     Field("systemic_reactions", wrapper_class="mb-3 checks-grid"), "notes"),
        )

    def clean_taken_at(self):
        value = self.cleaned_data.get("taken_at")
        if value is not None and self.data.get("taken_at_fold") == "1":
            # The second of a repeated local hour (quicklog.TAKEN_AT_FOLD); same instant
            # when the wall time happens only once.
            value = value.astimezone(self.patient.tz).replace(fold=1).astimezone(dt.UTC)
        return value

    def clean(self):
        data = super().clean()
        for name in LOCAL_REACTIONS:
            data[name] = name in data.get("local_reactions", [])
        for name in SYSTEMIC_REACTIONS:
            data[name] = name in data.get("systemic_reactions", [])
        # A correction keeps the answer given when the entry was logged, unless changed.
        answer = data.get("timing") or (self.instance.timing if self.instance.pk else "")
        data["timing"] = ""
        needed = ("taken_at", "product", "dose", "unit")
        if self.checker is None or any(data.get(name) is None for name in needed):
            return data
        verdict = self.checker(**{name: data[name] for name in needed},
                               form_token=data.get("form_token") or "")
        self.apply_verdict(verdict)
        if verdict.asks_timing and not verdict.refusals:
            self.asks_timing = True
            if answer:
                data["timing"] = answer  # recorded only when the question was asked
            else:
                self.add_error("timing", "Choose whether this is your next dose taken early "
                                         "or an extra dose.")
        return data

    def offer_self(self, allow_self: bool, self_reason: str = "") -> None:
        """Offer "I injected myself" only to a patient cleared for it (or keep it on an entry
        that already says so)."""
        instance = self.instance
        self.fields["administered_by"].choices = [
            (v, label) for v, label in AdministeredBy.choices
            if allow_self or v != AdministeredBy.SELF
            or (instance is not None and instance.pk and instance.administered_by == v)]
        if not allow_self:
            self.fields["administered_by"].help_text = self_reason or (
                "Injecting yourself needs your clinician's assessment and training first.")

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in self.Meta.fields}
        values["lot_number"] = values["lot_number"] or ""
        values["timing"] = data.get("timing") or ""
        values["notes"] = values["notes"] or ""
        for name in (*LOCAL_REACTIONS, *SYSTEMIC_REACTIONS):
            values[name] = data[name]
        return values


class RegimenFromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=ProtocolTemplate.objects.filter(is_active=True).prefetch_related("phases"),
        widget=forms.RadioSelect,
        empty_label=None, label="Regimen template",
        help_text="You can adjust every phase after saving.",
    )
    start_date = forms.DateField(
        widget=date_widget(),
        help_text="First possible dose day (the first dose falls on or after it).",
    )
    time_of_day = forms.TimeField(
        initial=dt.time(9, 0), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Local time of day in the patient's time zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].label_from_instance = lambda t: f"{t.name}: {t.description}"
        self.helper = _helper()


class PhaseForm(ConfirmableForm, forms.ModelForm):
    """One phase as plain choices; the RRULE is built from them (never typed). A dose outside
    the product's range, or a change of a stored phase's dose, needs a confirmation to save
    (``saving``: the clinician pressed Save, not Preview)."""

    weekdays = forms.MultipleChoiceField(
        choices=Weekday.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only for 'On chosen weekdays'.",
    )

    class Meta:
        model = Phase
        fields = ["kind", "product", "dose", "unit", "repeat", "interval", "weekdays",
                  "time_of_day", "start_date", "end_kind", "count", "until", "note"]
        widgets = {
            "end_kind": forms.RadioSelect,
            "time_of_day": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "start_date": date_widget(),
            "until": date_widget(),
        }
        labels = {"repeat": "Repeats", "end_kind": "Ends", "count": "Number of doses",
                  "until": "Last day", "interval": "Every"}
        help_texts = {"count": "Only for 'After a number of doses'.",
                      "until": "Only for 'On a date'."}

    def __init__(self, *args, saving: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_confirmation()
        self.saving = saving
        self.initial["weekdays"] = list(self.instance.weekday_codes)
        self.initial["dose"] = _plain_decimal(self.initial.get("dose"))
        self.helper = _helper(
            "confirmed_for",
            Fieldset("Dose", "kind", "product", "dose", "unit"),
            Fieldset("How often", "repeat", "interval", "weekdays", "time_of_day", "start_date"),
            Fieldset("When it ends", "end_kind", "count", "until"),
            "note",
        )

    def clean_weekdays(self):
        return ",".join(c for c in scheduling.WEEKDAY_CODES if c in self.cleaned_data["weekdays"])

    def clean(self):
        data = super().clean()
        end_kind = data.get("end_kind")
        if end_kind == EndKind.COUNT and not data.get("count"):
            self.add_error("count", "Give the number of doses.")
        if end_kind == EndKind.UNTIL and not data.get("until"):
            self.add_error("until", "Give the last day of this phase.")
        if data.get("repeat") == scheduling.WEEKDAYS and not data.get("weekdays"):
            self.add_error("weekdays", "Choose at least one weekday.")
        if end_kind != EndKind.COUNT:
            data["count"] = None
        if end_kind != EndKind.UNTIL:
            data["until"] = None
        self.check_dose(data)
        return data

    def check_dose(self, data: dict) -> None:
        if data.get("dose") is None or not data.get("product") or not data.get("unit"):
            return
        stored = self.instance
        usual = (stored.dose, stored.unit) if stored.pk else None
        self.apply_verdict(plausibility.verdict(*plausibility.dose_findings(
            product=data["product"], dose=data["dose"], unit=data["unit"], usual=usual,
            usual_words="the phase's current dose of")), require=self.saving)

    def phase_values(self) -> dict:
        """The phase's own fields (not the confirmation)."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class PhaseEndForm(forms.Form):
    end_date = forms.DateField(
        widget=date_widget(), label="Last day of this phase",
        help_text="No doses of this phase after this day. The next phase continues from it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ChecklistForm(forms.ModelForm):
    """A dated checklist: the day, one tick box per item of the model's ``ITEMS``, notes."""

    date_field = ""

    @property
    def item_names(self) -> tuple[str, ...]:
        return tuple(self._meta.model.ITEMS)

    def checked_items(self) -> dict[str, bool]:
        """Each checklist item and whether it was ticked (the day and notes are not items)."""
        return {name: self.cleaned_data[name] for name in self.item_names}

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {self.date_field: data[self.date_field], "items": self.checked_items(),
                "notes": data["notes"]}


class AssessmentForm(ChecklistForm):
    date_field = "assessed_on"

    class Meta:
        model = SuitabilityAssessment
        fields = ["assessed_on", *SuitabilityAssessment.ITEMS, "notes"]
        widgets = {"assessed_on": date_widget(),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "assessed_on",
            Fieldset("Suitability (tick each that applies)", *SuitabilityAssessment.ITEMS),
            "notes",
        )


class TrainingForm(ChecklistForm):
    date_field = "observed_on"

    class Meta:
        model = TrainingRecord
        fields = ["observed_on", *TrainingRecord.ITEMS, "notes"]
        widgets = {"observed_on": date_widget(),
                   "notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"observed_on": "First injection observed on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            "observed_on",
            Fieldset("Training checklist (observed)", *TrainingRecord.ITEMS),
            HTML(""),
            "notes",
        )


class SupplyForm(forms.Form):
    ampoules_on_hand = forms.IntegerField(
        label="Ampoules at home", min_value=0, max_value=500,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Count the unopened ampoules you have now. One ampoule is one dose.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class PhaseDoseAdminForm(forms.ModelForm):
    """The admin's phase rows (templates and patients' regimens): a dose outside the product's
    usual range, or a change of a saved dose, is saved only with "Confirm an unusual dose"
    ticked; one far outside is refused by the model whatever is ticked."""

    confirm_dose = forms.BooleanField(
        required=False, label="Confirm an unusual dose",
        help_text="Needed only when the dose is outside the product's usual range or changed.")

    def clean(self):
        data = super().clean()
        if data.get("dose") is None or not data.get("product") or not data.get("unit"):
            return data
        stored = self.instance
        usual = (stored.dose, stored.unit) if stored.pk else None
        findings = plausibility.dose_findings(
            product=data["product"], dose=data["dose"], unit=data["unit"], usual=usual,
            usual_words="the saved dose of")
        confirmations = [f.message for f in findings if f.kind == plausibility.CONFIRM]
        if confirmations and not data.get("confirm_dose"):
            self.add_error("confirm_dose", " ".join(confirmations)
                           + " If it is right, tick “Confirm an unusual dose” and save again.")
        return data
