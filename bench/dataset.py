"""Benchmark datasets, written with PostgreSQL COPY (the bench runs on PostgreSQL only).

``build(n)``: N patients on one bench clinician's team, one year of data each. Per patient: a
year-old regimen from the neurological hydroxocobalamin template (alternate days, ~180 planned
doses) created through the injections service, ~150 injections (the rest missed), ~365 daily
check-ins of every symptom, ~20 lab results. Big tables are written with COPY, everything else
through the apps' own services. Idempotent: patients that already exist are skipped.

``build_others(n)``: N more patients on *other* clinicians' teams (1,000 per clinician), for the
scale bench: each is a copy of one bench patient's regimen, planned doses, injections and labs
(a year of them) and of its last 14 days of diary, with new ids, written with COPY. The copy
reads every column of the source rows, so it follows schema changes without edits. All or
nothing (one transaction).

``finish()``: fill the read models (the bulk load bypasses the services that keep them), then
``VACUUM ANALYZE`` for fresh planner statistics and visibility maps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from decimal import Decimal

from django.apps import apps
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from b12care.accounts.models import CareTeamMembership, PatientProfile, Role, User
from injections import readmodels
from labs import latest
from symptoms.services import worst_nerve_scores_reconcile

BENCH_CLINICIAN = "bench.clinician@b12care.example"
BENCH_PATIENT = "bench.patient0@b12care.example"
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "America/Los_Angeles"]
SITES = ["left_deltoid", "right_deltoid", "left_vastus_lateralis", "right_vastus_lateralis"]


def copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Stream rows into ``table`` with COPY (orders of magnitude faster than INSERTs)."""
    if not rows:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.connection.cursor().copy_expert(
            f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
            "FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )


def _people(n: int) -> tuple[User, list[PatientProfile]]:
    from django.conf import settings

    clinician, created = User.objects.get_or_create(
        email=BENCH_CLINICIAN,
        defaults={"role": Role.CLINICIAN, "first_name": "Bench", "last_name": "Clinician"},
    )
    if created:
        clinician.set_password(settings.DEMO_PASSWORD)
        clinician.save()
    existing = set(
        User.objects.filter(email__startswith="bench.patient").values_list("email", flat=True)
    )
    wanted = [f"bench.patient{i}@b12care.example" for i in range(n)]
    missing = [e for e in wanted if e not in existing]
    from django.contrib.auth.hashers import make_password

    password = make_password(settings.DEMO_PASSWORD)
    User.objects.bulk_create(
        [User(email=e, role=Role.PATIENT, first_name="Bench", last_name=e.split("@")[0][5:],
              password=password) for e in missing],
        batch_size=2000,
    )
    users = User.objects.filter(email__in=missing)
    PatientProfile.objects.bulk_create(
        [PatientProfile(user=u, timezone=ZONES[u.pk % len(ZONES)], neurological_involvement=True,
                        country="GB") for u in users],
        batch_size=2000,
    )
    new_profiles = list(PatientProfile.objects.filter(user__email__in=missing))
    CareTeamMembership.objects.bulk_create(
        [CareTeamMembership(patient=p, clinician=clinician, is_primary=True) for p in new_profiles],
        batch_size=2000,
    )
    return clinician, new_profiles


def _clinical_history(patients: list[PatientProfile], clinician: User, now: dt.datetime) -> None:
    from injections.models import Injection, PlannedDose, ProtocolTemplate
    from injections.services import regimen_create_from_template
    from labs.models import Analyte
    from symptoms.models import Symptom

    template = ProtocolTemplate.objects.filter(phases__repeat="days", phases__interval=2,
                                               phases__end_kind="open").first()
    template = template or ProtocolTemplate.objects.first()
    symptoms = list(Symptom.objects.filter(is_active=True).values_list("pk", flat=True))
    analytes = {a.key: a for a in Analyte.objects.filter(key__in=["b12", "hb", "mcv", "folate"])}
    today = now.date()
    for index, patient in enumerate(patients):
        rng = random.Random(patient.pk)
        with transaction.atomic():
            regimen_create_from_template(
                patient=patient, template=template, start_date=today - dt.timedelta(days=365),
                time_of_day=dt.time(9, 0), created_by=clinician, now=now,
            )
            past = list(PlannedDose.objects.filter(patient=patient, due_at__lt=now)
                        .order_by("due_at").values_list("pk", "due_at"))
            taken = [(pk, due) for pk, due in past if rng.random() < 0.83]
            injections = [
                Injection(patient=patient,
                          taken_at=due + dt.timedelta(minutes=rng.randint(-90, 600)),
                          product="hydroxocobalamin", dose=Decimal(1), unit="mg",
                          site=SITES[i % len(SITES)], administered_by="nurse",
                          pain=rng.randint(0, 4), form_token=f"bench-{patient.pk}-{i}",
                          recorded_by=clinician)
                for i, (_, due) in enumerate(taken)
            ]
            Injection.objects.bulk_create(injections, batch_size=1000)
            _mark_taken(taken, injections)
            _diary(patient, symptoms, now, rng)
            _labs(patient, analytes, now, rng)
        if index % 100 == 99:
            print(f"# bench dataset: {index + 1}/{len(patients)} patients", file=sys.stderr,
                  flush=True)


def _mark_taken(taken, injections) -> None:
    from injections.models import DoseStatus, PlannedDose

    doses = [PlannedDose(pk=pk, status=DoseStatus.TAKEN, injection_id=inj.pk)
             for (pk, _), inj in zip(taken, injections, strict=True)]
    PlannedDose.objects.bulk_update(doses, ["status", "injection"], batch_size=1000)


def _diary(patient: PatientProfile, symptoms: list[int], now: dt.datetime, rng) -> None:
    from symptoms.models import CheckIn, SymptomScore

    tz = patient.tz
    start = now.astimezone(tz).date() - dt.timedelta(days=364)
    checkins = CheckIn.objects.bulk_create(
        [CheckIn(patient=patient, local_date=start + dt.timedelta(days=d),
                 recorded_at=now - dt.timedelta(days=364 - d), recorded_by=patient.user)
         for d in range(365)],
        batch_size=1000,
    )
    rows = []
    for day, checkin in enumerate(checkins):
        recovery = day / 365
        for symptom in symptoms:
            severity = max(0, min(10, round(7 * (1 - recovery) + rng.gauss(0, 1))))
            rows.append((checkin.pk, symptom, severity, ""))
    copy_rows(SymptomScore._meta.db_table, ["checkin_id", "symptom_id", "severity", "location"],
              rows)


def _labs(patient: PatientProfile, analytes: dict, now: dt.datetime, rng) -> None:
    from labs.models import LabResult

    series = {"b12": (120, 600), "hb": (9.5, 13.8), "mcv": (112, 92), "folate": (6, 9)}
    results = []
    for n in range(5):
        sampled = now - dt.timedelta(days=365 - n * 80 + rng.randint(0, 5))
        for key, (first, last) in series.items():
            if key not in analytes:
                continue
            value = Decimal(str(round(first + (last - first) * n / 4, 1)))
            results.append(LabResult(
                patient=patient, analyte=analytes[key], sampled_at=sampled,
                sampled_on=sampled.astimezone(patient.tz).date(), value_entered=value,
                unit_entered=analytes[key].canonical_unit, value=value, source="clinician",
            ))
    LabResult.objects.bulk_create(results)


def build(n: int, *, now: dt.datetime | None = None) -> int:
    """Make sure ``n`` bench patients exist with their year of data; return how many were new."""
    now = now or timezone.now()
    clinician, new = _people(n)
    _clinical_history(new, clinician, now)
    return len(new)


# --- other teams (scale bench) -------------------------------------------------------------------
OTHER_PREFIX = "bench.other"
OTHER_PATIENT = "bench.other{}@b12care.example"
OTHER_CLINICIAN = "bench.otherclinician{}@b12care.example"
PER_CLINICIAN = 1000
DIARY_DAYS = 14
TEMPLATES_PER_CHUNK = 50

# What is copied for each other patient, parents before children, and the path from each row to
# the patient it belongs to. Rows of models not listed (alerts, read models, history) are not
# copied: read models are filled by finish().
COPIED = [
    ("accounts.User", "patient_profile__pk"),
    ("accounts.PatientProfile", "pk"),
    ("accounts.CareTeamMembership", "patient_id"),
    ("injections.Regimen", "patient_id"),
    ("injections.Phase", "regimen__patient_id"),
    ("injections.Injection", "patient_id"),
    ("injections.PlannedDose", "patient_id"),
    ("injections.Supply", "patient_id"),
    ("symptoms.CheckIn", "patient_id"),
    ("symptoms.SymptomScore", "checkin__patient_id"),
    ("labs.LabResult", "patient_id"),
    ("labs.PlannedLab", "patient_id"),
]


def build_others(n: int) -> int:
    """Make sure ``n`` patients exist on other clinicians' teams; return how many were new."""
    existing = User.objects.filter(email__startswith=OTHER_PREFIX, role=Role.PATIENT).count()
    if existing == n or n <= 0:
        return 0
    if existing:
        raise RuntimeError(f"this database holds {existing} other-team bench patients, not {n}: "
                           "drop it (dropdb) and run again to rebuild")
    from django.conf import settings

    templates = list(PatientProfile.objects.filter(user__email__startswith="bench.patient")
                     .order_by("pk").values_list("pk", flat=True))
    if not templates:
        raise RuntimeError("build the bench patients (build) before the other teams")
    bench_clinician = User.objects.get(email=BENCH_CLINICIAN).pk
    with transaction.atomic():
        clinicians = []
        for k in range((n + PER_CLINICIAN - 1) // PER_CLINICIAN):
            user, created = User.objects.get_or_create(
                email=OTHER_CLINICIAN.format(k),
                defaults={"role": Role.CLINICIAN, "first_name": "Other", "last_name": f"Team {k}"})
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
            clinicians.append(user.pk)
        done = 0
        for start in range(0, len(templates), TEMPLATES_PER_CHUNK):
            chunk = templates[start:start + TEMPLATES_PER_CHUNK]
            # Other patient i is a copy of template i % len(templates), on clinician i // 1,000.
            clones = {t: [i for i in range(start + j, n, len(templates))]
                      for j, t in enumerate(chunk)}
            done += _copy_patients(clones, bench_clinician, clinicians)
            print(f"# bench dataset: {done}/{n} other-team patients", file=sys.stderr, flush=True)
    return n


def _copy_patients(clones: dict[int, list[int]], bench_clinician: int,
                   clinicians: list[int]) -> int:
    """Copy each template patient's rows once per clone index, with new ids (COPY per table)."""
    today = timezone.now().date()
    # ids[(clone, model label)][old pk] = new pk: how children find their copied parents.
    ids: dict[tuple[int, str], dict] = {}
    for i in (i for group in clones.values() for i in group):
        ids[(i, "accounts.User")] = {bench_clinician: clinicians[i // PER_CLINICIAN]}
    for label, owner in COPIED:
        model = apps.get_model(label)
        qs = model._default_manager.filter(**{f"{owner}__in": list(clones)})
        if label == "accounts.User":
            qs = qs.filter(role=Role.PATIENT)
        if label == "symptoms.CheckIn":
            qs = qs.filter(local_date__gt=today - dt.timedelta(days=DIARY_DAYS))
        if label == "symptoms.SymptomScore":
            qs = qs.filter(checkin__local_date__gt=today - dt.timedelta(days=DIARY_DAYS))
        fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
        rows = list(qs.order_by().values_list(
            owner, *[Cast(f.attname, models.TextField()) for f in fields]))
        if not rows:
            continue
        copies = sum(len(clones[row[0]]) for row in rows)
        next_id = _reserve_ids(model, copies)
        out = []
        for owner_pk, *values in rows:
            for i in clones[owner_pk]:
                out.append(_copied_row(model, fields, values, i, next_id, ids))
                next_id += 1
        copy_rows(model._meta.db_table, [f.column for f in fields], out)
    return sum(len(group) for group in clones.values())


def _copied_row(model, fields, values: list, i: int, new_pk: int, ids: dict) -> list:
    row = list(values)
    label = model._meta.label
    for position, field in enumerate(fields):
        value = row[position]
        if field.primary_key and not field.is_relation:
            ids.setdefault((i, label), {})[int(value)] = new_pk
            row[position] = new_pk
        elif field.is_relation and value is not None:
            target = ids.get((i, field.related_model._meta.label), {})
            row[position] = target.get(int(value), value)
        elif field.name == "email" and label == "accounts.User":
            row[position] = OTHER_PATIENT.format(i)
        elif field.name == "last_name" and label == "accounts.User":
            row[position] = f"other{i}"
        elif field.unique and value is not None:  # e.g. an injection's form token
            row[position] = f"{value}~o{i}"
    return row


def _reserve_ids(model, count: int) -> int:
    """Take ``count`` consecutive ids from the table's sequence; return the first. Nothing else
    writes to a bench database while it is built."""
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, pk.column])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def finish() -> None:
    """Fill the read models, then VACUUM ANALYZE (fresh statistics, set visibility maps)."""
    # The product's own reconciles: the bulk load bypassed the services that keep them current.
    readmodels.refresh_all()
    worst_nerve_scores_reconcile()
    latest.refresh_all()
    call_command("refresh_triage_state", stdout=io.StringIO())
    vacuum_analyze()


def vacuum_analyze() -> None:
    # VACUUM cannot run inside a transaction block: Django's connection is in autocommit mode
    # outside atomic(), which is where this must be called from.
    if connection.in_atomic_block or not connection.get_autocommit():
        raise RuntimeError("VACUUM ANALYZE must run in autocommit mode, outside atomic()")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
