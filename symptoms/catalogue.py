"""The symptom catalogue seeded by the data migration (CLINICAL.md, DESIGN.md).

``code`` is stable: red-flag rules (b12care.alerts.rules) key on it, so admins may reword a
question but should not change a code. Severity is 0-10 for every item (0 = none).
"""

from __future__ import annotations

SIDES = "Left,Right,Both sides"

SYMPTOMS = [
    # code, name, question, category, neurological, locations
    ("fatigue", "Tiredness", "How tired or low in energy have you felt today?", "general",
     False, ""),
    ("numbness_hands", "Numbness or tingling in the hands",
     "How much numbness, tingling or pins and needles in your hands?", "nerves", True, SIDES),
    ("numbness_feet", "Numbness or tingling in the feet",
     "How much numbness, tingling or pins and needles in your feet or legs?", "nerves", True,
     SIDES),
    ("burning", "Burning sensations", "How much burning pain in your skin, hands or feet?",
     "nerves", True, "Hands,Feet,Legs,Elsewhere"),
    ("balance", "Balance and walking", "How unsteady have you been on your feet?", "nerves",
     True, ""),
    ("falls", "Falls or near-falls", "How much trouble with falls or near-falls? (0 = none)",
     "nerves", True, ""),
    ("weakness", "Muscle weakness", "How weak have your muscles felt?", "nerves", True,
     "Arms,Legs,Both"),
    ("memory", "Memory and concentration",
     "How much trouble with memory, thinking clearly or concentrating?", "mind", True, ""),
    ("mood", "Low mood", "How low, anxious or irritable have you felt?", "mind", False, ""),
    ("sore_tongue", "Sore tongue or mouth", "How sore or red is your tongue or mouth?",
     "general", False, ""),
    ("breathlessness", "Breathlessness", "How breathless have you been, e.g. on stairs?",
     "blood", False, ""),
    ("palpitations", "Palpitations", "How much have you noticed a racing or pounding heart?",
     "blood", False, ""),
    ("vision", "Vision changes", "How much blurred vision or loss of sight?", "nerves", True,
     "Left eye,Right eye,Both eyes"),
]


def seed_symptoms(apps, schema_editor) -> None:
    Symptom = apps.get_model("symptoms", "Symptom")
    for position, (code, name, question, category, neuro, locations) in enumerate(SYMPTOMS):
        Symptom.objects.update_or_create(code=code, defaults={
            "name": name, "question": question, "category": category, "neurological": neuro,
            "location_choices": locations, "position": position,
        })


def unseed_symptoms(apps, schema_editor) -> None:
    apps.get_model("symptoms", "Symptom").objects.filter(
        code__in=[row[0] for row in SYMPTOMS]).delete()
