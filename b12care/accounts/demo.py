"""Demo people for `manage.py seed_demo`. Demo data only: the password is public (README).

Each patient has a ``story`` that the injections, symptoms and labs demo seeders follow, so the
data of one patient tells one plausible clinical course across apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import mfa
from .models import CareTeamMembership, PatientProfile, Role, User


@dataclass(frozen=True)
class DemoPatient:
    email: str
    first_name: str
    last_name: str
    timezone: str
    country: str
    cause: str
    neurological_involvement: bool
    sex: str
    story: str  # see STORIES
    started_days_ago: int  # when treatment (induction) started
    clinicians: tuple[str, ...]
    severe_anaemia: bool = False


STORIES = {
    "maintenance_stable": "finished induction months ago, now on 3-monthly maintenance, recovered",
    "neuro_worsening": "neurological induction, numbness improving then worsening recently",
    "induction_now": "started induction 5 days ago (no neurological involvement)",
    "neuro_recovering": "neurological induction ended, 2-monthly maintenance, slow nerve recovery",
    "cyanocobalamin": "US cyanocobalamin label regimen, monthly maintenance",
    "prophylaxis": "prophylaxis after gastric bypass, no induction",
    "new": "just invited, no regimen yet",
}

CLINICIANS = [
    ("clinician@b12care.example", "Priya", "Shah"),
    ("clinician2@b12care.example", "Ben", "Moore"),
]
ADMIN_EMAIL = "admin@b12care.example"
C1, C2 = CLINICIANS[0][0], CLINICIANS[1][0]

PATIENTS = [
    DemoPatient("patient@b12care.example", "Sam", "Taylor", "Europe/London", "GB",
                "pernicious_anaemia", False, "female", "maintenance_stable", 240, (C1,)),
    DemoPatient("maria@b12care.example", "Maria", "Garcia", "America/New_York", "US",
                "gastric_surgery", True, "female", "neuro_worsening", 75, (C1,)),
    DemoPatient("liam@b12care.example", "Liam", "O'Brien", "Australia/Sydney", "AU",
                "dietary", False, "male", "induction_now", 5, (C1,), severe_anaemia=True),
    DemoPatient("aisha@b12care.example", "Aisha", "Khan", "Europe/London", "GB",
                "pernicious_anaemia", True, "female", "neuro_recovering", 200, (C1,)),
    DemoPatient("tom@b12care.example", "Tom", "Becker", "America/Los_Angeles", "US",
                "medication", False, "male", "cyanocobalamin", 150, (C1, C2)),
    DemoPatient("grace@b12care.example", "Grace", "Chen", "Pacific/Auckland", "NZ",
                "gastric_surgery", False, "female", "prophylaxis", 300, (C2,)),
    DemoPatient("noah@b12care.example", "Noah", "Williams", "Europe/Dublin", "IE",
                "unknown", False, "male", "new", 0, (C2,)),
]


DEBUG_ONLY = (
    "Demo data creates an admin, clinicians and patients whose password is public "
    "(settings.DEMO_PASSWORD, printed in README). It refuses to run with DEBUG off: seed demo data "
    "only on a development machine (`make run` sets DEBUG=true)."
)


def login_lines(site_url: str, *, debug: bool) -> list[str]:
    """What a newcomer needs to sign in: the address, the demo accounts and their password."""
    lines = [f"Demo logins (password '{settings.DEMO_PASSWORD}', demo data only):",
             f"  admin      {ADMIN_EMAIL}"]
    lines += [f"  clinician  {email}" for email, _, _ in CLINICIANS]
    lines += [f"  patient    {spec.email:28} {spec.timezone}" for spec in PATIENTS]
    if debug:
        lines.append("Admin and clinicians also need a code: add the demo key "
                     f"{settings.DEMO_TOTP_SECRET} to an authenticator app, or run "
                     "`make demo-code` (manage.py demo_mfa_code) for the current code.")
    lines.append(f"Sign in at {site_url}/accounts/login/")
    return lines


def refuse_without_debug() -> None:
    """Demo accounts with the public password must never reach a production database."""
    if not settings.DEBUG:
        raise ImproperlyConfigured(DEBUG_ONLY)


def _user(email: str, first: str, last: str, role: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last, "role": role, **extra}
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # Demo addresses are verified (settings' email page would say "Unverified"), also in a
    # database seeded before new users got a verified address.
    EmailAddress.objects.update_or_create(user=user, email=email.lower(),
                                          defaults={"verified": True, "primary": True})
    return user


def seed_people() -> tuple[User, list[User], list[tuple[PatientProfile, DemoPatient]]]:
    """Create (or find) the demo admin, clinicians and patients. Idempotent; DEBUG only."""
    refuse_without_debug()
    admin = _user(ADMIN_EMAIL, "Ada", "Admin", Role.ADMIN, is_staff=True, is_superuser=True)
    clinicians = {email: _user(email, f, la, Role.CLINICIAN) for email, f, la in CLINICIANS}
    # Staff must use MFA: the demo staff share a documented authenticator secret (README).
    for staff in (admin, *clinicians.values()):
        mfa.totp_activate(staff, secret=settings.DEMO_TOTP_SECRET)
    patients = []
    for spec in PATIENTS:
        user = _user(spec.email, spec.first_name, spec.last_name, Role.PATIENT)
        profile, _ = PatientProfile.objects.get_or_create(
            user=user,
            defaults={
                "timezone": spec.timezone,
                "country": spec.country,
                "cause": spec.cause,
                "neurological_involvement": spec.neurological_involvement,
                "severe_anaemia": spec.severe_anaemia,
                "sex": spec.sex,
            },
        )
        for i, email in enumerate(spec.clinicians):
            CareTeamMembership.objects.get_or_create(
                patient=profile, clinician=clinicians[email], defaults={"is_primary": i == 0}
            )
        patients.append((profile, spec))
    return admin, list(clinicians.values()), patients
