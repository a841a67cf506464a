"""Lab catalogue (LOINC, units, ranges), results and the monitoring plan."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from b12care.accounts.models import PatientProfile, Sex
from b12care.core import validation
from b12care.core.models import TimeStampedModel

from . import units


def _limit(label: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=4, null=True, blank=True,
                               help_text=help_text)


class AnalyteKind(models.TextChoices):
    QUANTITATIVE = "quantitative", "Number with a unit"
    QUALITATIVE = "qualitative", "Negative / positive"


class Analyte(models.Model):
    """One lab test, keyed by LOINC. Limits are in ``canonical_unit`` (UCUM)."""

    loinc = models.CharField("LOINC code", max_length=16, unique=True)
    alt_loinc = models.CharField(
        "other LOINC code", max_length=16, blank=True,
        help_text="The same test reported in another unit family (e.g. B12 molar 14685-2).",
    )
    key = models.SlugField(max_length=32, unique=True, help_text="Stable short name for code.")
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=AnalyteKind.choices,
                            default=AnalyteKind.QUANTITATIVE)
    canonical_unit = models.CharField("canonical unit (UCUM)", max_length=20, blank=True)
    decimal_places = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(4)],
        help_text="Precision of the canonical value after conversion.",
    )
    ref_low = _limit("reference range low")
    ref_high = _limit("reference range high")
    ref_low_female = _limit("female range low", "Used instead of the range above for women.")
    ref_high_female = _limit("female range high")
    ref_low_male = _limit("male range low", "Used instead of the range above for men.")
    ref_high_male = _limit("male range high")
    critical_low = _limit("critical low", "Below this the result is critical.")
    critical_high = _limit("critical high", "Above this the result is critical.")
    min_plausible = _limit("lowest plausible value", "Lower values are refused as typos.")
    max_plausible = _limit("highest plausible value", "Higher values are refused as typos.")
    bands = models.JSONField(
        "decision bands", default=list, blank=True,
        help_text='In order, e.g. [{"below": "180", "label": "Deficiency likely"}, '
                  '{"upto": "350", "label": "Indeterminate"}, {"label": "Deficiency unlikely"}]',
    )
    qualitative_options = models.CharField(
        max_length=100, blank=True, help_text="Comma-separated answers, e.g. negative,positive."
    )
    qualitative_normal = models.CharField(max_length=30, blank=True)
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()  # reference ranges and limits: who changed them, when

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.loinc})"

    @property
    def is_qualitative(self) -> bool:
        return self.kind == AnalyteKind.QUALITATIVE

    @property
    def answer_choices(self) -> list[str]:
        return [a.strip() for a in self.qualitative_options.split(",") if a.strip()]

    def range_for(self, sex: str = "") -> tuple[Decimal | None, Decimal | None]:
        """Reference range for the patient's sex (falls back to the general range)."""
        if sex == Sex.FEMALE and (self.ref_low_female is not None
                                  or self.ref_high_female is not None):
            return self.ref_low_female, self.ref_high_female
        if sex == Sex.MALE and (self.ref_low_male is not None or self.ref_high_male is not None):
            return self.ref_low_male, self.ref_high_male
        return self.ref_low, self.ref_high

    @property
    def display_unit(self) -> str:
        return units.display_unit(self.canonical_unit)

    def range_text(self, sex: str = "") -> str:
        """"12–15.5 g/dL", "25 pmol/L or more", or "" without a range."""
        low, high = self.range_for(sex)
        if low is not None and high is not None:
            return f"{units.plain(low)}–{units.plain(high)} {self.display_unit}"
        if low is not None:
            return f"{units.plain(low)} {self.display_unit} or more"
        if high is not None:
            return f"up to {units.plain(high)} {self.display_unit}"
        return ""

    def flag_for(self, value: Decimal | None, sex: str = "") -> str:
        low, high = self.range_for(sex)
        return units.flag(value, ref_low=low, ref_high=high, critical_low=self.critical_low,
                          critical_high=self.critical_high)


class AnalyteUnit(models.Model):
    """A unit a result may be typed in: canonical value = value × multiply ÷ divide."""

    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="units")
    unit = models.CharField(max_length=20)
    multiply = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(1))
    divide = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(1))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["analyte", "unit"], name="analyte_unit_unique"),
            models.CheckConstraint(condition=Q(multiply__gt=0) & Q(divide__gt=0),
                                   name="analyte_unit_positive_factor"),
        ]

    def __str__(self) -> str:
        return self.unit


