from django.db import migrations

from injections.protocols import seed_templates, unseed_templates


class Migration(migrations.Migration):
    dependencies = [("injections", "0001_initial")]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]
