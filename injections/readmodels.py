"""Read models of the injections app: the dose facts pages show, stored in PostgreSQL.

- ``PlannedDose.on_time``: per dose, None until an injection fulfils it, then whether it was
  taken by the dose's deadline (``grace_end`` and ``window_end`` themselves are written with
  the dose, see ``PlannedDose.fill_derived``).
- ``PhaseAdherence``: per phase, the taken doses and those taken on time (skipped ones apart)
  and the first dose's grace. Adherence (``scheduling.adherence``) adds, live in SQL, the
  untaken doses whose deadline has passed: nothing stored depends on the clock.
- ``DoseSummary``: per patient, the next dose (earliest open dose of the active regimen) and
  the latest injection (time, site).

One path keeps them fresh: ``on_patient_data_changed``, subscribed in ``InjectionsConfig.ready``
to the ``b12care.core.events`` seam (DOMAIN stage) for doses, injections and time zones. Every
write announces there inside its transaction (this app's services, admin saves through
``PatientDataAdminMixin``, the hourly dose roll), so the facts change in the same transaction as
the data. A refresh recomputes the patients' facts from the clinical rows in three statements
and rewrites only rows whose facts changed. ``refresh_all`` reconciles every patient (the
migration that created the read models, bulk loads that bypass the services).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from b12care.accounts.models import PatientProfile
from b12care.core import batches, events

from .models import (
    DoseStatus,
    DoseSummary,
    Injection,
    Phase,
    PhaseAdherence,
    PlannedDose,
    RegimenStatus,
)

DOSE_FACT_KINDS = frozenset({events.DOSES, events.INJECTIONS, events.TIMEZONE})
# Statuses whose doses count for adherence (a skipped dose is a clinician's decision).
COUNTED = [s for s in DoseStatus.values if s != DoseStatus.SKIPPED]
PHASE_FIELDS = ["phase", "taken", "taken_on_time", "first_grace"]
SUMMARY_FIELDS = ["patient", "next_dose", "last_injection_at", "last_injection_site"]


def on_patient_data_changed(changes: list[events.Change]) -> None:
    """Subscriber (``InjectionsConfig.ready``, DOMAIN stage, after the time-zone handler that
    regenerates doses): refresh every patient in the batch once."""
    refresh_dose_facts(events.patient_ids(changes))


@transaction.atomic(savepoint=False)  # inside the writer's transaction: no savepoint trips
def refresh_dose_facts(patient_ids: Iterable[int]) -> int:
    """Recompute these patients' dose facts and store those that changed; returns the rows
    written (doses, phases and summaries)."""
    ids = sorted({int(pk) for pk in patient_ids})
    if not ids:
        return 0
    _lock(ids)
    written = _on_time_stale(ids).update(on_time=_taken_on_time())
    written += _upsert(PhaseAdherence, PHASE_FIELDS, _phase_facts(ids))
    written += _upsert(DoseSummary, SUMMARY_FIELDS, _summary_facts(ids))
    return written


def refresh_all(*, batch_size: int = 500) -> int:
    """Reconcile every patient's dose facts (one short transaction per batch)."""
    written = 0
    for batch in batches.pk_batches(PatientProfile.objects.all(), batch_size=batch_size):
        with transaction.atomic():
            written += refresh_dose_facts(batch)
    return written


def _lock(ids: list[int]) -> None:
    """Lock the patients' summary rows (creating missing ones) before reading any fact: under
    READ COMMITTED the reads that follow then see every refresh of these patients that
    committed before ours, so two concurrent writers cannot store each other's stale counts.
    Writers lock doses first and this row after (the order every writer follows)."""
    rows = (DoseSummary.objects.select_for_update(no_key=True).filter(patient_id__in=ids)
            .order_by("pk"))
    locked = set(rows.values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in locked]
    if missing:
        _upsert(DoseSummary, SUMMARY_FIELDS, _summary_facts(missing), update=False)
        list(rows.filter(patient_id__in=missing).values_list("pk", flat=True))


def _taken_on_time() -> Subquery:
    """Per dose: its injection's time <= its deadline (NULL without an injection)."""
    on_time = ExpressionWrapper(Q(taken_at__lte=OuterRef("grace_end")),
                                output_field=BooleanField())
    return Subquery(Injection.objects.filter(pk=OuterRef("injection_id")).order_by()
                    .annotate(ok=on_time).values("ok")[:1], output_field=BooleanField())


def _on_time_stale(ids: list[int]) -> QuerySet[PlannedDose]:
    """The patients' doses whose stored ``on_time`` differs from their injection's."""
    return (PlannedDose.objects.filter(patient_id__in=ids)
            .filter(Q(injection__isnull=False) | Q(on_time__isnull=False))
            .alias(want=_taken_on_time())
            .filter(Q(on_time__isnull=True) | Q(injection__isnull=True)
                    | Q(on_time=True, want=False) | Q(on_time=False, want=True)))


def _phase_facts(ids: list[int]) -> QuerySet:
    """Per phase (correlated subqueries on the phase's doses, no GROUP BY): taken doses, those
    on time, and the first dose's grace (sequence order is due-time order within a phase)."""
    doses = PlannedDose.objects.filter(phase=OuterRef("pk"))
    taken = doses.filter(on_time__isnull=False, status__in=COUNTED)
    return (Phase.objects.filter(regimen__patient_id__in=ids).order_by()
            .values_list("pk", _count(taken),
                         _count(taken.filter(on_time=True)),
                         Subquery(doses.order_by("sequence").values("grace")[:1])))


def _count(qs: QuerySet) -> Coalesce:
    """The number of rows of a correlated ``qs`` as a subquery (0 when none)."""
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _summary_facts(ids: list[int]) -> QuerySet:
    next_open = (PlannedDose.objects.filter(patient=OuterRef("pk"), status=DoseStatus.OPEN,
                                            regimen__status=RegimenStatus.ACTIVE)
                 .order_by("due_at", "pk"))
    latest = Injection.objects.filter(patient=OuterRef("pk")).order_by("-taken_at", "-pk")
    return (PatientProfile.objects.filter(pk__in=ids).order_by()
            .values_list("pk", Subquery(next_open.values("pk")[:1]),
                         Subquery(latest.values("taken_at")[:1]),
                         Coalesce(Subquery(latest.values("site")[:1]), Value(""))))


def _upsert(model, fields: list[str], select: QuerySet, *, update: bool = True) -> int:
    """``INSERT INTO model (fields) <select> ON CONFLICT (pk) DO UPDATE … WHERE a field
    differs``: rows whose facts are unchanged are not rewritten (PostgreSQL and SQLite share
    the syntax). ``update=False``: only insert missing rows. Returns the rows written."""
    meta = model._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = [qn(meta.get_field(name).column) for name in fields]
    sql, params = select.query.get_compiler(connection=connection).as_sql()
    action = "NOTHING"
    if update:
        differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
        action = ("UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
                  + " WHERE " + " OR ".join(f"{table}.{c} {differs} excluded.{c}"
                                            for c in columns[1:]))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {sql} "
                       f"ON CONFLICT ({columns[0]}) DO {action}", params)
        return cursor.rowcount
