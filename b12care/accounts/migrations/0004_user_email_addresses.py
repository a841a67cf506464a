"""Every existing user gets their sign-in address as a verified primary allauth EmailAddress
(admins and inviting clinicians vouched for it), so a new address must be verified before it
can replace it. New users get theirs from accounts.receivers.on_user_saved."""

from django.db import migrations


def add_verified_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    have = set(EmailAddress.objects.filter(primary=True).values_list("user_id", flat=True))
    taken = set(EmailAddress.objects.values_list("email", flat=True))
    EmailAddress.objects.bulk_create([
        EmailAddress(user_id=pk, email=email.lower(), verified=True, primary=True)
        for pk, email in User.objects.exclude(email="").values_list("pk", "email")
        if pk not in have and email.lower() not in taken
    ])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_unit_preference"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(add_verified_addresses, migrations.RunPython.noop)]
