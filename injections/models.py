"""Protocol templates, regimens and phases, planned doses, the injection log, self-injection
readiness and supply. Logic lives in scheduling.py (pure) and services.py (writes)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from b12care.accounts.models import PatientProfile
from b12care.core import validation
from b12care.core.models import TimeStampedModel

from . import describe, plausibility, scheduling


class Product(models.TextChoices):
    HYDROXOCOBALAMIN = "hydroxocobalamin", "Hydroxocobalamin"
    CYANOCOBALAMIN = "cyanocobalamin", "Cyanocobalamin"
    OTHER = "other", "Other vitamin B12"


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MICROGRAM = "microgram", "µg"


class PhaseKind(models.TextChoices):
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    OTHER = "other", "Other"


class Repeat(models.TextChoices):
    DAYS = scheduling.DAYS, "Every N days"
    WEEKS = scheduling.WEEKS, "Every N weeks"
    WEEKDAYS = scheduling.WEEKDAYS, "On chosen weekdays"
    MONTHS = scheduling.MONTHS, "Every N months (same day of the month)"


class EndKind(models.TextChoices):
    COUNT = "count", "After a number of doses"
    UNTIL = "until", "On a date"
    OPEN = "open", "Open: until a clinician ends it"


class Weekday(models.TextChoices):
    MO = "MO", "Monday"
    TU = "TU", "Tuesday"
    WE = "WE", "Wednesday"
    TH = "TH", "Thursday"
    FR = "FR", "Friday"
    SA = "SA", "Saturday"
    SU = "SU", "Sunday"


class PhaseFields(models.Model):
    """The schedule of one phase as plain choices; ``rrule`` is derived from them."""

    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=PhaseKind.choices, default=PhaseKind.INDUCTION)
    product = models.CharField(
        max_length=24, choices=Product.choices, default=Product.HYDROXOCOBALAMIN
    )
    dose = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=12, choices=DoseUnit.choices, default=DoseUnit.MG)
    repeat = models.CharField(max_length=12, choices=Repeat.choices, default=Repeat.DAYS)
    interval = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Every how many days, weeks or months.",
    )
    weekdays = models.CharField(
        max_length=24, blank=True, help_text="Comma-separated codes, e.g. MO,WE,FR."
    )
    end_kind = models.CharField(max_length=8, choices=EndKind.choices, default=EndKind.COUNT)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def weekday_codes(self) -> tuple[str, ...]:
        return tuple(c for c in (self.weekdays or "").split(",") if c)

    @property
    def dose_text(self) -> str:
        return f"{self.dose.normalize():f} {self.get_unit_display()}"

    def clean(self) -> None:
        refuse_implausible_dose(self)


def refuse_implausible_dose(obj) -> None:
    """A dose far outside the product's range is never saved, whatever the form sent."""
    refusal = plausibility.dose_refusal(product=obj.product, dose=obj.dose, unit=obj.unit)
    if refusal is not None:
        raise ValidationError({"dose": refusal.message})


class ProtocolTemplate(TimeStampedModel):
    """An admin-configured preset regimen (e.g. from CLINICAL.md) that clinicians copy."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    source = models.CharField(max_length=120, blank=True, help_text="e.g. BNF/NICE CKS")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        """Generated from the phases (prefetch ``phases`` when listing templates)."""
        return describe.phases_in_words(self.phases.all())


class TemplatePhase(PhaseFields):
    template = models.ForeignKey(ProtocolTemplate, on_delete=models.CASCADE, related_name="phases")
    until_after_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For 'on a date': this many days after the phase starts."
    )

    class Meta:
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="template_phase_order"),
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.get_kind_display()} {self.order}"


class RegimenStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class Regimen(TimeStampedModel):
    """A patient's treatment plan: ordered phases. At most one active regimen per patient."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="regimens")
    template = models.ForeignKey(
        ProtocolTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=8, choices=RegimenStatus.choices, default=RegimenStatus.ACTIVE
    )
    start_date = models.DateField(help_text="First possible dose day, in the patient's zone.",
                                  validators=validation.PLANNED_DATE_VALIDATORS)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="one_active_regimen"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.patient})"


