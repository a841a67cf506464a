"""The protocol templates seeded from CLINICAL.md (data migration 0002 copies these values).
Their descriptions are generated from the phases (``injections.describe``).

Each is a default a clinician copies and adjusts; the app never decides a regimen. Values are
frozen here (not imported from models) so the migration stays valid as models change.
"""

from __future__ import annotations

from decimal import Decimal

HYDROXO_NO_NEURO = "hydroxocobalamin-no-neuro"
HYDROXO_NEURO = "hydroxocobalamin-neuro"
CYANO_US_LABEL = "cyanocobalamin-us-label"
PROPHYLAXIS = "prophylaxis"

TEMPLATES = [
    {
        "slug": HYDROXO_NO_NEURO,
        "name": "Hydroxocobalamin, no neurological involvement",
        "source": "BNF / NICE CKS",
        "position": 1,
        "phases": [
            dict(kind="induction", product="hydroxocobalamin", dose=Decimal("1"), unit="mg",
                 repeat="weekdays", interval=1, weekdays="MO,WE,FR", end_kind="count", count=6,
                 note="Three times a week for 2 weeks."),
            dict(kind="maintenance", product="hydroxocobalamin", dose=Decimal("1"), unit="mg",
                 repeat="months", interval=3, end_kind="open",
                 note="Lifelong if the cause is irreversible."),
        ],
    },
    {
        "slug": HYDROXO_NEURO,
        "name": "Hydroxocobalamin, neurological involvement",
        "source": "BNF / NICE CKS",
        "position": 2,
        "phases": [
            dict(kind="induction", product="hydroxocobalamin", dose=Decimal("1"), unit="mg",
                 repeat="days", interval=2, end_kind="open",
                 note="Until no further improvement: a clinician ends this phase."),
            dict(kind="maintenance", product="hydroxocobalamin", dose=Decimal("1"), unit="mg",
                 repeat="months", interval=2, end_kind="open", note=""),
        ],
    },
    {
        "slug": CYANO_US_LABEL,
        "name": "Cyanocobalamin, US product label",
        "source": "US product label",
        "position": 3,
        "phases": [
            dict(kind="induction", product="cyanocobalamin", dose=Decimal("100"),
                 unit="microgram", repeat="days", interval=1, end_kind="count", count=7,
                 note="Daily for 7 days."),
            dict(kind="induction", product="cyanocobalamin", dose=Decimal("100"),
                 unit="microgram", repeat="days", interval=2, end_kind="count", count=7,
                 note="Alternate days for 7 doses."),
            dict(kind="induction", product="cyanocobalamin", dose=Decimal("100"),
                 unit="microgram", repeat="days", interval=3, end_kind="count", count=6,
                 note="Every 3-4 days for 2-3 weeks."),
            dict(kind="maintenance", product="cyanocobalamin", dose=Decimal("100"),
                 unit="microgram", repeat="months", interval=1, end_kind="open",
                 note="Monthly, lifelong; commonly up to 1000 µg."),
        ],
    },
    {
        "slug": PROPHYLAXIS,
        "name": "Prophylaxis (e.g. after gastric surgery)",
        "source": "BNF / NICE CKS",
        "position": 4,
        "phases": [
            dict(kind="maintenance", product="hydroxocobalamin", dose=Decimal("1"), unit="mg",
                 repeat="months", interval=3, end_kind="open", note="Every 2-3 months."),
        ],
    },
]


def seed_templates(apps, schema_editor=None) -> None:
    """Create the templates that do not exist yet (never overwrite an admin's edits)."""
    ProtocolTemplate = apps.get_model("injections", "ProtocolTemplate")
    TemplatePhase = apps.get_model("injections", "TemplatePhase")
    for spec in TEMPLATES:
        phases = spec["phases"]
        fields = {k: v for k, v in spec.items() if k != "phases"}
        template, created = ProtocolTemplate.objects.get_or_create(
            slug=fields.pop("slug"), defaults=fields
        )
        if created:
            for order, phase in enumerate(phases, start=1):
                TemplatePhase.objects.create(template=template, order=order, **phase)


def unseed_templates(apps, schema_editor=None) -> None:
    ProtocolTemplate = apps.get_model("injections", "ProtocolTemplate")
    ProtocolTemplate.objects.filter(slug__in=[t["slug"] for t in TEMPLATES]).delete()
