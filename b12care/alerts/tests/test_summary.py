"""The open-alert summary read model equals its live definition at every moment, is rewritten
only when a fact changed, and is what the pages read."""

import datetime as dt
import random
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.db.models import Case, IntegerField, Max, Value, When
from django.test.utils import CaptureQueriesContext

from b12care.accounts.tests.factories import CareTeamFactory, ClinicianFactory
from b12care.alerts import lifecycle, sections, summary
from b12care.alerts.models import ACTIVE_STATUSES, Alert, AlertSummary
from b12care.alerts.rules import Finding
from b12care.clinic import triage
from b12care.core.tests.concurrency import run_at_once

from .conftest import NOW

pytestmark = pytest.mark.django_db
SEVERITIES = ("urgent", "review", "info")
KEYS = ("neuro", "hb", "site", "retic")


def live_summary(patient_id: int) -> summary.SummaryFacts | None:
    """The definition, straight from the Alert rows (None: the patient never had one)."""
    alerts = Alert.objects.filter(patient_id=patient_id)
    if not alerts.exists():
        return None
    open_ = alerts.filter(status="open")
    rank = Case(When(severity="urgent", then=Value(2)), When(severity="review", then=Value(1)),
                default=Value(0), output_field=IntegerField())
    return summary.SummaryFacts(
        urgent_open=open_.filter(severity="urgent").count(),
        review_open=open_.filter(severity="review").count(),
        info_open=open_.filter(severity="info").count(),
        acknowledged=alerts.filter(status="acknowledged").count(),
        last_seen_at=open_.aggregate(m=Max("last_seen_at"))["m"],
        top_alert_id=open_.annotate(rank=rank).order_by("-rank", "-last_seen_at", "-pk")
        .values_list("pk", flat=True).first(),
    )


def stored_summary(patient_id: int) -> summary.SummaryFacts | None:
    row = AlertSummary.objects.filter(patient_id=patient_id).values_list(
        *summary.FACT_FIELDS).first()
    return None if row is None else summary.SummaryFacts(*row)


def finding(key: str, severity: str, evidence: tuple[str, ...] = ()) -> Finding:
    return Finding("hb_critical", severity, key, "Contact your clinic.", f"{key} {severity}",
                   evidence)


def random_step(rng: random.Random, patients: list, clinician, now: dt.datetime) -> None:
    """One thing that happens to alerts: findings (new, repeated, with new evidence, or seen
    late), an acknowledgement or a resolution."""
    patient = rng.choice(patients)
    action = rng.choice(("find", "find", "find", "acknowledge", "resolve"))
    active = list(Alert.objects.filter(patient=patient, status__in=ACTIVE_STATUSES))
    if action == "find" or not active:
        found = [finding(rng.choice(KEYS), rng.choice(SEVERITIES),
                         (rng.choice("abcdef"),)) for _ in range(rng.randint(1, 3))]
        seen = now - dt.timedelta(hours=rng.choice((0, 0, 0, 30)))  # sometimes reported late
        lifecycle.findings_record(patient=patient, findings=found, now=seen)
    elif action == "acknowledge":
        chosen = [a for a in active if a.status == "open"]
        if chosen:
            lifecycle.alert_acknowledge(alert=rng.choice(chosen), by=clinician, now=now)
    else:
        lifecycle.alert_resolve(alert=rng.choice(active), by=clinician, now=now, note="Seen.")


@pytest.mark.parametrize("seed", range(4))
def test_the_summary_equals_its_live_definition_through_varied_histories(seed):
    rng = random.Random(seed)
    clinician = ClinicianFactory()
    patients = [CareTeamFactory(clinician=clinician).patient for _ in range(3)]
    now = NOW
    for _ in range(40):
        now += dt.timedelta(minutes=rng.choice((1, 15, 60, 60 * 24)))
        with time_machine.travel(now, tick=False):
            random_step(rng, patients, clinician, now)
        for patient in patients:
            assert stored_summary(patient.pk) == live_summary(patient.pk), (seed, now)
    assert summary.alert_summaries_refresh_all() == 0  # the reconcile finds nothing to fix