class Phase(PhaseFields):
    regimen = models.ForeignKey(Regimen, on_delete=models.CASCADE, related_name="phases")
    time_of_day = models.TimeField(
        default=dt.time(9, 0), help_text="Local time of day the dose is due."
    )
    start_date = models.DateField(
        null=True, blank=True, validators=validation.PLANNED_DATE_VALIDATORS,
        help_text="Leave empty to continue one interval after the previous phase ends.",
    )
    until = models.DateField(null=True, blank=True,
                             validators=validation.PLANNED_DATE_VALIDATORS)
    ended_on = models.DateField(
        null=True, blank=True, help_text="Set when a clinician ended the phase."
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rrule = models.CharField(max_length=200, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["regimen", "order"]
        constraints = [
            models.UniqueConstraint(fields=["regimen", "order"], name="regimen_phase_order"),
            models.CheckConstraint(
                condition=~Q(end_kind="count") | Q(count__gte=1), name="phase_count_needs_count"
            ),
            models.CheckConstraint(
                condition=~Q(end_kind="until") | Q(until__isnull=False),
                name="phase_until_needs_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.recurrence.describe()})"

    @property
    def recurrence(self) -> scheduling.Recurrence:
        return scheduling.Recurrence(
            repeat=self.repeat,
            interval=self.interval or 1,
            weekdays=self.weekday_codes,
            count=self.count if self.end_kind == EndKind.COUNT else None,
            until=self.until if self.end_kind == EndKind.UNTIL else None,
        )

    @property
    def plan(self) -> scheduling.PhasePlan:
        return scheduling.PhasePlan(
            self.recurrence, self.time_of_day, start_day=self.start_date, ended_on=self.ended_on
        )

    @property
    def is_open_ended(self) -> bool:
        return self.end_kind == EndKind.OPEN and self.ended_on is None

    def clean(self) -> None:
        super().clean()
        if self.end_kind == EndKind.COUNT and not self.count:
            raise ValidationError({"count": "Give the number of doses."})
        if self.end_kind == EndKind.UNTIL and not self.until:
            raise ValidationError({"until": "Give the last day of this phase."})
        try:
            self.recurrence.validate()
            self.rrule = scheduling.build_rrule(self.recurrence, first_day=self.start_date)
        except scheduling.ScheduleError as exc:
            raise ValidationError(str(exc)) from None


class DoseStatus(models.TextChoices):
    OPEN = "open", "Due"
    TAKEN = "taken", "Taken"
    MISSED = "missed", "Missed"
    SKIPPED = "skipped", "Skipped"


class PlannedDose(models.Model):
    """One dose a patient is expected to take, materialised for a rolling horizon.

    ``due_at`` is UTC. The reminder sweep (alerts) reads open rows through the partial index
    ``planned_dose_open_due``. ``status`` moves open -> taken (an injection fulfils it), open ->
    missed (its matching window passed), or -> skipped (a clinician decided).

    ``grace_end`` (the deadline) and ``window_end`` are derived from the due time whenever
    the row is written
    (``save()``, or ``fill_derived()`` before a bulk insert), so pages compare them with
    ``now`` in SQL. ``on_time`` is a read-model column (injections/readmodels.py): None until
    an injection fulfils the dose, then whether it was taken by the deadline."""

    regimen = models.ForeignKey(Regimen, on_delete=models.CASCADE, related_name="planned_doses")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="planned_doses")
    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="planned_doses"
    )
    sequence = models.PositiveIntegerField(help_text="Dose number within its phase (1-based).")
    due_at = models.DateTimeField()
    window = models.DurationField(help_text="An injection this close fulfils the dose.")
    grace = models.DurationField(help_text="How late the dose may be and still be on time.")
    grace_end = models.DateTimeField(editable=False,
                                     help_text="due_at + grace: the deadline, overdue after.")
    window_end = models.DateTimeField(editable=False,
                                      help_text="due_at + window: missed after, if untaken.")
    status = models.CharField(max_length=8, choices=DoseStatus.choices, default=DoseStatus.OPEN)
    injection = models.OneToOneField(
        "Injection", on_delete=models.SET_NULL, null=True, blank=True, related_name="planned_dose"
    )
    on_time = models.BooleanField(null=True, editable=False,
                                  help_text="None until taken; then taken by the deadline?")
    created_at = models.DateTimeField(auto_now_add=True)

    # on_time is a read-model column, recomputed from the injection: not history of its own.
    history = HistoricalRecords(excluded_fields=["on_time"])

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["regimen", "due_at"], name="planned_dose_unique_due"),
            models.UniqueConstraint(
                fields=["phase", "sequence"], name="planned_dose_unique_sequence"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="open"), name="planned_dose_open_due"
            ),
            models.Index(fields=["patient", "due_at"], name="planned_dose_patient_due"),
            # The clinician dashboard asks, for every patient, "is a dose overdue or recently
            # missed?": one probe of this small index per patient.
            models.Index(fields=["patient", "due_at"], condition=Q(status__in=["open", "missed"]),
                         name="planned_dose_patient_untaken"),
            # Adherence counts an untaken dose as due once its deadline passed: pages count
            # those per phase live from this small index (taken ones are stored counters).
            models.Index(fields=["phase", "grace_end"],
                         condition=Q(on_time__isnull=True) & ~Q(status="skipped"),
                         name="planned_dose_untaken_grace_end"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} dose {self.sequence} due {self.due_at:%Y-%m-%d %H:%M}Z"

    def save(self, *args, **kwargs) -> None:
        self.fill_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"due_at", "window", "grace"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "grace_end", "window_end"}
        super().save(*args, **kwargs)

    def fill_derived(self) -> PlannedDose:
        self.grace_end = scheduling.dose_deadline(self.due_at, self.grace)
        self.window_end = self.due_at + self.window
        return self


