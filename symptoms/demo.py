"""Demo diary for `manage.py seed_demo` (idempotent, deterministic).

Each story (b12care/accounts/demo.py) gets a diary that starts a few days before treatment:
daily at first, then every few days, then weekly. Symptoms of anaemia (tiredness,
breathlessness, palpitations, sore tongue) settle within weeks; memory and mood more slowly;
nerve symptoms over months and not always completely, so "energy improved first, nerves
later" shows on the trend charts. The "neuro_worsening" patient improves and then, over the
last ~12 days, her numbness rises again by 3 or more points (the neurological worsening
rule catches it).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib

from simple_history.utils import bulk_create_with_history

from .models import CheckIn, Symptom, SymptomScore
from .services import worst_nerve_score

# code: (days to settle (time constant), share that stays)
RECOVERY = {
    "fatigue": (12, 0.12), "breathlessness": (9, 0.0), "palpitations": (7, 0.0),
    "sore_tongue": (16, 0.0), "mood": (30, 0.15), "memory": (45, 0.2),
    "numbness_hands": (70, 0.25), "numbness_feet": (80, 0.3), "burning": (60, 0.2),
    "balance": (70, 0.25), "falls": (40, 0.0), "weakness": (60, 0.2), "vision": (30, 0.0),
}
# Severity at the start of treatment, per story (missing codes: 0).
BASELINE = {
    "maintenance_stable": {"fatigue": 8, "breathlessness": 5, "palpitations": 3,
                           "sore_tongue": 4, "mood": 5, "memory": 4, "numbness_hands": 2,
                           "numbness_feet": 2},
    "neuro_worsening": {"fatigue": 8, "breathlessness": 3, "mood": 5, "memory": 5,
                        "numbness_hands": 6, "numbness_feet": 7, "burning": 5, "balance": 5,
                        "weakness": 4, "falls": 2},
    "induction_now": {"fatigue": 9, "breathlessness": 7, "sore_tongue": 5, "mood": 4,
                      "memory": 3},
    "neuro_recovering": {"fatigue": 7, "breathlessness": 3, "mood": 6, "memory": 6,
                         "numbness_hands": 6, "numbness_feet": 8, "burning": 4, "balance": 6,
                         "weakness": 5, "falls": 3},
    "cyanocobalamin": {"fatigue": 6, "breathlessness": 2, "sore_tongue": 3, "mood": 3,
                       "memory": 3, "numbness_feet": 3},
    "prophylaxis": {"fatigue": 3, "mood": 2},
}
NOTES = {
    "maintenance_stable": ["More energy this week.", "Walked to the shops and back.",
                           "A bit tired before the injection was due."],
    "neuro_worsening": ["Pins and needles in my feet are back.", "Feet feel like cotton wool.",
                        "Unsteady on the stairs today."],
    "induction_now": ["Out of breath climbing stairs.", "Slept most of the afternoon."],
    "neuro_recovering": ["Tingling a little less.", "Managed the park without a stick.",
                         "Word-finding still hard some days."],
    "cyanocobalamin": ["Fine today.", "Feet still tingle at night."],
    "prophylaxis": ["All good."],
}
LOCATIONS = {"burning": "Feet", "weakness": "Legs"}  # others: the last choice ("Both sides")
WORSENING_DAYS = 12  # neuro_worsening: the last days in which numbness comes back
NEURO_CODES = {"numbness_hands", "numbness_feet", "balance", "burning"}


def _rng(email: str) -> random.Random:
    return random.Random(zlib.crc32(b"diary:" + email.encode()))


def diary_days(started_days_ago: int, *, daily_tail: int = 0) -> list[int]:
    """Days since the treatment start on which the patient filled in the diary."""
    days, d = [-3, -1], 0
    while d <= started_days_ago:
        days.append(d)
        d += 1 if d < 14 else 2 if d < 42 else 4 if d < 120 else 7
    days.extend(range(max(0, started_days_ago - daily_tail), started_days_ago + 1))
    return sorted({x for x in days if x <= started_days_ago})


def severity(story: str, code: str, day: int, total: int, rng: random.Random) -> int:
    base = BASELINE[story].get(code, 0)
    if base == 0:
        return 0
    tau, floor = RECOVERY[code]
    value = base * (floor + (1 - floor) * math.exp(-max(day, 0) / tau))
    worsening = story == "neuro_worsening" and code in NEURO_CODES
    since = total - WORSENING_DAYS
    if worsening and day > since:
        # Nerve symptoms come back: about +0.25 points a day, no noise so the rise is clear.
        return min(10, round(value + 0.25 * (day - since) * (1.1 if code == "numbness_feet"
                                                           else 0.8)))
    noise = rng.choice((-1, 0, 0, 0, 1))
    return max(0, min(10, round(value) + noise))


def seed(*, patients, clinicians, now) -> None:
    symptoms = {s.code: s for s in Symptom.objects.filter(is_active=True)}
    for profile, spec in patients:
        if spec.story not in BASELINE or CheckIn.objects.filter(patient=profile).exists():
            continue  # "new" has no diary; an already seeded patient is left alone
        rng = _rng(spec.email)
        tz = profile.tz
        today = now.astimezone(tz).date()
        start = today - dt.timedelta(days=spec.started_days_ago)
        tail = 14 if spec.story == "neuro_worsening" else 0
        checkins, scores = [], []
        for day in diary_days(spec.started_days_ago, daily_tail=tail):
            local = start + dt.timedelta(days=day)
            at = dt.datetime.combine(local, dt.time(19, rng.randint(0, 59)), tzinfo=tz)
            at = min(at.astimezone(dt.UTC) + dt.timedelta(minutes=rng.randint(0, 150)),
                     now - dt.timedelta(minutes=10))
            note = rng.choice(NOTES[spec.story]) if rng.random() < 0.12 else ""
            values = {code: severity(spec.story, code, day, spec.started_days_ago, rng)
                      for code in symptoms}
            scores.append(values)
            worst = worst_nerve_score((symptoms[code], v) for code, v in values.items())
            checkins.append(CheckIn(patient=profile, local_date=local, recorded_at=at,
                                    notes=note, recorded_by=profile.user,
                                    worst_nerve_score=worst))
        created = bulk_create_with_history(checkins, CheckIn)
        if not all(c.pk for c in created):  # backends without RETURNING: fetch the ids back
            created = list(CheckIn.objects.filter(patient=profile).order_by("local_date"))
        rows = []
        for checkin, values in zip(created, scores, strict=True):
            for code, value in values.items():
                location = ""
                if value and symptoms[code].locations:
                    location = LOCATIONS.get(code, symptoms[code].locations[-1])
                rows.append(SymptomScore(checkin=checkin, symptom=symptoms[code],
                                         severity=value, location=location))
        SymptomScore.objects.bulk_create(rows, batch_size=2000)
        CheckIn.objects.filter(patient=profile).update(created_at=now, updated_at=now)
