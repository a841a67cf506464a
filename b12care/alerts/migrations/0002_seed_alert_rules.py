"""Seed one AlertRule per red-flag rule with CLINICAL.md's defaults (editable by admins).

The values are copied here on purpose (a migration must not change when code changes later).
Existing rows are left alone, so an admin's edits survive re-running migrations."""

from django.db import migrations

DEFAULTS = {
    "systemic_reaction": ("Systemic reaction after an injection", {
        "lookback_hours": 48,
        "signs": ["breathing_difficulty", "face_throat_swelling", "hives", "dizziness"]}),
    "neuro_worsening": ("New or rapidly worsening neurological symptoms", {
        "delta": 3, "absolute": 8, "window_days": 14,
        "codes": ["numbness_hands", "numbness_feet", "balance", "falls", "weakness"]}),
    "new_visual_symptoms": ("New visual loss or blurred vision", {
        "min_severity": 1, "lookback_days": 2, "baseline_days": 60, "codes": ["vision"]}),
    "early_palpitations_weakness": (
        "Palpitations or muscle weakness early in treatment for severe anaemia",
        {"first_days": 7, "min_severity": 1, "codes": ["palpitations", "weakness"]}),
    "potassium_low": ("Potassium low in the first 2 weeks", {"below": "3.5", "first_days": 14}),
    "hb_critical": ("Haemoglobin critically low", {"below_g_dl": "8.0", "lookback_days": 30}),
    "no_retic_rise": ("No reticulocyte rise by day 10", {
        "by_day": 10, "stop_after_day": 28, "min_rise_percent": 0}),
    "no_hb_mcv_improvement": ("Hb/MCV not improving by week 8", {
        "by_day": 56, "stop_after_day": 120, "hb_low_g_dl": "12.0", "hb_min_rise": "0.5",
        "mcv_high_fl": "98", "mcv_min_fall": "2"}),
    "injection_site_infection": ("Injection site painful, hot or swollen > 48 h", {
        "persist_hours": 48, "min_signs": 2, "lookback_days": 14,
        "signs": ["redness", "swelling", "persistent_pain"]}),
    "missed_doses": ("Missed doses", {
        "induction_late_hours": 24, "maintenance_missed_count": 2, "maintenance_late_days": 14,
        "lookback_days": 120, "reminder_repeat_count": 2, "reminder_repeat_hours": 4}),
}


def seed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for code, (name, thresholds) in DEFAULTS.items():
        AlertRule.objects.get_or_create(code=code, defaults={"name": name,
                                                             "thresholds": thresholds})


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