class PhaseAdherence(models.Model):
    """Read model (injections/readmodels.py): a phase's taken doses, counted when they change.
    Adherence adds, live in SQL, the untaken doses whose deadline has passed (selectors)."""

    phase = models.OneToOneField(Phase, on_delete=models.CASCADE, primary_key=True,
                                 related_name="adherence")
    taken = models.PositiveIntegerField(default=0, help_text="Taken doses, skipped ones apart.")
    taken_on_time = models.PositiveIntegerField(default=0)
    first_grace = models.DurationField(null=True, help_text="Grace of the phase's first dose.")

    def __str__(self) -> str:
        return f"Adherence of phase {self.phase_id}: {self.taken_on_time}/{self.taken} taken"


class DoseSummary(models.Model):
    """Read model (injections/readmodels.py): one row per patient with their next dose (the
    earliest open planned dose of the active regimen) and their latest injection."""

    patient = models.OneToOneField(PatientProfile, on_delete=models.CASCADE, primary_key=True,
                                   related_name="dose_summary")
    # Rewritten in the transaction that deletes the dose; no constraint, so deleting doses
    # costs no extra query (a stale id would read as "no next dose").
    next_dose = models.ForeignKey(PlannedDose, on_delete=models.DO_NOTHING, null=True,
                                  db_constraint=False, db_index=False, related_name="+")
    last_injection_at = models.DateTimeField(null=True)
    last_injection_site = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name_plural = "dose summaries"

    def __str__(self) -> str:
        return f"Dose summary of {self.patient_id}"


class Site(models.TextChoices):
    LEFT_DELTOID = "left_deltoid", "Left upper arm (deltoid)"
    RIGHT_DELTOID = "right_deltoid", "Right upper arm (deltoid)"
    LEFT_THIGH = "left_vastus_lateralis", "Left outer thigh (vastus lateralis)"
    RIGHT_THIGH = "right_vastus_lateralis", "Right outer thigh (vastus lateralis)"
    LEFT_VENTROGLUTEAL = "left_ventrogluteal", "Left hip (ventrogluteal)"
    RIGHT_VENTROGLUTEAL = "right_ventrogluteal", "Right hip (ventrogluteal)"
    LEFT_DORSOGLUTEAL = "left_dorsogluteal", "Left buttock (dorsogluteal, not advised)"
    RIGHT_DORSOGLUTEAL = "right_dorsogluteal", "Right buttock (dorsogluteal, not advised)"


class AdministeredBy(models.TextChoices):
    SELF = "self", "Myself"
    CARER = "carer", "A carer or family member"
    NURSE = "nurse", "A nurse or clinic"


LOCAL_REACTIONS = {
    "redness": "Redness",
    "swelling": "Swelling",
    "bruising": "Bruising",
    "persistent_pain": "Pain that lasts",
}
SYSTEMIC_REACTIONS = {
    "rash": "Rash",
    "itching": "Itching",
    "hives": "Hives (raised itchy welts)",
    "breathing_difficulty": "Difficulty breathing or wheeze",
    "face_throat_swelling": "Swelling of face, lips or throat",
    "dizziness": "Dizziness or feeling faint",
}
# Local reactions that mark a site as painful or inflamed (not suggested for 7 days).
INFLAMED_SITE_REACTIONS = ("redness", "swelling", "persistent_pain")


