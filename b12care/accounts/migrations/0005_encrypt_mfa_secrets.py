"""Encrypt the TOTP secrets and recovery-code seeds stored before encryption at rest was
introduced (b12care/accounts/mfa.py: encrypt_secret). Rows already encrypted are left alone."""

from django.db import migrations

from b12care.accounts.mfa import ENCRYPTED_PREFIX, encrypt_secret

FIELDS = {"totp": "secret", "recovery_codes": "seed"}


def encrypt_stored_secrets(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=FIELDS).iterator():
        field = FIELDS[authenticator.type]
        value = authenticator.data.get(field)
        if isinstance(value, str) and not value.startswith(ENCRYPTED_PREFIX):
            authenticator.data[field] = encrypt_secret(value)
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_email_addresses"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_stored_secrets, migrations.RunPython.noop)]
