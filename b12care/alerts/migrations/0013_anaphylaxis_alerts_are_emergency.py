"""Signs of anaphylaxis become the emergency tier (CLINICAL.md "Tiers"): active alerts of the
systemic reaction rule move up, and the summary read model is reconciled (its new
``emergency_open`` count and top alert). Resolved alerts keep the tier they were handled at."""

from django.db import migrations

from b12care.alerts.summary import alert_summaries_refresh_all


def forwards(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    AlertSummary = apps.get_model("alerts", "AlertSummary")
    Alert.objects.filter(rule__code="systemic_reaction", status__in=["open", "acknowledged"],
                         severity="urgent").update(severity="emergency")
    alert_summaries_refresh_all(alert_model=Alert, summary_model=AlertSummary)


def backwards(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    Alert.objects.filter(severity="emergency").update(severity="urgent")


class Migration(migrations.Migration):
    dependencies = [("alerts", "0012_emergency_tier_and_escalation_ladder")]
    operations = [migrations.RunPython(forwards, backwards)]