class Timing(models.TextChoices):
    """The patient's answer when an injection came long before the next dose was due."""

    EARLY = "early", "My next dose, taken early"
    EXTRA = "extra", "An extra dose"


class Injection(TimeStampedModel):
    """One injection given. Reactions are booleans so alert rules can filter on them."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="injections")
    taken_at = models.DateTimeField(db_index=True)
    product = models.CharField(max_length=24, choices=Product.choices)
    dose = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=12, choices=DoseUnit.choices, default=DoseUnit.MG)
    lot_number = models.CharField("batch (lot) number", max_length=40, blank=True)
    expiry_date = models.DateField("expiry date", null=True, blank=True,
                                   validators=validation.EXPIRY_DATE_VALIDATORS)
    site = models.CharField(max_length=32, choices=Site.choices)
    administered_by = models.CharField(max_length=8, choices=AdministeredBy.choices)
    pain = models.PositiveSmallIntegerField(
        "pain (0-10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    # Local reactions at the site.
    redness = models.BooleanField(default=False)
    swelling = models.BooleanField(default=False)
    bruising = models.BooleanField(default=False)
    persistent_pain = models.BooleanField("pain that lasts", default=False)
    # Systemic reactions (alert rules look at these).
    rash = models.BooleanField(default=False)
    itching = models.BooleanField(default=False)
    hives = models.BooleanField(default=False)
    breathing_difficulty = models.BooleanField("difficulty breathing", default=False)
    face_throat_swelling = models.BooleanField("swelling of face, lips or throat", default=False)
    dizziness = models.BooleanField("dizziness or feeling faint", default=False)
    notes = models.TextField(blank=True, max_length=2000)
    timing = models.CharField(
        max_length=8, choices=Timing.choices, blank=True,
        help_text="Asked only when it came long before the next dose: early or extra.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    form_token = models.CharField(
        max_length=64, null=True, blank=True, editable=False,
        help_text="One per log form: a double submit records one injection (per patient).",
    )
    history = HistoricalRecords(excluded_fields=["form_token"])

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["patient", "-taken_at"], name="injection_patient_taken")]
        constraints = [
            # Scoped per patient: a token another patient's form used is no key to their row.
            models.UniqueConstraint(fields=["patient", "form_token"],
                                    name="injection_form_token_per_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.get_site_display()} at {self.taken_at:%Y-%m-%d %H:%M}Z"

    @property
    def local_reactions(self) -> list[str]:
        return [label for name, label in LOCAL_REACTIONS.items() if getattr(self, name)]

    @property
    def systemic_reactions(self) -> list[str]:
        return [label for name, label in SYSTEMIC_REACTIONS.items() if getattr(self, name)]

    @property
    def dose_text(self) -> str:
        return f"{self.dose.normalize():f} {self.get_unit_display()}"

    def clean(self) -> None:
        refuse_implausible_dose(self)

    @property
    def site_inflamed(self) -> bool:
        return any(getattr(self, name) for name in INFLAMED_SITE_REACTIONS)


class SuitabilityAssessment(TimeStampedModel):
    """A clinician's assessment of whether the patient may inject themselves (CLINICAL.md)."""

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="suitability_assessments"
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assessed_on = models.DateField(validators=validation.PAST_DATE_VALIDATORS)
    no_needle_phobia = models.BooleanField("no significant needle phobia", default=False)
    no_tremor = models.BooleanField("no tremor or coordination problem", default=False)
    sterile_technique = models.BooleanField(
        "can follow sterile technique and sharps disposal", default=False
    )
    no_rapid_neuro_progression = models.BooleanField(
        "no rapid neurological progression needing supervision", default=False
    )
    sites_healthy = models.BooleanField(
        "no skin condition or infection risk at the sites", default=False
    )
    notes = models.TextField(blank=True, max_length=validation.NOTE_MAX_LENGTH)
    history = HistoricalRecords()

    ITEMS = ("no_needle_phobia", "no_tremor", "sterile_technique", "no_rapid_neuro_progression",
             "sites_healthy")

    class Meta:
        ordering = ["-assessed_on", "-created_at"]

    @property
    def suitable(self) -> bool:
        return all(getattr(self, item) for item in self.ITEMS)


