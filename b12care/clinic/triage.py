"""The clinician's triage dashboard: who needs them today, in a constant number of queries.

Order: open emergency alerts, open urgent alerts, open review alerts (within each, the newest
open finding first), then overdue doses, overdue labs, poor adherence (on time < 80 % over 90
days), no active schedule, then everyone else. The ordering is computed in SQL over all of
the clinician's patients (EXISTS and count subqueries on indexed columns): the dashboard runs it
as one SQL statement (``ranking.py``), ``triage_queryset`` is its ORM definition; the facts shown
for each row are fetched only for the page's patients, one query per kind of fact, so the
page costs the same number of queries at 5 or 5,000 patients.
The clinic app is where the other apps' data meets, so it reads their models directly (reads only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from b12care.accounts.access import visible_patients
from b12care.accounts.models import PatientProfile, User
from b12care.alerts.models import Alert, AlertStatus, Severity
from b12care.alerts.selectors import open_alert_facts
from b12care.core import validation
from injections.models import DoseStatus, PlannedDose, Regimen, RegimenStatus
from injections.selectors import dashboard_dose_facts
from labs.models import PlannedLab, PlanStatus
from labs.selectors import LatestLab, latest_key_labs
from symptoms.selectors import nerve_trends

from .ranking import ADHERENCE_DAYS, MISSED_RECENT_DAYS, POOR_ADHERENCE_PERCENT, ranking
from .state import refresh_triage_state

(EMERGENCY, URGENT, REVIEW, OVERDUE_DOSE, OVERDUE_LAB, POOR_ADHERENCE, NO_SCHEDULE,
 OTHER) = range(8)
GROUP_TITLES = {
    EMERGENCY: "Emergency alerts",
    URGENT: "Urgent alerts",
    REVIEW: "Alerts to review",
    OVERDUE_DOSE: "Overdue doses",
    OVERDUE_LAB: "Overdue blood tests",
    POOR_ADHERENCE: "Doses often late (under 80 % on time, 90 days)",
    NO_SCHEDULE: "No active schedule",
    OTHER: "Everyone else",
}
GROUP_KEYS = {"emergency": EMERGENCY, "urgent": URGENT, "review": REVIEW,
              "overdue_dose": OVERDUE_DOSE, "poor_adherence": POOR_ADHERENCE,
              "no_schedule": NO_SCHEDULE, "overdue_lab": OVERDUE_LAB, "other": OTHER}
SORTS = {
    # Within a tier, the newest open finding first (TriageState.newest_finding_at; patients
    # without alerts have none and keep the name order).
    "triage": ("triage_rank", F("triage_state__newest_finding_at").desc(nulls_last=True),
               "user__last_name", "user__first_name", "pk"),
    "name": ("user__last_name", "user__first_name", "pk"),
    "recent": ("-user__date_joined", "pk"),
}
PHASES = ("induction", "maintenance", "none")
KEY_LABS = ("hb", "mcv", "b12")
TREND_DAYS = 14  # neurological symptom sparkline (the red-flag window)
PAGE_SIZE = 25


def _due_deadline() -> ExpressionWrapper:
    return ExpressionWrapper(F("due_at") + F("grace"), output_field=DateTimeField())


def _active_phase_kind() -> Subquery:
    return Subquery(PlannedDose.objects.filter(
        patient=OuterRef("pk"), regimen__status=RegimenStatus.ACTIVE, status=DoseStatus.OPEN
    ).order_by("due_at").values("phase__kind")[:1])


def _poor_adherence(now: dt.datetime) -> tuple[dict, Q]:
    """Annotations and the condition "on time < 80 % of the doses due in the last 90 days":
    the dashboard's adherence definition (``injections.selectors.dashboard_dose_facts``) as
    two correlated counts on the (patient, due_at) index."""
    recent = PlannedDose.objects.filter(
        patient=OuterRef("pk"), due_at__gte=now - dt.timedelta(days=ADHERENCE_DAYS),
        due_at__lt=now).exclude(status=DoseStatus.SKIPPED)
    due = recent.filter(Q(on_time__isnull=False) | Q(grace_end__lt=now))
    annotations = {
        "adh_due": Coalesce(_count(due), Value(0), output_field=IntegerField()),
        "adh_on_time": Coalesce(_count(recent.filter(on_time=True)), Value(0),
                                output_field=IntegerField()),
    }
    condition = Q(adh_due__gt=0, adh_on_time__lt=F("adh_due") * POOR_ADHERENCE_PERCENT / 100.0)
    return annotations, condition


def _count(qs) -> Subquery:
    return Subquery(qs.order_by().values("patient").annotate(n=Count("pk")).values("n")[:1],
                    output_field=IntegerField())


def _has_schedule() -> Exists:
    return Exists(Regimen.objects.filter(patient=OuterRef("pk"), status=RegimenStatus.ACTIVE))


def _ranked(qs: QuerySet[PatientProfile], *, now: dt.datetime, alerts: tuple[Q, Q, Q],
            overdue_dose: Q, overdue_lab: Q) -> QuerySet[PatientProfile]:
    """The one ranking, given the conditions for each alert tier and overdue kind."""
    adherence, poor = _poor_adherence(now)
    emergency, urgent, review = alerts
    return qs.annotate(
        has_overdue_dose=_flag(overdue_dose),
        has_overdue_lab=_flag(overdue_lab),
        has_schedule=_has_schedule(),
        **adherence,
    ).annotate(
        triage_rank=Case(
            When(emergency, then=Value(EMERGENCY)),
            When(urgent, then=Value(URGENT)),
            When(review, then=Value(REVIEW)),
            When(overdue_dose, then=Value(OVERDUE_DOSE)),
            When(overdue_lab, then=Value(OVERDUE_LAB)),
            When(poor, then=Value(POOR_ADHERENCE)),
            When(has_schedule=False, then=Value(NO_SCHEDULE)),
            default=Value(OTHER),
            output_field=IntegerField(),
        ),
    ).alias(current_phase_kind=_active_phase_kind())


def triage_queryset(user: User, *, now: dt.datetime) -> QuerySet[PatientProfile]:
    """The user's patients, annotated with ``triage_rank`` (0 = emergency … 7 = everyone
    else), the alert tiers and deadlines read from the ``TriageState`` read model (one LEFT
    JOIN; a patient without a row yet ranks below the alert groups until ``dashboard`` fills
    it). The stored deadlines are compared with ``now`` here, so time passing moves patients
    between groups without any write; the definitions match ``live_triage_queryset``."""
    state = "triage_state__"
    missed_since = now - dt.timedelta(days=MISSED_RECENT_DAYS)
    overdue_dose = (Q(**{f"{state}next_dose_deadline__lt": now})
                    | Q(**{f"{state}last_missed_at__gte": missed_since,
                           f"{state}last_missed_at__lt": now}))
    # A planned lab is a calendar day, compared here with the UTC day: near midnight a patient far
    # from UTC joins "overdue labs" up to half a day early or late. Doses, which are instants,
    # are exact. (A per-patient local day in SQL would need zone arithmetic SQLite lacks.)
    overdue_lab = Q(**{f"{state}lab_overdue_from__lte": now.date()})
    alerts = (Q(**{f"{state}emergency_open__gt": 0}), Q(**{f"{state}urgent_open__gt": 0}),
              Q(**{f"{state}review_open__gt": 0}))
    return _ranked(visible_patients(user), now=now, alerts=alerts, overdue_dose=overdue_dose,
                   overdue_lab=overdue_lab)


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False),
                output_field=BooleanField())


def live_triage_queryset(user: User, *, now: dt.datetime) -> QuerySet[PatientProfile]:
    """The reference definition of the ranking, straight from the clinical tables (EXISTS
    probes per patient). The dashboard reads the same ranking from ``TriageState``
    (``triage_queryset``); tests keep the two equal."""
    alerts = Alert.objects.filter(patient=OuterRef("pk"), status=AlertStatus.OPEN)
    # due_at < now is implied by the deadline test (grace >= 0) and lets the partial index
    # planned_dose_patient_untaken answer with one short range scan per patient.
    overdue_doses = PlannedDose.objects.alias(deadline=_due_deadline()).filter(
        Q(status=DoseStatus.OPEN, deadline__lt=now)
        | Q(status=DoseStatus.MISSED, due_at__gte=now - dt.timedelta(days=MISSED_RECENT_DAYS)),
        patient=OuterRef("pk"), status__in=[DoseStatus.OPEN, DoseStatus.MISSED], due_at__lt=now,
    )
    overdue_labs = PlannedLab.objects.filter(
        patient=OuterRef("pk"), status=PlanStatus.OPEN, window_end__lt=now.date()
    )
    qs = visible_patients(user).annotate(
        has_emergency=Exists(alerts.filter(severity=Severity.EMERGENCY)),
        has_urgent=Exists(alerts.filter(severity=Severity.URGENT)),
        has_review=Exists(alerts.filter(severity=Severity.REVIEW)),
        live_overdue_dose=Exists(overdue_doses),
        live_overdue_lab=Exists(overdue_labs),
    )
    return _ranked(qs, now=now, alerts=(Q(has_emergency=True), Q(has_urgent=True),
                                        Q(has_review=True)),
                   overdue_dose=Q(live_overdue_dose=True), overdue_lab=Q(live_overdue_lab=True))


def filter_queryset(qs: QuerySet[PatientProfile], *, query: str = "", group: str = "",
                    phase: str = "") -> QuerySet[PatientProfile]:
    if query:
        qs = qs.filter(Q(user__first_name__icontains=query) | Q(user__last_name__icontains=query)
                       | Q(user__email__icontains=query))
    if group in GROUP_KEYS:
        qs = qs.filter(triage_rank=GROUP_KEYS[group])
    if phase == "none":
        qs = qs.filter(current_phase_kind__isnull=True)
    elif phase in PHASES:
        qs = qs.filter(current_phase_kind=phase)
    return qs


@dataclass(frozen=True)
class LabCell:
    """A key-lab cell: the latest result and whether its flag is shown as a problem."""

    lab: LatestLab
    flagged: bool

    @property
    def on_treatment_b12(self) -> bool:
        return self.lab.key == "b12" and not self.flagged and self.lab.flag not in ("", "normal")


def _lab_flagged(lab: LatestLab, first_dose_at: dt.datetime | None) -> bool:
    """Serum B12 taken after treatment started is not a response marker on IM therapy
    (CLINICAL.md): shown, never flagged as a problem. Other labs keep their flag."""
    if not lab.flag or lab.flag == "normal":
        return False
    return not (lab.key == "b12" and first_dose_at is not None
                and lab.sampled_at >= first_dose_at)


@dataclass
class Row:
    """One patient on the dashboard."""

    patient: PatientProfile
    group: int
    next_dose_at: dt.datetime | None = None
    next_dose_label: str = ""
    next_dose_overdue: bool = False
    last_dose_at: dt.datetime | None = None
    adherence_due: int = 0
    adherence_on_time: int = 0
    emergency_alerts: int = 0
    urgent_alerts: int = 0
    review_alerts: int = 0
    other_alerts: int = 0
    reason: str = ""  # the top open alert in a few words, with its age
    no_schedule: bool = False
    poor_adherence: bool = False
    trend: list[int | None] = field(default_factory=list)  # worst nerve score per day, oldest first
    labs: list[LatestLab] = field(default_factory=list)
    first_dose_at: dt.datetime | None = None

    @property
    def lab_cells(self) -> list[LabCell]:
        return [LabCell(lab, flagged=_lab_flagged(lab, self.first_dose_at)) for lab in self.labs]

    @property
    def adherence_percent(self) -> int | None:
        if not self.adherence_due:
            return None
        return round(100 * self.adherence_on_time / self.adherence_due)

    @property
    def open_alerts(self) -> int:
        return (self.emergency_alerts + self.urgent_alerts + self.review_alerts
                + self.other_alerts)

    @property
    def trend_direction(self) -> str:
        """"worse", "better", "steady" or "" (too few check-ins), comparing the latest score
        with the average of the first week of the window."""
        scores = [s for s in self.trend if s is not None]
        if len(scores) < 3:
            return ""
        first_week = [s for s in self.trend[:7] if s is not None] or scores[:1]
        baseline = sum(first_week) / len(first_week)
        latest = scores[-1]
        if latest - baseline >= 2:
            return "worse"
        if baseline - latest >= 2:
            return "better"
        return "steady"

    @property
    def trend_points(self) -> str:
        """SVG polyline points for the sparkline (x: day, y: 0–10 score, 10 at the top)."""
        return " ".join(f"{i * 9},{21 - 2 * s}" for i, s in enumerate(self.trend) if s is not None)


def build_rows(page_patients: list[PatientProfile], *, now: dt.datetime) -> list[Row]:
    """Facts for one page of patients from each app's batch selector (its read models): four
    queries whatever the page, the clinic's size or the length of anyone's history."""
    rows = {p.pk: Row(patient=p, group=p.triage_rank,
                      no_schedule=not getattr(p, "has_schedule", True),
                      poor_adherence=_is_poor(p)) for p in page_patients}
    ids = list(rows)
    if not ids:
        return []
    _dose_facts(rows, ids, now)
    _alerts(rows, ids, now)
    _trends(rows, ids, now)
    _labs(rows, ids)
    return [rows[p.pk] for p in page_patients]


def _dose_facts(rows: dict[int, Row], ids: list[int], now: dt.datetime) -> None:
    """Next dose, last injection and 90-day adherence (one query, injections' read models)."""
    for pk, facts in dashboard_dose_facts(ids, now=now, adherence_days=ADHERENCE_DAYS).items():
        row = rows[pk]
        row.next_dose_at = facts.next_dose_at
        row.next_dose_label = facts.next_dose_label
        row.next_dose_overdue = facts.next_dose_overdue
        row.last_dose_at = facts.last_dose_at
        row.adherence_due = facts.adherence.due
        row.adherence_on_time = facts.adherence.on_time
        row.first_dose_at = facts.first_dose_at


def _is_poor(patient: PatientProfile) -> bool:
    due, on_time = getattr(patient, "adh_due", 0), getattr(patient, "adh_on_time", 0)
    return bool(due) and on_time * 100 < POOR_ADHERENCE_PERCENT * due


def _alerts(rows: dict[int, Row], ids: list[int], now: dt.datetime) -> None:
    # Open alerts per tier and the top one's reason, from the alerts app's summary read model.
    for patient_id, facts in open_alert_facts(ids).items():
        row = rows[patient_id]
        row.emergency_alerts, row.urgent_alerts = facts.emergency, facts.urgent
        row.review_alerts, row.other_alerts = facts.review, facts.info
        if facts.reason and facts.reason_at:
            row.reason = f"{facts.reason} · {age_text(now - facts.reason_at)}"


def age_text(age: dt.timedelta) -> str:
    """How long ago, in a few characters: "just now", "3 min ago", "5 h ago", "2 d ago"."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 24 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} d ago"


def _trends(rows: dict[int, Row], ids: list[int], now: dt.datetime) -> None:
    trends = nerve_trends([rows[pk].patient for pk in ids], now=now, days=TREND_DAYS)
    for pk, trend in trends.items():
        rows[pk].trend = trend


def _labs(rows: dict[int, Row], ids: list[int]) -> None:
    for pk, labs in latest_key_labs(ids, KEY_LABS).items():
        rows[pk].labs = labs


@dataclass
class Dashboard:
    """One page of the dashboard. ``patients`` carry ``triage_rank``, ``has_overdue_dose`` and
    ``has_overdue_lab`` from the ranking query; their rows' facts come from ``build_rows``."""

    page: Page
    patients: list[PatientProfile]
    groups: list[tuple[str, list[PatientProfile]]]
    counts: dict[str, int]


def dashboard(user: User, *, now: dt.datetime, query: str = "", group: str = "",
              phase: str = "", sort: str = "triage", page_number: str | int | None = 1
              ) -> Dashboard:
    number = _page_number(page_number)
    ranked, patients = _ranked_page(user, now=now, query=query, group=group, phase=phase,
                                    sort=sort, number=number)
    if ranked:
        # The total is known: the paginator counts a range, not the database.
        page = Page(patients, ranked.number, Paginator(range(ranked.total), PAGE_SIZE))
        counts = ranked.counts
    else:  # an empty list, or a page number past the end: the paginator's own checks
        base = triage_queryset(user, now=now)
        counts = _counts(base, now=now)
        qs = filter_queryset(base, query=query, group=group, phase=phase)
        paginator = Paginator(qs.order_by(*SORTS.get(sort, SORTS["triage"])), PAGE_SIZE)
        page = paginator.get_page(number)
        patients = list(page.object_list)
    groups: list[tuple[str, list[PatientProfile]]] = []
    if sort in ("", "triage"):
        for patient in patients:
            title = GROUP_TITLES[patient.triage_rank]
            if not groups or groups[-1][0] != title:
                groups.append((title, []))
            groups[-1][1].append(patient)
    elif patients:
        groups = [("", patients)]
    return Dashboard(page=page, patients=patients, groups=groups, counts=counts)


@dataclass(frozen=True)
class RankedPage:
    """One page of the ranking: (patient id, rank, overdue dose, overdue lab) in order, the
    group counts over all of the user's patients, the total matching the filters."""

    number: int
    rows: tuple[tuple[int, int, bool, bool], ...]
    counts: dict[str, int]
    total: int


def _ranked_page(user: User, *, now: dt.datetime, query: str, group: str, phase: str,
                 sort: str, number: int
                 ) -> tuple[RankedPage | None, list[PatientProfile] | None]:
    """The live ranking of one page and its patients (``ranking.ranking``: one statement for
    the page, the total and the group counts; one more for the page's patients). Patients
    without a read-model row yet get one first. (None, None) for an empty page."""
    args = {"now": now, "query": query, "rank": GROUP_KEYS.get(group),
            "phase": phase if phase in PHASES else "", "sort": sort if sort in SORTS else "triage",
            "offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE}
    found = ranking(user, **args)
    if found and found.missing:
        _fill_missing_rows(triage_queryset(user, now=now), now=now)
        found = ranking(user, **args)
    if not found:
        return None, None
    profiles = visible_patients(user).in_bulk([row.patient_id for row in found.rows])
    patients = []
    for row in found.rows:
        patient = profiles.get(row.patient_id)
        if patient is None:  # left the care team between the two queries
            continue
        patient.triage_rank, patient.has_schedule = row.triage_rank, row.has_schedule
        patient.has_overdue_dose = row.has_overdue_dose
        patient.has_overdue_lab = row.has_overdue_lab
        patient.adh_due, patient.adh_on_time = row.adh_due, row.adh_on_time
        patients.append(patient)
    return RankedPage(
        number=number,
        rows=tuple((p.pk, p.triage_rank, p.has_overdue_dose, p.has_overdue_lab)
                   for p in patients),
        counts={key: found.counts[rank] for key, rank in GROUP_KEYS.items()},
        total=found.total), patients


def _fill_missing_rows(base: QuerySet[PatientProfile], *, now: dt.datetime) -> None:
    """Patients without a read-model row yet (just invited, or a database filled before the
    read model existed): compute their rows now rather than show them as "everyone else"."""
    refresh_triage_state(base.filter(triage_state__isnull=True).values_list("pk", flat=True),
                         now=now)


def _counts(base: QuerySet[PatientProfile], *, now: dt.datetime) -> dict[str, int]:
    counts = _group_counts(base)
    if counts.pop(None, 0):
        _fill_missing_rows(base, now=now)
        counts = _group_counts(base)
        counts.pop(None, 0)
    return {key: counts.get(rank, 0) for key, rank in GROUP_KEYS.items()}


MAX_PAGE = 100_000  # past any clinic's last page; 10^23 would overflow the query's OFFSET


def _page_number(value: str | int | None) -> int:
    number = validation.bounded_int(value, default=1, low=-(10**9), high=10**9)
    return min(max(1, number), MAX_PAGE)


def _group_counts(base: QuerySet[PatientProfile]) -> dict[int | None, int]:
    """Patients per triage group in one query; key None counts patients with no state row."""
    counts: dict[int | None, int] = {}
    rows = base.values_list("triage_rank").annotate(
        n=Count("pk"), missing=Count("pk", filter=Q(triage_state__isnull=True))
    ).values_list("triage_rank", "n", "missing")
    for rank, n, missing in rows:
        counts[rank] = counts.get(rank, 0) + n
        if missing:
            counts[None] = counts.get(None, 0) + missing
    return counts
