"""schedule_summary reads only the doses it shows and counts adherence in the database: it must
agree with the definitions in scheduling (docs/schedules.md) over the whole history."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from b12care.clinic.tests.test_review import NOW, history
from b12care.core import events
from injections import scheduling, selectors, services
from injections.models import DoseStatus, PlannedDose, SuitabilityAssessment, TrainingRecord

pytestmark = pytest.mark.django_db


def reference(patient, now):
    """The straightforward definition: every planned dose read and judged in Python."""
    doses = list(PlannedDose.objects.filter(patient=patient).select_related("injection")
                 .order_by("due_at"))

    def is_missed(d):
        return d.status == DoseStatus.MISSED or (
            d.status == DoseStatus.OPEN and d.due_at + d.window < now)

    open_doses = [d for d in doses if d.status == DoseStatus.OPEN and not is_missed(d)]
    last_taken = max((d.due_at for d in doses if d.status == DoseStatus.TAKEN), default=None)
    missed = [d for d in doses if is_missed(d) and (last_taken is None or d.due_at > last_taken)]
    adherence = {}
    for phase_id in {d.phase_id for d in doses}:
        outcomes = [scheduling.DoseOutcome(d.due_at, d.injection.taken_at if d.injection_id
                                           else None, d.status == DoseStatus.SKIPPED, d.grace)
                    for d in doses if d.phase_id == phase_id]
        result = scheduling.adherence(outcomes, now=now)
        adherence[phase_id] = (result.on_time, result.due)
    return {
        "next": open_doses[0].pk if open_doses else None,
        "upcoming": [d.pk for d in open_doses if d.due_at > now][:4],
        "missed": [d.pk for d in missed[-3:]],
        "adherence": adherence,
    }


def summary_ids(patient, now):
    s = selectors.schedule_summary(patient, now=now, upcoming=4)
    return {
        "next": s["next"]["dose"].pk if s["next"] else None,
        "upcoming": [r["dose"].pk for r in s["upcoming"]],
        "missed": [r["dose"].pk for r in s["missed"]],
        "adherence": {a.phase.pk: (a.on_time, a.due) for a in s["adherence"] if a.due or
                      a.on_time},
    }


def test_the_summary_agrees_with_the_definitions_with_late_skipped_and_missed_doses(
    clinician, patient
):
    history(patient, clinician, days=40)
    doses = list(PlannedDose.objects.filter(patient=patient).order_by("due_at"))
    taken = [d for d in doses if d.injection_id]
    # One late injection (past the 1-day grace), one skipped dose, two never taken.
    late = taken[3].injection
    late.taken_at = taken[3].due_at + dt.timedelta(days=1, hours=1)
    late.save(update_fields=["taken_at"])
    PlannedDose.objects.filter(pk=taken[5].pk).update(status=DoseStatus.SKIPPED, injection=None)
    for d in taken[-3:-1]:
        PlannedDose.objects.filter(pk=d.pk).update(status=DoseStatus.OPEN, injection=None)
    # Direct writes, as an admin's: announced through the seam, which refreshes the read models.
    events.patient_data_changed([patient.pk], {events.DOSES, events.INJECTIONS}, now=NOW)
    for now in (NOW, NOW + dt.timedelta(days=1, hours=2), NOW + dt.timedelta(days=9)):
        expected = reference(patient, now)
        expected["adherence"] = {k: v for k, v in expected["adherence"].items() if any(v)}
        assert summary_ids(patient, now) == expected


def test_missed_doses_after_the_last_taken_one_are_shown(clinician, patient):
    history(patient, clinician, days=20)
    later = NOW + dt.timedelta(days=9)
    shown = summary_ids(patient, later)
    assert len(shown["missed"]) == 3
    assert shown == reference(patient, later) | {"adherence": shown["adherence"]}


@pytest.mark.parametrize("suitable", [None, False, True])
@pytest.mark.parametrize("complete", [None, False, True])
def test_the_review_cards_readiness_agrees_with_the_service_in_the_clinicians_words(
    clinician, patient, suitable, complete
):
    if suitable is not None:
        SuitabilityAssessment.objects.create(
            patient=patient, assessed_by=clinician, assessed_on=dt.date(2026, 1, 1),
            **{item: suitable for item in SuitabilityAssessment.ITEMS})
    if complete is not None:
        TrainingRecord.objects.create(
            patient=patient, observed_by=clinician, observed_on=dt.date(2026, 1, 1),
            **{item: complete for item in TrainingRecord.ITEMS})
    with time_machine.travel(NOW, tick=False):
        brief = selectors.schedule_summary(patient, now=NOW, readiness=True)["readiness"]
    full = services.self_injection_readiness(patient)
    assert brief.ready == full.ready
    assert len(brief.reasons) == len(full.reasons)
    assert not any("you" in reason.lower().split() or "your" in reason.lower()
                   for reason in brief.reasons)


def test_the_supply_forecast_is_unchanged_when_read_with_the_phases(clinician, patient):
    history(patient, clinician, days=10)
    services.supply_set(patient=patient, ampoules=3, by=patient.user, now=NOW)
    regimen = services.active_regimen(patient)
    expected = selectors.supply_forecast(patient, regimen, services.phases_of(regimen), now=NOW)
    assert selectors.schedule_summary(patient, now=NOW)["supply"] == expected
    assert Decimal(expected.on_hand) == 3