class TrainingRecord(TimeStampedModel):
    """An observed first self-injection with the training checklist."""

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="training_records"
    )
    observed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    observed_on = models.DateField(validators=validation.PAST_DATE_VALIDATORS)
    needle_and_site_selection = models.BooleanField("needle and site selection", default=False)
    depth_and_angle = models.BooleanField("depth and angle (90°)", default=False)
    reducing_discomfort = models.BooleanField("reducing discomfort", default=False)
    sharps_disposal = models.BooleanField("sharps handling and disposal", default=False)
    recognising_reactions = models.BooleanField("recognising adverse reactions", default=False)
    notes = models.TextField(blank=True, max_length=validation.NOTE_MAX_LENGTH)
    history = HistoricalRecords()

    ITEMS = ("needle_and_site_selection", "depth_and_angle", "reducing_discomfort",
             "sharps_disposal", "recognising_reactions")

    class Meta:
        ordering = ["-observed_on", "-created_at"]

    @property
    def complete(self) -> bool:
        return all(getattr(self, item) for item in self.ITEMS)


class Supply(models.Model):
    """Ampoules the patient has at home (1 ampoule = 1 dose)."""

    patient = models.OneToOneField(PatientProfile, on_delete=models.CASCADE, related_name="supply")
    ampoules_on_hand = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(500)]
    )
    counted_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "supplies"

    def __str__(self) -> str:
        return f"{self.patient}: {self.ampoules_on_hand} ampoules"


class FollowUpSettings(models.Model):
    """Admin-configured delays of the questions asked after an injection (one row, pk=1;
    without it the defaults below apply). Changing them affects injections logged later."""

    DEFAULT_CHECKIN_MINUTES = 30
    DEFAULT_SITE_HOURS = 48

    checkin_delay_minutes = models.PositiveSmallIntegerField(
        "post-dose check-in after (minutes)", default=DEFAULT_CHECKIN_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="How long after a self- or carer-given injection the patient is asked about "
                  "signs of a serious allergic reaction (CLINICAL.md: about 30 minutes).")
    site_followup_hours = models.PositiveSmallIntegerField(
        "site follow-up after (hours)", default=DEFAULT_SITE_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="How long after an injection the patient is asked whether the site is still "
                  "painful, hot or swollen. Keep it equal to the site rule's persist_hours.")

    class Meta:
        verbose_name = verbose_name_plural = "follow-up settings"

    def __str__(self) -> str:
        return "Follow-up settings"

    @classmethod
    def current(cls) -> FollowUpSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class FollowUpKind(models.TextChoices):
    CHECKIN = "checkin", "Post-dose check-in"
    SITE = "site", "Site follow-up"


class FollowUpAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class InjectionFollowUp(models.Model):
    """A question asked after an injection at a stored ``due_at`` (no ETA task): the
    post-dose check-in (self/carer-given doses, about anaphylaxis signs) and the site
    follow-up (is the site still painful, hot or swollen?). The alert rules read the answers
    (b12care/alerts/data.py); site rotation skips a site whose "yes" is not yet cleared."""

    injection = models.ForeignKey(Injection, on_delete=models.CASCADE, related_name="followups")
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=FollowUpKind.choices)
    due_at = models.DateTimeField(help_text="When the question is shown (UTC).")
    answer = models.CharField(max_length=4, choices=FollowUpAnswer.choices, blank=True)
    answered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the latest answer was given (a 'yes' here is "
                                         "how long the problem lasted, for the site rule).")
    cleared_at = models.DateTimeField(
        null=True, blank=True, help_text="Site follow-up: when the site was said to be fine "
                                         "again after a 'yes' (site rotation suggests it again).")
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["injection", "kind"], name="followup_one_per_kind"),
        ]
        indexes = [
            # The patient home asks "which questions are due and unanswered?"
            models.Index(fields=["patient", "due_at"], condition=Q(answer=""),
                         name="followup_unanswered_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of injection {self.injection_id}"

    @property
    def site_problem(self) -> bool:
        """The site is still sore by the latest answer (not cleared since)."""
        return self.answer == FollowUpAnswer.YES and self.cleared_at is None
