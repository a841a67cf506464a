"""Rule configuration: the code's defaults (``rules.REGISTRY``) merged with the admin's
``AlertRule`` rows."""

from __future__ import annotations

import dataclasses

from .models import AlertRule
from .rules import REGISTRY, Finding


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


def findings_tiered(findings: list[Finding], stored: dict[str, AlertRule]) -> list[Finding]:
    """The findings with each rule's tier as the admin set it (blank: the rule's own tier)."""
    return [dataclasses.replace(f, severity=stored[f.rule].severity)
            if f.rule in stored and stored[f.rule].severity else f for f in findings]
