"""Demo data of the alerts app for `manage.py seed_demo` (idempotent).

Alerts are never invented here: the real rules run over the demo history the other apps
seeded (e.g. Maria's worsening numbness -> one urgent alert for Dr Shah, one email row). Dedup
keys make every re-run update the same alerts, so seeding or sweeping again adds nothing.
"""

from __future__ import annotations

from .lifecycle import patient_rules_evaluate


def seed(*, patients, clinicians, now) -> None:
    for profile, _spec in patients:
        patient_rules_evaluate(patient=profile, now=now)
