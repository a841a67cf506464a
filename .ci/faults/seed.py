"""Run inside the project (DJANGO_SETTINGS_MODULE=b12care.settings, a fault scenario's own
database): make sure the fault-run users exist, then print signed-in session cookies as JSON.

Sessions are written straight into the session store as a completed sign-in leaves them (as
bench/benchapp's bench_targets does), so the load generator needs no sign-in round trips.
"""

from __future__ import annotations

import json
import secrets
import sys

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from b12care.accounts import sessions  # noqa: E402
from b12care.accounts.models import CareTeamMembership, PatientProfile, Role, User  # noqa: E402

PATIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 40
CLINICIAN = "faults.clinician@example.org"


@transaction.atomic
def users() -> list[User]:
    clinician, _ = User.objects.get_or_create(
        email=CLINICIAN, defaults={"role": Role.CLINICIAN, "first_name": "Fay",
                                   "last_name": "Ults"})
    patients = []
    for n in range(PATIENTS):
        user, created = User.objects.get_or_create(
            email=f"faults.patient{n}@example.org",
            defaults={"role": Role.PATIENT, "first_name": "Pat", "last_name": f"F{n}"})
        if created:
            profile = PatientProfile.objects.create(user=user, timezone="Europe/London",
                                                    country="GB")
            CareTeamMembership.objects.create(patient=profile, clinician=clinician,
                                              is_primary=True)
        patients.append(user)
    return patients


def cookie(user: User, csrf: str) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    sessions.start(session, now=timezone.now())
    session.create()
    return f"sessionid={session.session_key}; csrftoken={csrf}"


def main() -> None:
    patients = users()
    csrf = secrets.token_hex(16)  # Django's unmasked CSRF secret format
    print(json.dumps({
        "csrf": csrf,
        "patients": [{"cookie": cookie(user, csrf), "patient_id": user.patient_profile.pk}
                     for user in patients],
    }))


main()
