"""`manage.py bench_targets`: the pages `make bench` loads, with signed-in session cookies (JSON).

Sessions are created directly in the session store for the bench clinician and bench patient 0,
as a completed sign-in leaves them (clocks started; the clinician has passed two-step sign-in);
POSTs carry a CSRF cookie and the matching X-CSRFToken header, as a browser's form would.
"""

import datetime as dt
import json
import secrets

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.utils import timezone

from b12care.accounts import mfa, sessions
from b12care.accounts.models import User
from bench.dataset import BENCH_CLINICIAN, BENCH_PATIENT

BENCH_TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCHBE"  # bench data only


def session_cookie(user: User, csrf: str) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    sessions.start(session, now=timezone.now())
    mfa.setup_needed(user, session)  # remembers that a required second factor is in place
    session.create()
    return f"sessionid={session.session_key}; csrftoken={csrf}"


class Command(BaseCommand):
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
        targets = [
            {"name": "baseline", "path": "/bench/baseline/", "cookie": as_clinician},
            {"name": "patient_home", "path": "/me/", "cookie": as_patient},
            {"name": "log_injection", "path": "/injections/log/", "cookie": as_patient,
             "post_body": log_body, "headers": {"X-CSRFToken": csrf},
             # POSTs rotate over 50 bench patients: real patients do not log dozens of doses
             # a second each, and one patient's POSTs would queue on that patient's row locks.
             "cookies": [session_cookie(user, csrf) for user in User.objects.filter(
                 email__startswith="bench.patient").order_by("pk")[:50]]},
            {"name": "dashboard", "path": "/clinic/", "cookie": as_clinician},
            {"name": "review", "path": f"/clinic/patients/{patient.pk}/",
             "cookie": as_clinician},
        ]
        self.stdout.write(json.dumps(targets))
