"""Alert tiers, highest first: emergency > urgent > review (> info). CLINICAL.md "Tiers".

The ONE ordering definition every surface uses (guidance page, patient home, clinician
dashboard, alerts pages, inbox, read models): ``tier_rank`` in Python and ``tier_rank_sql`` for
querysets. A higher rank is more urgent; within a tier the newest finding comes first.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

EMERGENCY, URGENT, REVIEW, INFO = "emergency", "urgent", "review", "info"
TIERS = (EMERGENCY, URGENT, REVIEW, INFO)  # highest first
TIER_RANK = {EMERGENCY: 3, URGENT: 2, REVIEW: 1, INFO: 0}
# Tiers that tell the patient what to do at once on the page where they saved.
GUIDANCE_TIERS = frozenset({EMERGENCY, URGENT})


def tier_rank(severity: str | None) -> int:
    """3 emergency, 2 urgent, 1 review, 0 info or unknown."""
    return TIER_RANK.get(severity or "", 0)


def higher_tier(a: str, b: str) -> str:
    return max(a, b, key=tier_rank)


def tier_rank_sql(field: str = "severity") -> Case:
    """``tier_rank`` as a SQL expression over ``field`` (order by it descending)."""
    return Case(*(When(**{field: tier}, then=Value(rank)) for tier, rank in TIER_RANK.items()
                  if rank), default=Value(0), output_field=IntegerField())


def newest_first_key(severity: str, last_seen_at, pk: int = 0) -> tuple:
    """Sort key (ascending sort): highest tier first, then newest finding, then newest row."""
    return (-tier_rank(severity), -last_seen_at.timestamp(), -pk)
