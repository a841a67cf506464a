"""`manage.py bench_targets`: what `make bench` loads, with signed-in session cookies (JSON).

Sessions are created directly in the session store for the bench clinician and bench patients,
as a completed sign-in leaves them (clocks started; the clinician has passed two-step sign-in);
POSTs carry a CSRF cookie and the matching X-CSRFToken header, as a browser's form would, and
``__TOKEN__`` in a body is replaced by a fresh token per request (a new injection each time).

Output: ``{"pages": [...], "mixed": {...}}``. ``pages`` are loaded one at a time with wrk
(baseline first); ``mixed`` is what bench/load.py rotates over for the mixed run.
"""

import datetime as dt
import json
import secrets

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from b12care.accounts import mfa, sessions
from b12care.accounts.models import PatientProfile, User
from b12care.core import clock
from bench.benchapp.management.base import BenchCommand
from bench.dataset import BENCH_CLINICIAN, BENCH_PATIENT
from injections import entry
from injections.models import Injection
from injections.services import injection_record

BENCH_TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCHBE"  # bench data only
ROTATED_PATIENTS = 50


def session_cookie(user: User, csrf: str) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    sessions.start(session, now=timezone.now())
    mfa.setup_needed(user, session)  # remembers that a required second factor is in place
    session.create()
    return f"sessionid={session.session_key}; csrftoken={csrf}"


def diary_body() -> str:
    """Today's check-in as the diary form posts it (symptoms/forms.py: ``s_<code>`` = 0-10):
    low scores, so no red flag sends the patient to the guidance page."""
    from symptoms.models import Symptom

    codes = Symptom.objects.filter(is_active=True).order_by("pk").values_list("code", flat=True)
    return "&".join([*(f"s_{code}=2" for code in codes), "notes=bench"])


def confirmed_body(patient: PatientProfile, body: str, wall: dt.datetime) -> str:
    """The log form as a patient sends it after confirming: every bench POST is a further
    injection at the same time, which the guard rails (injections/plausibility.py) ask about
    ("another injection is logged … is this a second one?", "early or extra?"). One injection
    is recorded first, so the question asked, and the tick that confirms it, are the same for
    every POST of this patient."""
    taken_at = clock.to_utc(wall.date(), wall.time(), patient.tz)
    if not Injection.objects.filter(patient=patient, taken_at=taken_at).exists():
        injection_record(patient=patient, recorded_by=patient.user, now=timezone.now(),
                         taken_at=taken_at, site="left_deltoid", administered_by="nurse",
                         product="hydroxocobalamin", dose=1, unit="mg", pain=1,
                         form_token=f"bench-first-{patient.pk}-{wall:%Y%m%d%H%M}")
    verdict = entry.log_verdict(patient, taken_at=taken_at, product="hydroxocobalamin",
                                dose=1, unit="mg")
    if verdict.asks_timing:
        body += "&timing=extra"
    if verdict.signature:
        body += f"&confirm=on&confirmed_for={verdict.signature}"
    return body


class Command(BenchCommand):
    help = "Print the benchmark targets as JSON."

    def handle(self, *args, **options):
        clinician = User.objects.get(email=BENCH_CLINICIAN)
        mfa.totp_activate(clinician, secret=BENCH_TOTP_SECRET)  # staff must have MFA
        patient_user = User.objects.get(email=BENCH_PATIENT)
        patient = patient_user.patient_profile
        csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked CSRF secret format
        as_clinician = session_cookie(clinician, csrf)
        as_patient = session_cookie(patient_user, csrf)
        # A wall time 26 h ago in UTC is in the past in every patient's zone (UTC-12..UTC+14),
        # so every rotated patient's POST is a valid, new injection.
        taken_at = (timezone.now() - dt.timedelta(hours=26)).strftime("%Y-%m-%dT%H:%M")
        log_body = (f"taken_at={taken_at}&site=left_deltoid&administered_by=nurse"
                    "&product=hydroxocobalamin&dose=1&unit=mg&lot_number=&expiry_date=&pain=1"
                    "&notes=&form_token=__TOKEN__")
        # POSTs rotate over 50 bench patients: real patients do not log dozens of doses a
        # second each, and one patient's POSTs would queue on that patient's row locks.
        rotated = list(User.objects.filter(email__startswith="bench.patient")
                       .select_related("patient_profile").order_by("pk")[:ROTATED_PATIENTS])
        rotated_cookies = [session_cookie(user, csrf) for user in rotated]
        wall = dt.datetime.strptime(taken_at, "%Y-%m-%dT%H:%M")
        log_bodies = [confirmed_body(user.patient_profile, log_body, wall) for user in rotated]
        pages = [
            {"name": "baseline", "path": "/bench/baseline/", "cookie": as_clinician},
            {"name": "patient_home", "path": "/me/", "cookie": as_patient},
            {"name": "log_injection", "path": "/injections/log/", "cookie": as_patient,
             "post_body": log_body, "headers": {"X-CSRFToken": csrf},
             "cookies": rotated_cookies, "bodies": log_bodies},
            {"name": "dashboard", "path": "/clinic/", "cookie": as_clinician},
            {"name": "review", "path": f"/clinic/patients/{patient.pk}/",
             "cookie": as_clinician},
        ]
        mixed = {
            "csrf": csrf,
            "clinician_cookie": as_clinician,
            "patient_cookies": rotated_cookies,
            "review_paths": [f"/clinic/patients/{u.patient_profile.pk}/" for u in rotated],
            "log_bodies": log_bodies,
            "diary_body": diary_body(),
        }
        self.stdout.write(json.dumps({"pages": pages, "mixed": mixed}))
