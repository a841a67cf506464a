"""What a patient is told at once, on the page where they saved data (CLINICAL.md red flags,
column "what the patient sees at once"). Plain language; the emergency number is the patient's
country's."""

from __future__ import annotations

from .rules import REGISTRY


def action_for(rule_code: str, *, emergency_number: str) -> dict:
    kind = REGISTRY[rule_code].guidance if rule_code in REGISTRY else ""
    if kind == "emergency":
        return {"level": "danger", "headline": f"Call emergency services now: {emergency_number}",
                "call": emergency_number,
                "detail": "Do this if you have difficulty breathing, wheeze, swelling of the "
                          "face, lips or throat, widespread hives, or feel faint. Do not drive "
                          "yourself. Your care team has also been told."}
    if kind == "clinician_today":
        return {"level": "warning", "headline": "Contact your clinician today",
                "detail": "Your nerve symptoms are getting worse. Phone your clinic today. If "
                          "you suddenly cannot walk, speak or see, call emergency services: "
                          f"{emergency_number}.", "call": ""}
    if kind == "same_day":
        return {"level": "warning", "headline": "Get checked today",
                "detail": "Contact your clinician today. If you cannot reach them, use an urgent "
                          f"care service. In an emergency call {emergency_number}.", "call": ""}
    if kind == "site":
        return {"level": "warning", "headline": "Do not inject there; contact your clinic",
                "detail": "Use another site for your next injection until your clinic has "
                          "looked at it.", "call": ""}
    return {"level": "warning", "headline": "Contact your clinician today",
            "detail": "Your care team has been told.", "call": ""}
