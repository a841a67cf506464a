"""The dose read models (injections/readmodels.py) equal their live definitions at any moment:
each dose's on-time flag, adherence per phase (``scheduling.adherence``), the next dose and the
last injection, and the dashboard's dose facts, over varied histories (early, on time, late,
missed, skipped, extra, corrected and deleted injections, a phase ended, a time zone changed)
across daylight-saving changes, checked at many clocks."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from b12care.accounts.services import patient_settings_update
from b12care.accounts.tests.factories import CareTeamFactory
from b12care.core import events
from injections import protocols, readmodels, scheduling, selectors, services
from injections.models import (
    DoseStatus,
    DoseSummary,
    Injection,
    Phase,
    PhaseAdherence,
    PlannedDose,
    ProtocolTemplate,
    RegimenStatus,
)

from .test_summary_sql import reference, summary_ids

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Spans the spring changes: New York 8 Mar, London 29 Mar, Sydney 5 Apr (clocks go back).
START = dt.datetime(2026, 2, 24, 0, 0, tzinfo=UTC)
DAYS = 45
PLAN_AHEAD = dt.timedelta(days=30)  # more than any matching window: events never run backwards
# (zone, template, local time of day): 02:30 does not exist in New York on 8 Mar, 01:30 not in
# London on 29 Mar, and 02:30 happens twice in Sydney on 5 Apr.
STORIES = [
    ("America/New_York", protocols.HYDROXO_NEURO, dt.time(2, 30)),
    ("Europe/London", protocols.HYDROXO_NO_NEURO, dt.time(1, 30)),
    ("Australia/Sydney", protocols.CYANO_US_LABEL, dt.time(2, 30)),
]
OUTCOMES = ("early", "on_time", "on_time", "on_time", "late", "missed", "skipped")
NO_FACTS = selectors.DoseFacts(None, "", False, None, scheduling.Adherence(0, 0))


# --- Live definitions -------------------------------------------------------------------------

def outcomes(doses) -> list[scheduling.DoseOutcome]:
    return [scheduling.DoseOutcome(d.due_at, d.injection.taken_at if d.injection_id else None,
                                   d.status == DoseStatus.SKIPPED, d.grace) for d in doses]


def live_doses(patient) -> list[PlannedDose]:
    return list(PlannedDose.objects.filter(patient=patient)
                .select_related("injection", "phase", "regimen").order_by("due_at", "pk"))


def live_dashboard_facts(patient, now) -> selectors.DoseFacts:
    doses = live_doses(patient)
    open_active = [d for d in doses
                   if d.status == DoseStatus.OPEN and d.regimen.status == RegimenStatus.ACTIVE]
    nxt = open_active[0] if open_active else None
    last = Injection.objects.filter(patient=patient).order_by("-taken_at", "-pk").first()
    first = Injection.objects.filter(patient=patient).order_by("taken_at", "pk").first()
    since = now - dt.timedelta(days=90)
    return selectors.DoseFacts(
        next_dose_at=nxt.due_at if nxt else None,
        next_dose_label=selectors.phase_label(nxt.phase, nxt.sequence) if nxt else "",
        next_dose_overdue=nxt is not None and nxt.due_at + nxt.grace < now,
        last_dose_at=last.taken_at if last else None,
        adherence=scheduling.adherence(outcomes([d for d in doses if since <= d.due_at < now]),
                                       now=now),
        first_dose_at=first.taken_at if first else None,
    )


def assert_read_models_are_live(patient, now) -> None:
    doses = live_doses(patient)
    for d in doses:
        assert (d.grace_end, d.window_end) == (d.due_at + d.grace, d.due_at + d.window)
        taken_at = d.injection.taken_at if d.injection_id else None
        assert d.on_time == (None if taken_at is None else taken_at <= d.due_at + d.grace), d
    for phase in Phase.objects.filter(regimen__patient=patient):
        mine = [d for d in doses if d.phase_id == phase.pk]
        counted = [d for d in mine if d.injection_id and d.status != DoseStatus.SKIPPED]
        stored = PhaseAdherence.objects.get(phase=phase)
        assert (stored.taken, stored.taken_on_time, stored.first_grace) == (
            len(counted), sum(d.on_time for d in counted), mine[0].grace if mine else None)
    summary = selectors.schedule_summary(patient, now=now)
    for row in summary["adherence"]:
        live = scheduling.adherence(outcomes([d for d in doses if d.phase_id == row.phase.pk]),
                                    now=now)
        assert (row.on_time, row.due) == (live.on_time, live.due), (row.phase, now)
    expected = reference(patient, now)
    shown = summary_ids(patient, now)
    assert shown | {"adherence": None} == expected | {"adherence": None}, now
    facts = selectors.dashboard_dose_facts([patient.pk], now=now).get(patient.pk, NO_FACTS)
    assert facts == live_dashboard_facts(patient, now), now


# --- A varied history, played in time order ---------------------------------------------------

class History:
    """Patients' doses acted on in time order: each dose is taken early, on time or late, missed
    or skipped; now and then an entry is corrected or deleted; checks run at many clocks."""

    def __init__(self, patients, clinician, rng: random.Random):
        self.patients, self.clinician, self.rng = patients, clinician, rng
        self.queue: list = []
        self.planned: set[int] = set()
        self.order = itertools.count()
        self.checks = 0

    def push(self, at: dt.datetime, action: str, patient, payload=None) -> None:
        heapq.heappush(self.queue, (at, next(self.order), action, patient.pk, payload))

    def plan(self, until: dt.datetime, not_before: dt.datetime) -> None:
        for patient in self.patients:
            for dose in PlannedDose.objects.filter(patient=patient, status=DoseStatus.OPEN,
                                                   due_at__lt=until).exclude(pk__in=self.planned):
                self.planned.add(dose.pk)
                self._plan_dose(patient, dose, not_before)

    def _plan_dose(self, patient, dose, not_before) -> None:
        outcome, r = self.rng.choice(OUTCOMES), self.rng.uniform(0.05, 0.95)
        if outcome == "missed":
            return
        if outcome == "skipped":
            self.push(max(dose.due_at - dt.timedelta(hours=1), not_before), "skip", patient,
                      dose.pk)
            return
        taken = {"early": dose.due_at - dose.window * r, "on_time": dose.due_at + dose.grace * r,
                 # past the grace; beyond the window (an extra dose) when grace == window
                 "late": dose.due_at + dose.grace + max(dose.window - dose.grace,
                                                        dt.timedelta(hours=2)) * r}[outcome]
        taken = max(taken, not_before)
        self.push(taken + dt.timedelta(minutes=self.rng.randint(0, 90)), "log", patient, taken)

    def run(self, end: dt.datetime) -> None:
        while self.queue and self.queue[0][0] < end:
            at, _, action, patient_pk, payload = heapq.heappop(self.queue)
            patient = next(p for p in self.patients if p.pk == patient_pk)
            patient.refresh_from_db()
            with time_machine.travel(at, tick=False):
                getattr(self, f"_{action}")(patient, at, payload)
                if action not in ("check", "roll"):  # the roll is checked at the next clock
                    self._check(patient, at, None)

    def _check(self, patient, at, _payload) -> None:
        assert_read_models_are_live(patient, at)
        self.checks += 1

    def _log(self, patient, at, taken_at) -> None:
        services.injection_record(
            patient=patient, recorded_by=self.clinician, now=at, taken_at=taken_at,
            product="hydroxocobalamin", dose=Decimal(1), unit="mg", site="left_deltoid",
            administered_by="nurse")

    def _skip(self, patient, at, dose_pk) -> None:
        with transaction.atomic():  # as the admin does: a direct write, announced
            PlannedDose.objects.filter(pk=dose_pk, status=DoseStatus.OPEN).update(
                status=DoseStatus.SKIPPED)
            events.patient_data_changed([patient.pk], {events.DOSES}, now=at)

    def _correct(self, patient, at, _payload) -> None:
        latest = Injection.objects.filter(patient=patient).order_by("-taken_at").first()
        if latest is not None:
            moved = latest.taken_at + dt.timedelta(hours=self.rng.randint(-30, 30))
            services.injection_update(injection=latest, by=self.clinician, now=at,
                                      taken_at=min(moved, at))

    def _delete(self, patient, at, _payload) -> None:
        latest = Injection.objects.filter(patient=patient).order_by("-taken_at").first()
        if latest is not None:
            services.injection_delete(injection=latest, by=self.clinician, now=at)

    def _roll(self, patient, at, _payload) -> None:
        services.planned_doses_regenerate(patient=patient, now=at)

    def _move(self, patient, at, zone) -> None:
        patient_settings_update(patient=patient, values={"timezone": zone}, now=at)

    def _end_phase(self, patient, at, _payload) -> None:
        phase = services.phases_of(services.active_regimen(patient))[0]
        services.phase_end(phase=phase, end_date=scheduling.local_day(at, patient.tz),
                           by=self.clinician, now=at)


def play(patients, clinician, *, seed: int) -> History:
    rng = random.Random(seed)
    story = History(patients, clinician, rng)
    story.plan(START + PLAN_AHEAD, START)
    story.push(START + dt.timedelta(days=20, hours=7), "end_phase", patients[0])
    story.push(START + dt.timedelta(days=33, hours=15), "move", patients[1], "Asia/Kolkata")
    for day in range(DAYS):
        t0 = START + dt.timedelta(days=day)
        for patient in patients:
            story.push(t0 + dt.timedelta(minutes=5), "roll", patient)
            story.push(t0 + dt.timedelta(seconds=rng.randrange(86_400)), "check", patient)
            if rng.random() < 0.08:
                story.push(t0 + dt.timedelta(hours=rng.randint(1, 23)), "correct", patient)
            if rng.random() < 0.04:
                story.push(t0 + dt.timedelta(hours=rng.randint(1, 23)), "delete", patient)
        story.run(t0 + dt.timedelta(days=1))
        story.plan(t0 + dt.timedelta(days=1) + PLAN_AHEAD, t0 + dt.timedelta(days=1))
    return story


def patients_on_regimens(clinician) -> list:
    patients = []
    for zone, slug, time_of_day in STORIES:
        patient = CareTeamFactory(clinician=clinician, patient__timezone=zone).patient
        with time_machine.travel(START, tick=False):
            services.regimen_create_from_template(
                patient=patient, template=ProtocolTemplate.objects.get(slug=slug),
                start_date=START.date(), time_of_day=time_of_day, created_by=clinician,
                now=START)
        patients.append(patient)
    return patients


def test_the_read_models_equal_the_live_definitions_at_every_moment_of_a_varied_history(
    clinician
):
    patients = patients_on_regimens(clinician)
    story = play(patients, clinician, seed=7)
    later = START + dt.timedelta(days=DAYS)
    for patient in patients:  # and later, with no write in between
        for days in (0, 1, 8, 40, 120):
            assert_read_models_are_live(patient, later + dt.timedelta(days=days, hours=3))
    taken = PlannedDose.objects.filter(patient__in=patients, on_time__isnull=False)
    assert story.checks > 150
    # the history really holds every case
    assert taken.filter(on_time=True).exists() and taken.filter(on_time=False).exists()
    assert PlannedDose.objects.filter(status=DoseStatus.SKIPPED).exists()
    assert PlannedDose.objects.filter(status=DoseStatus.MISSED).exists()
    assert Injection.objects.filter(planned_dose__isnull=True).exists()  # extra doses


# --- Rows are rewritten only when a fact changed ----------------------------------------------

@pytest.fixture
def written(monkeypatch) -> list[int]:
    """The rows each refresh through the seam wrote."""
    counts: list[int] = []
    original = readmodels.refresh_dose_facts

    def counting(patient_ids):
        counts.append(original(patient_ids))
        return counts[-1]

    monkeypatch.setattr(readmodels, "refresh_dose_facts", counting)
    return counts


def test_logging_a_dose_rewrites_only_the_dose_its_phase_and_the_summary(clinician, written):
    [patient] = patients_on_regimens(clinician)[:1]
    dose = PlannedDose.objects.filter(patient=patient).order_by("due_at").first()
    at = dose.due_at + dt.timedelta(minutes=20)
    written.clear()
    with time_machine.travel(at, tick=False):
        services.injection_record(patient=patient, recorded_by=clinician, now=at,
                                  taken_at=at, product="hydroxocobalamin", dose=Decimal(1),
                                  unit="mg", site="left_deltoid", administered_by="nurse")
        assert written == [3]  # on-time flag, phase counters, summary (last injection, next)
        services.planned_doses_regenerate(patient=patient, now=at)  # the roll: nothing changed
        assert written == [3, 0]
        assert readmodels.refresh_dose_facts([patient.pk]) == 0


def test_changes_of_other_kinds_do_not_refresh_the_dose_facts(clinician, patient, written):
    events.patient_data_changed([patient.pk], {events.CARE, events.SYMPTOMS},
                                now=START)
    assert written == []


def test_a_direct_write_is_repaired_by_the_reconcile(clinician):
    patients = patients_on_regimens(clinician)
    now = START + dt.timedelta(days=10)
    doses = list(PlannedDose.objects.filter(patient=patients[2], due_at__lt=now))
    injections = Injection.objects.bulk_create(
        Injection(patient=patients[2], taken_at=d.due_at + dt.timedelta(hours=2 * i),
                  product="cyanocobalamin", dose=Decimal(1), unit="microgram", site="left_deltoid",
                  administered_by="nurse") for i, d in enumerate(doses))
    for dose, injection in zip(doses, injections, strict=True):  # as seed data does
        dose.status, dose.injection = DoseStatus.TAKEN, injection
    PlannedDose.objects.bulk_update(doses, ["status", "injection"])
    assert not PlannedDose.objects.filter(on_time__isnull=False).exists()  # stale: no announce
    assert readmodels.refresh_all(batch_size=2) > 0
    for patient in patients:
        assert_read_models_are_live(patient, now)
    assert readmodels.refresh_all() == 0


def test_an_injection_deleted_in_the_admin_leaves_its_dose_untaken_in_the_read_models(
    client, admin_user, clinician
):
    patient = patients_on_regimens(clinician)[1]
    dose = PlannedDose.objects.filter(patient=patient).order_by("due_at").first()
    at = dose.due_at + dt.timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        recorded = services.injection_record(
            patient=patient, recorded_by=clinician, now=at, taken_at=at,
            product="hydroxocobalamin", dose=Decimal(1), unit="mg", site="left_deltoid",
            administered_by="nurse")
        client.force_login(admin_user)
        url = f"/admin/injections/injection/{recorded.injection.pk}/delete/"
        assert client.post(url, {"post": "yes"}).status_code == 302
    dose.refresh_from_db()
    assert dose.injection_id is None and dose.on_time is None
    assert DoseSummary.objects.get(patient=patient).last_injection_at is None
    assert_read_models_are_live(patient, at + dt.timedelta(days=2))


@pytest.mark.django_db(transaction=True)
def test_two_writers_changing_one_phase_at_once_leave_the_right_count(clinician, monkeypatch):
    """Each refresh reads after locking the patient's summary row, so the writer that commits
    last stores counts that include the other's change (here: one dose logged while another
    dose's injection is deleted)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers; SQLite serialises them")
    patient = CareTeamFactory(clinician=clinician).patient
    services.regimen_create_from_template(
        patient=patient, template=ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NEURO),
        start_date=(START - dt.timedelta(days=100)).date(), time_of_day=dt.time(9),
        created_by=clinician, now=START)
    # Two doses 80 days apart: their writers lock no row in common before the refresh.
    first, later = list(PlannedDose.objects.filter(patient=patient, status=DoseStatus.MISSED)
                        .order_by("due_at"))[::40][:2]
    values = {"product": "hydroxocobalamin", "dose": Decimal(1), "unit": "mg",
              "site": "left_deltoid", "administered_by": "nurse"}
    logged = services.injection_record(patient=patient, recorded_by=clinician, now=START,
                                       taken_at=first.due_at, **values).injection
    assert PhaseAdherence.objects.get(phase=first.phase).taken == 1
    barrier = threading.Barrier(2, timeout=20)
    original = readmodels.refresh_dose_facts

    def together(patient_ids):
        barrier.wait()  # both writers have written and neither has committed
        return original(patient_ids)

    monkeypatch.setattr(readmodels, "refresh_dose_facts", together)

    def run(write):
        try:
            write()
        finally:
            connection.close()

    writers = [
        lambda: services.injection_record(patient=patient, recorded_by=clinician, now=START,
                                          taken_at=later.due_at, **values),
        lambda: services.injection_delete(injection=logged, by=clinician, now=START),
    ]
    threads = [threading.Thread(target=run, args=(write,)) for write in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PlannedDose.objects.get(pk=later.pk).status == DoseStatus.TAKEN
    assert PlannedDose.objects.get(pk=first.pk).injection_id is None
    assert PhaseAdherence.objects.get(phase=first.phase).taken == 1
