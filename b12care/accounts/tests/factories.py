"""factory_boy factories for users, patients and care teams (used across all apps' tests)."""

import factory

from b12care.accounts import mfa
from b12care.accounts.models import CareTeamMembership, PatientProfile, Role, User

# The authenticator-app secret every test clinician and admin has (base32, tests only).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """Clinicians and admins must use MFA: they come with an authenticator app
    (``TEST_TOTP_SECRET``) unless created with ``mfa=False``."""

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            mfa.totp_activate(obj, secret=TEST_TOTP_SECRET)


class ClinicianFactory(StaffFactory):
    role = Role.CLINICIAN
    email = factory.Sequence(lambda n: f"clinician{n}@example.org")


class AdminFactory(StaffFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
    email = factory.Sequence(lambda n: f"admin{n}@example.org")


class PatientFactory(factory.django.DjangoModelFactory):
    """A PatientProfile with its User."""

    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    timezone = "Europe/London"
    country = "GB"


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMembership

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(ClinicianFactory)
    is_primary = True
