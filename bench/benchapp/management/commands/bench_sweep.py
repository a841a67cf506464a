"""Time one reminder sweep over a large dataset.

    DJANGO_SETTINGS_MODULE=bench.settings \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12care_bench_sweep \
    REDIS_URL=redis://127.0.0.1:6379/5 python manage.py bench_sweep --patients 100000

Bench settings only: it purges the Celery queue, so it never ships in the product. PostgreSQL
only, and it must be a **dedicated database** whose name contains "bench" (checked; not the
page bench's, never a real one): the command adds N synthetic patients
(``sweep.patient<i>@bench.example``) and rewrites their reminder rows on every run. It prints
exactly one line on stdout:

    bench sweep patients=<N> due=<n> seconds=<s> rows_per_s=<n>

Dataset (built once with COPY, reused while N matches): N patients over five IANA zones
(Europe/London, America/New_York, Australia/Sydney, America/Los_Angeles, Asia/Kolkata), each
with an active regimen, one phase (a third induction, the rest maintenance), a taken dose ten
days ago and one open dose. For 14 % of patients that dose is due today and their own reminder
time fell in the five minutes before ``NOW`` (a fixed instant), the rest are due tomorrow or the
day after: the due set is what one 5-minute sweep meets at a busy moment. A tenth of patients
also want text messages, so ``due`` doses produce roughly 2.1 outbox rows each.

Each run (so runs are comparable): delete the bench's reminder steps, plans and outbox rows,
purge the broker queue, plan reminders as the previous sweep (``NOW - 5 min``) would have,
then time ONE ``reminders_sweep(now=NOW, enqueue=...)``: plan what is new, claim the due steps,
write their outbox rows, and enqueue ``deliver_batch`` tasks (one per batch of ids) on the
real broker. The queue is purged again afterwards so no worker sends bench messages. Setup and
counts go to stderr.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import time
import zoneinfo

from celery import current_app
from django.core.management.base import CommandError
from django.db import connection, transaction

from b12care.alerts.relay import deliver_batch_enqueue
from b12care.alerts.reminder_plans import reminders_plan
from b12care.alerts.reminder_sweep import reminders_sweep
from bench.benchapp.management.base import BenchCommand

NOW = dt.datetime(2026, 1, 14, 10, 0, tzinfo=dt.UTC)
PREVIOUS_SWEEP = NOW - dt.timedelta(minutes=5)
ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "America/Los_Angeles",
         "Asia/Kolkata"]
EMAIL = "sweep.patient{}@bench.example"
PREFIX = "sweep.patient"
DUE_PER_100 = 14


def _copy(table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.connection.cursor().copy_expert(
            f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)


def _ids(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def is_due(i: int) -> bool:
    return i % 100 < DUE_PER_100


def patient_plan(i: int) -> dict:
    """Deterministic settings of bench patient ``i``."""
    tz = zoneinfo.ZoneInfo(ZONES[i % len(ZONES)])
    if is_due(i):
        # The patient's reminder time fell 0-4 minutes before NOW, on their local today.
        fired = (NOW - dt.timedelta(minutes=(i // 5) % 5)).astimezone(tz)
        reminder = fired.time().replace(second=0, microsecond=0)
        day = fired.date()
    else:
        reminder = dt.time(8, 0)
        day = NOW.astimezone(tz).date() + dt.timedelta(days=1 + i % 2)
    # Due in the evening of that local day: the same local day whatever the reminder time.
    due = dt.datetime.combine(day, dt.time(23, 0), tzinfo=tz).astimezone(dt.UTC)
    return {"tz": tz.key, "reminder": reminder, "due": due,
            "kind": "induction" if i % 3 == 0 else "maintenance", "sms": i % 10 == 0,
            # Quiet hours 22:00-07:00 for a quarter of the patients not due now.
            "quiet": not is_due(i) and i % 4 == 0}


class Command(BenchCommand):
    help = "Time one reminder sweep over N synthetic patients (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--rebuild", action="store_true",
                            help="Drop the bench patients and build them again.")

    def handle(self, *args, patients: int, rebuild: bool = False, **options):
        if patients < 100:
            raise CommandError("Use at least 100 patients.")
        self.ensure_dataset(patients, rebuild=rebuild)
        due = self.reset()
        result, seconds, queued = self.time_sweep()
        self.note(f"sweep result {result}; {queued} task message(s) were on the broker")
        processed = result.get("processed", due)
        self.stdout.write(f"bench sweep patients={patients} due={processed} "
                          f"seconds={seconds:.2f} rows_per_s={processed / seconds:.0f}")

    def note(self, message: str) -> None:
        print(f"# {message}", file=sys.stderr, flush=True)

    # --- dataset --------------------------------------------------------------------------
    def ensure_dataset(self, n: int, *, rebuild: bool = False) -> None:
        existing = _ids("SELECT count(*) FROM accounts_user WHERE email LIKE %s",
                        [PREFIX + "%"])[0][0]
        doses = _ids("SELECT count(*) FROM injections_planneddose d JOIN accounts_patientprofile "
                     "p ON p.id = d.patient_id JOIN accounts_user u ON u.id = p.user_id "
                     "WHERE u.email LIKE %s", [PREFIX + "%"])[0][0]
        if existing == n and doses == 2 * n and not rebuild:
            self.note(f"reusing the dataset of {n} patients")
            return
        if existing:
            self.note(f"dataset has {existing} patients, want {n}: rebuilding")
            self.wipe()
        started = time.monotonic()
        self.build(n)
        self.note(f"built {n} patients in {time.monotonic() - started:.1f} s")

    def wipe(self) -> None:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("CREATE TEMP TABLE bench_p ON COMMIT DROP AS SELECT p.id FROM "
                      "accounts_patientprofile p JOIN accounts_user u ON u.id = p.user_id "
                      "WHERE u.email LIKE %s", [PREFIX + "%"])
            for table in ("alerts_notification n USING alerts_reminderstep s WHERE "
                          "n.reminder_id = s.id AND s.patient_id IN (SELECT id FROM bench_p)",):
                c.execute(f"DELETE FROM {table}")
            for table in ("alerts_reminderstep", "alerts_reminderplan", "injections_planneddose",
                          "accounts_careteammembership", "alerts_alert"):
                if self._has_table(table):
                    c.execute(f"DELETE FROM {table} WHERE patient_id IN (SELECT id FROM bench_p)")
            c.execute("DELETE FROM injections_phase WHERE regimen_id IN (SELECT id FROM "
                      "injections_regimen WHERE patient_id IN (SELECT id FROM bench_p))")
            c.execute("DELETE FROM injections_regimen WHERE patient_id IN "
                      "(SELECT id FROM bench_p)")
            c.execute("DELETE FROM accounts_patientprofile WHERE id IN (SELECT id FROM bench_p)")
            c.execute("DELETE FROM accounts_user WHERE email LIKE %s", [PREFIX + "%"])

    @staticmethod
    def _has_table(table: str) -> bool:
        return table in connection.introspection.table_names()

    def build(self, n: int) -> None:
        joined = NOW - dt.timedelta(days=60)
        plans = [patient_plan(i) for i in range(n)]
        with transaction.atomic():
            _copy("accounts_user",
                  ["password", "is_superuser", "first_name", "last_name", "is_staff", "is_active",
                   "date_joined", "email", "role"],
                  (("!", "f", "Sweep", f"Patient {i}", "f", "t", joined.isoformat(),
                    EMAIL.format(i), "patient") for i in range(n)))
            user_ids = dict(_ids("SELECT email, id FROM accounts_user WHERE email LIKE %s",
                                 [PREFIX + "%"]))
            _copy("accounts_patientprofile",
                  ["created_at", "updated_at", "timezone", "country", "sex", "cause",
                   "neurological_involvement", "severe_anaemia", "phone", "remind_by_email",
                   "remind_by_sms", "remind_in_app", "reminder_time", "quiet_hours_start",
                   "quiet_hours_end", "user_id"],
                  ((joined.isoformat(), joined.isoformat(), p["tz"], "GB", "unspecified",
                    "unknown", "f", "f", "+447700900000" if p["sms"] else "", "t",
                    "t" if p["sms"] else "f", "t", p["reminder"].isoformat(),
                    "22:00" if p["quiet"] else None, "07:00" if p["quiet"] else None,
                    user_ids[EMAIL.format(i)]) for i, p in enumerate(plans)))
            profile_of_user = dict(_ids(
                "SELECT user_id, id FROM accounts_patientprofile WHERE user_id = ANY(%s)",
                [list(user_ids.values())]))
            profile = [profile_of_user[user_ids[EMAIL.format(i)]] for i in range(n)]
            start = (NOW - dt.timedelta(days=30)).date().isoformat()
            _copy("injections_regimen",
                  ["created_at", "updated_at", "name", "status", "start_date", "patient_id"],
                  ((joined.isoformat(), joined.isoformat(), "Bench regimen", "active", start,
                    profile[i]) for i in range(n)))
            regimen_of = dict(_ids("SELECT patient_id, id FROM injections_regimen "
                                   "WHERE patient_id = ANY(%s)", [profile]))
            _copy("injections_phase",
                  ["order", "kind", "product", "dose", "unit", "repeat", "interval", "weekdays",
                   "end_kind", "note", "time_of_day", "rrule", "regimen_id"],
                  ((1, p["kind"], "hydroxocobalamin", "1.00", "mg", "days", 2, "", "open", "",
                    "23:00", "FREQ=DAILY;INTERVAL=2", regimen_of[profile[i]])
                   for i, p in enumerate(plans)))
            phase_of = dict(_ids("SELECT regimen_id, id FROM injections_phase "
                                 "WHERE regimen_id = ANY(%s)", [list(regimen_of.values())]))
            rows = []
            window, grace = dt.timedelta(hours=36), dt.timedelta(hours=12)
            for i, p in enumerate(plans):
                reg = regimen_of[profile[i]]
                for sequence, due, status in ((1, p["due"] - dt.timedelta(days=10), "taken"),
                                              (2, p["due"], "open")):
                    rows.append((sequence, due.isoformat(), "36 hours", "12 hours",
                                 (due + grace).isoformat(), (due + window).isoformat(), status,
                                 joined.isoformat(), profile[i], phase_of[reg], reg))
            _copy("injections_planneddose",
                  ["sequence", "due_at", "window", "grace", "grace_end", "window_end", "status",
                   "created_at", "patient_id", "phase_id", "regimen_id"], rows)
        with connection.cursor() as c:
            c.execute("ANALYZE")

    # --- each run -------------------------------------------------------------------------
    def reset(self) -> int:
        """Forget the bench's reminder history so the same doses are due again."""
        with connection.cursor() as c:
            c.execute("ANALYZE alerts_reminderstep")
            c.execute("ANALYZE alerts_notification")
        with transaction.atomic(), connection.cursor() as c:
            c.execute("CREATE TEMP TABLE bench_s ON COMMIT DROP AS SELECT s.id FROM "
                      "alerts_reminderstep s JOIN accounts_patientprofile p ON p.id = "
                      "s.patient_id JOIN accounts_user u ON u.id = p.user_id WHERE u.email "
                      "LIKE %s", [PREFIX + "%"])
            c.execute("ANALYZE bench_s")
            c.execute("DELETE FROM alerts_inappmessage WHERE notification_id IN (SELECT id FROM "
                      "alerts_notification WHERE reminder_id IN (SELECT id FROM bench_s))")
            c.execute("DELETE FROM alerts_notification WHERE reminder_id IN "
                      "(SELECT id FROM bench_s)")
            c.execute("DELETE FROM alerts_reminderstep WHERE id IN (SELECT id FROM bench_s)")
            if self._has_table("alerts_reminderplan"):
                c.execute("DELETE FROM alerts_reminderplan WHERE patient_id IN (SELECT p.id "
                          "FROM accounts_patientprofile p JOIN accounts_user u ON u.id = "
                          "p.user_id WHERE u.email LIKE %s)", [PREFIX + "%"])
        self.purge()
        started = time.monotonic()
        planned = reminders_plan(now=PREVIOUS_SWEEP)
        self.note(f"planned {planned} step(s) ahead in {time.monotonic() - started:.2f} s "
                  "(as the previous sweep would have; not timed)")
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE alerts_reminderplan")
            c.execute("VACUUM ANALYZE alerts_reminderstep")
            c.execute("VACUUM ANALYZE alerts_notification")
        return 0

    def purge(self) -> int:
        with current_app.connection_for_write() as conn:
            return conn.default_channel.queue_purge("celery") or 0

    def queued(self) -> int:
        with current_app.connection_for_write() as conn:
            return conn.default_channel.client.llen("celery") if hasattr(
                conn.default_channel, "client") else -1

    def time_sweep(self) -> tuple[dict, float, int]:
        started = time.monotonic()
        result = reminders_sweep(now=NOW, enqueue=deliver_batch_enqueue)
        seconds = time.monotonic() - started
        queued = self.queued()
        self.purge()
        return result, seconds, queued
