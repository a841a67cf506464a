"""The open-alert summary read model (``AlertSummary``): one row per patient who has had an
alert, with the open counts per tier, the acknowledged count, the newest open finding and
the most severe open alert.

``lifecycle.py`` locks the row before it writes a patient's alerts (``alert_summary_lock``)
and calls ``alert_summary_refresh`` after, in the same transaction. Locking first serialises the
alert writes of one patient, so under READ COMMITTED the facts read after the lock include
every transaction that refreshed the row before (no lost update). The row is rewritten only
when a fact changed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

from .models import ACTIVE_STATUSES, Alert, AlertStatus, AlertSummary, Severity
from .tiers import TIERS, tier_rank

ROW_FIELDS = ("pk", "status", "severity", "last_seen_at")


@dataclass(frozen=True)
class SummaryFacts:
    emergency_open: int = 0
    urgent_open: int = 0
    review_open: int = 0
    info_open: int = 0
    acknowledged: int = 0
    last_seen_at: dt.datetime | None = None
    top_alert_id: int | None = None


FACT_FIELDS = tuple(f.name for f in fields(SummaryFacts))


def facts_from_rows(rows: Iterable[tuple]) -> SummaryFacts:
    """Pure: the facts of one patient's active alerts, given as (pk, status, severity,
    last_seen_at) rows."""
    counts = dict.fromkeys(TIERS, 0)
    acknowledged = 0
    newest: dt.datetime | None = None
    top: tuple | None = None
    for pk, status, severity, last_seen_at in rows:
        if status == AlertStatus.ACKNOWLEDGED:
            acknowledged += 1
        elif status == AlertStatus.OPEN:
            counts[severity] += 1
            newest = last_seen_at if newest is None else max(newest, last_seen_at)
            key = (tier_rank(severity), last_seen_at, pk)
            top = key if top is None else max(top, key)
    return SummaryFacts(counts[Severity.EMERGENCY], counts[Severity.URGENT],
                        counts[Severity.REVIEW], counts[Severity.INFO], acknowledged, newest,
                        top[2] if top else None)


def alert_summary_lock(*, patient_id: int) -> SummaryFacts:
    """Lock the patient's summary row (creating it if needed) and return its stored facts."""
    rows = AlertSummary.objects.select_for_update().filter(patient_id=patient_id)
    stored = rows.values_list(*FACT_FIELDS).first()
    if stored is None:
        # ON CONFLICT DO NOTHING: a concurrent first alert of this patient creates it once.
        AlertSummary.objects.bulk_create([AlertSummary(patient_id=patient_id)],
                                         ignore_conflicts=True)
        stored = rows.values_list(*FACT_FIELDS).get()
    return SummaryFacts(*stored)


def alert_summary_refresh(*, patient_id: int, stored: SummaryFacts) -> bool:
    """Recompute one patient's facts after their alerts changed (the row is locked, its
    stored facts read, by ``alert_summary_lock``); write only if one changed."""
    facts = facts_from_rows(Alert.objects.filter(patient_id=patient_id,
                                                 status__in=ACTIVE_STATUSES)
                            .values_list(*ROW_FIELDS))
    if facts == stored:
        return False
    AlertSummary.objects.filter(patient_id=patient_id).update(**asdict(facts))
    return True


def summaries_from_alerts(alert_rows: Iterable[tuple]) -> dict[int, SummaryFacts]:
    """Pure: facts per patient from (patient_id, pk, status, severity, last_seen_at) rows of
    every alert (any status: a patient with only resolved alerts still has a row)."""
    by_patient: dict[int, list[tuple]] = defaultdict(list)
    for patient_id, *row in alert_rows:
        by_patient[patient_id].append(row)
    return {pk: facts_from_rows(rows) for pk, rows in by_patient.items()}


def alert_summaries_refresh_all(*, alert_model=Alert, summary_model=AlertSummary) -> int:
    """Reconcile every patient's row with their alerts (the backfill migrations pass their
    historical models, which may lack later facts: only the model's own fields are written).
    Returns the number of rows written."""
    columns = {f.attname for f in summary_model._meta.concrete_fields}
    names = [n for n in FACT_FIELDS if n in columns]
    wanted = {pk: {n: getattr(facts, n) for n in names} for pk, facts in summaries_from_alerts(
        alert_model.objects.order_by("patient_id", "pk")
        .values_list("patient_id", *ROW_FIELDS)).items()}
    stored = {pk: dict(zip(names, facts, strict=True)) for pk, *facts in
              summary_model.objects.values_list("patient_id", *names)}
    summary_model.objects.exclude(patient_id__in=list(wanted)).delete()
    changed = [summary_model(patient_id=pk, **facts)
               for pk, facts in wanted.items() if stored.get(pk) != facts]
    summary_model.objects.bulk_create(
        changed, batch_size=1000, update_conflicts=True, unique_fields=["patient"],
        update_fields=names)
    return len(changed)
