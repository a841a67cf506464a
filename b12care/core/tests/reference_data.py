"""Reference rows that data migrations seed (protocol templates, symptom and lab catalogues,
alert rules). A transactional test flushes every table afterwards, so the tests that follow it
would find these tables empty; the root conftest puts the rows back (each seed is idempotent)."""

from importlib import import_module

from django.apps import apps

from injections.protocols import seed_templates
from labs.catalogue import seed_catalogue
from symptoms.catalogue import seed_symptoms


def ensure_reference_data() -> None:
    seed_templates(apps, None)
    seed_catalogue(apps, None)
    seed_symptoms(apps, None)
    import_module("b12care.alerts.migrations.0002_seed_alert_rules").seed(apps, None)