def test_a_repeated_finding_rewrites_the_summary_only_when_a_fact_changed(patient, clinician):
    [alert] = lifecycle.findings_record(patient=patient, findings=[finding("hb", "review")],
                                        now=NOW)

    def summary_writes(**kwargs) -> int:
        with CaptureQueriesContext(connection) as queries:
            lifecycle.findings_record(patient=patient, **kwargs)
        return sum(q["sql"].startswith('UPDATE "alerts_alertsummary"')
                   for q in queries.captured_queries)

    hour, two_hours = NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=2)
    assert summary_writes(findings=[finding("hb", "review")], now=NOW) == 0
    assert summary_writes(findings=[finding("hb", "review")], now=hour) == 1  # newer sighting
    lifecycle.alert_acknowledge(alert=alert, by=clinician, now=hour)
    # acknowledged: its newer sighting is not an open-alert fact
    assert summary_writes(findings=[finding("hb", "review")], now=two_hours) == 0
    assert summary_writes(findings=[finding("neuro", "urgent")], now=two_hours) == 1
    assert stored_summary(patient.pk) == live_summary(patient.pk)


def test_the_summary_of_acknowledged_and_resolved_alerts(patient, clinician):
    first, second = lifecycle.findings_record(
        patient=patient, findings=[finding("neuro", "urgent"), finding("hb", "review")], now=NOW)
    facts = stored_summary(patient.pk)
    assert (facts.urgent_open, facts.review_open, facts.top_alert_id) == (1, 1, first.pk)
    lifecycle.alert_acknowledge(alert=first, by=clinician, now=NOW)
    facts = stored_summary(patient.pk)
    assert (facts.urgent_open, facts.acknowledged, facts.top_alert_id) == (0, 1, second.pk)
    lifecycle.alert_resolve(alert=first, by=clinician, now=NOW, note="Seen.")
    lifecycle.alert_resolve(alert=second, by=clinician, now=NOW, note="Seen.")
    assert stored_summary(patient.pk) == summary.SummaryFacts()  # the row stays, all zero


def test_the_backfill_migration_writes_a_summary_for_every_patient_with_alerts(patient,
                                                                              clinician):
    other = CareTeamFactory(clinician=clinician).patient
    [alert] = lifecycle.findings_record(patient=patient, findings=[finding("hb", "review")],
                                        now=NOW)
    lifecycle.findings_record(patient=other, findings=[finding("neuro", "urgent")], now=NOW)
    lifecycle.alert_resolve(alert=alert, by=clinician, now=NOW, note="Seen.")
    AlertSummary.objects.all().delete()
    import_module("b12care.alerts.migrations.0005_alert_summary").backfill(apps, None)
    for p in (patient, other):
        assert stored_summary(p.pk) == live_summary(p.pk)
    assert AlertSummary.objects.count() == 2


def test_the_patient_home_shows_active_alerts_with_a_message_in_one_query(patient):
    with CaptureQueriesContext(connection) as queries:
        assert sections.home_section(patient, now=NOW) is None
    assert len(queries) == 1
    lifecycle.findings_record(patient=patient, findings=[finding("hb", "review")], now=NOW)
    shown = sections.home_section(patient, now=NOW)
    assert [a.patient_message for a in shown["context"]["alerts"]] == ["Contact your clinic."]


def test_the_dashboard_counts_open_alerts_from_the_summary(clinician, patient):
    lifecycle.findings_record(patient=patient, findings=[
        finding("neuro", "urgent"), finding("hb", "review"), finding("site", "info")], now=NOW)
    patient.triage_rank = triage.URGENT
    [row] = triage.build_rows([patient], now=NOW)
    assert (row.urgent_alerts, row.review_alerts, row.other_alerts) == (1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_alerts_for_one_patient_at_once_keep_the_summary_true(patient):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers; SQLite serialises them")
    lifecycle.findings_record(patient=patient, findings=[finding("hb", "review")], now=NOW)

    def write(key: str):
        return lambda: lifecycle.findings_record(patient=patient,
                                                 findings=[finding(key, "urgent")], now=NOW)

    _, errors = run_at_once(write("neuro"), write("site"))
    assert errors == []
    assert stored_summary(patient.pk).urgent_open == 2
    assert stored_summary(patient.pk) == live_summary(patient.pk)