class Source(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"


class LabResult(TimeStampedModel):
    """One result, as typed and normalised to the analyte's canonical unit."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="lab_results")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="results")
    sampled_at = models.DateTimeField(help_text="When the blood was taken (UTC).")
    sampled_on = models.DateField(help_text="Day of the sample in the patient's time zone.",
                                  validators=validation.PAST_DATE_VALIDATORS)
    value_entered = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit_entered = models.CharField(max_length=20, blank=True)
    value = models.DecimalField("value (canonical unit)", max_digits=24,
                                decimal_places=units.STORED_PLACES, null=True, blank=True)
    qualitative = models.CharField("answer", max_length=30, blank=True)
    flag = models.CharField(max_length=16, blank=True)
    band = models.CharField("decision band", max_length=60, blank=True)
    lab_name = models.CharField("laboratory", max_length=120, blank=True)
    notes = models.TextField(blank=True, max_length=validation.NOTE_MAX_LENGTH)
    source = models.CharField(max_length=16, choices=Source.choices)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-sampled_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "analyte", "sampled_at"], name="labresult_series"),
            models.Index(fields=["patient", "-sampled_at"], name="labresult_patient_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0),
                                   name="labresult_value_not_negative"),
            models.CheckConstraint(condition=Q(value__isnull=False) | ~Q(qualitative=""),
                                   name="labresult_has_a_value"),
        ]

    def __str__(self) -> str:
        return f"{self.analyte.short_name} {self.display_value} on {self.sampled_on}"

    @property
    def display_value(self) -> str:
        """In the canonical unit; a converted value keeps only the precision that was typed."""
        if self.value is None:
            return self.qualitative
        number = (units.converted_text(self.value, self.value_entered)
                  if self.was_converted and self.value_entered is not None
                  else units.display_number(self.value, self.analyte.decimal_places))
        return f"{number} {units.display_unit(self.analyte.canonical_unit)}"

    @property
    def entered_text(self) -> str:
        if self.value_entered is None:
            return self.qualitative
        return f"{units.plain(self.value_entered)} {units.display_unit(self.unit_entered)}"

    @property
    def was_converted(self) -> bool:
        return self.value is not None and self.unit_entered != self.analyte.canonical_unit

    @property
    def flag_label(self) -> str:
        return units.FLAG_LABELS.get(self.flag, self.flag)


class LatestLabResult(models.Model):
    """Read model: a patient's newest result of one analyte (newest ``sampled_at``, then the
    highest id), with the facts pages show. Kept by ``labs.latest`` in the transaction that
    records, edits or deletes a result; ``labs.latest.live_latest`` is its definition."""

    # The unique (patient, analyte) index serves both lookups; an analyte is never deleted
    # while it has results (PROTECT), so its rows here need no index of their own.
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="latest_lab_results", db_index=False)
    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    result = models.ForeignKey(LabResult, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField("value (canonical unit)", max_digits=24,
                                decimal_places=units.STORED_PLACES, null=True, blank=True)
    qualitative = models.CharField("answer", max_length=30, blank=True)
    flag = models.CharField(max_length=16, blank=True)
    band = models.CharField("decision band", max_length=60, blank=True)
    sampled_at = models.DateTimeField()
    sampled_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "analyte"],
                                    name="latestlab_one_per_analyte"),
        ]

    def __str__(self) -> str:
        return f"latest {self.analyte_id} of {self.patient_id}: result {self.result_id}"


class PlanStatus(models.TextChoices):
    OPEN = "open", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class PlannedLab(TimeStampedModel):
    """A lab test due in a window of days; a result of the analyte sampled in the window
    fulfils it. ``due_date`` is the patient's local day (reminders turn it into an instant)."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="planned_labs")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="planned")
    label = models.CharField(max_length=120)
    due_date = models.DateField(validators=validation.PLANNED_DATE_VALIDATORS)
    window_start = models.DateField(help_text="Earliest sample day that counts.")
    window_end = models.DateField(help_text="Latest sample day that counts; overdue after it.")
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    fulfilled_by = models.ForeignKey(LabResult, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="fulfils")
    treatment_start = models.DateField(null=True, blank=True)
    plan_key = models.CharField(
        max_length=40, blank=True,
        help_text="Which default-plan item this is (empty for items a clinician added).",
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "treatment_start", "plan_key"], condition=~Q(plan_key=""),
                name="plannedlab_default_item_once",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_date"))
                & Q(due_date__lte=models.F("window_end")),
                name="plannedlab_due_inside_window",
            ),
        ]
        indexes = [
            # The reminder sweep and "next due" read only open rows: keep that index small.
            models.Index(fields=["due_date"], condition=Q(status="open"),
                         name="plannedlab_open_due"),
            models.Index(fields=["patient", "status", "due_date"], name="plannedlab_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.label} due {self.due_date}"


class UnitPreference(models.Model):
    """The unit a patient last entered a test in: the lab-entry form's default next time."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE,
                                related_name="lab_unit_preferences")
    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="+")
    unit = models.CharField(max_length=20)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "analyte"], name="unit_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.analyte.short_name} in {self.unit}"
