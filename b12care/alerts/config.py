"""Rule configuration: the code's defaults (``rules.REGISTRY``) merged with the admin's
``AlertRule`` rows."""

from __future__ import annotations

from .models import AlertRule
from .rules import REGISTRY

SEVERITY_ORDER = {"info": 0, "review": 1, "urgent": 2}


def rule_config(stored: dict[str, AlertRule] | None = None) -> dict[str, dict | None]:
    """Rule code -> thresholds (defaults merged with the admin's values), None if disabled.
    ``stored``: the AlertRule rows by code, if the caller has them already."""
    if stored is None:
        stored = stored_rules()
    config: dict[str, dict | None] = {}
    for code, spec in REGISTRY.items():
        row = stored.get(code)
        if row is not None and not row.enabled:
            config[code] = None
        else:
            config[code] = {**spec.defaults, **(row.thresholds if row else {})}
    return config


def stored_rules() -> dict[str, AlertRule]:
    return {r.code: r for r in AlertRule.objects.all()}


def thresholds_for(code: str) -> dict:
    """One rule's thresholds (the defaults when the rule is disabled)."""
    return rule_config().get(code) or dict(REGISTRY[code].defaults)


def alert_rule_ensure(*, code: str) -> AlertRule:
    """The rule's row (seeded by migration; created here if an admin database lacks it)."""
    row, _ = AlertRule.objects.get_or_create(code=code, defaults={"name": REGISTRY[code].name})
    return row
