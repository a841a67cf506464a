"""The triage read model gained the emergency count and the newest finding: drop the rows so
they are recomputed (the dashboard fills a missing row before it ranks, and the periodic
reconcile rewrites every row within minutes)."""

from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("clinic", "TriageState").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_triage_emergency_and_newest_finding"),
        ("alerts", "0013_anaphylaxis_alerts_are_emergency"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
