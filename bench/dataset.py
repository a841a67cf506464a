"""Benchmark dataset: N patients on one clinician's team, one year of data each.

Per patient: a year-old regimen from the neurological hydroxocobalamin template (alternate days,
~180 planned doses) created through the injections service, ~150 injections (the rest missed),
~365 daily check-ins of every symptom, ~20 lab results. Big tables are written with PostgreSQL
COPY (the bench runs on PostgreSQL only), everything else through the apps' own services.
Idempotent: patients that already exist are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from b12care.accounts.models import CareTeamMembership, PatientProfile, Role, User
from b12care.clinic.state import refresh_all
from injections import readmodels

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
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
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
            print(f"# bench dataset: {index + 1}/{len(patients)} patients", flush=True)


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
    # The read models (the bulk load bypasses the services): dose facts, then triage.
    readmodels.refresh_all()
    refresh_all(now=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after a bulk load
    return len(new)
