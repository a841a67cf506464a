"""Regimens, planned doses, the injection log, rotation, readiness and supply (with the DB)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from b12care.core import events
from injections import protocols, selectors, services
from injections.models import (
    DoseStatus,
    Injection,
    PlannedDose,
    ProtocolTemplate,
    Regimen,
    Supply,
)

from .conftest import NOW, injection_values

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def local_days(patient):
    return [d.due_at.astimezone(patient.tz).date()
            for d in PlannedDose.objects.filter(patient=patient).order_by("due_at")]


def test_the_four_clinical_templates_are_seeded_with_ordered_phases():
    templates = {t.slug: t for t in ProtocolTemplate.objects.all()}
    assert set(templates) >= {protocols.HYDROXO_NO_NEURO, protocols.HYDROXO_NEURO,
                              protocols.CYANO_US_LABEL, protocols.PROPHYLAXIS}
    cyano = templates[protocols.CYANO_US_LABEL].phases.order_by("order")
    assert [(p.kind, p.interval, p.count) for p in cyano] == [
        ("induction", 1, 7), ("induction", 2, 7), ("induction", 3, 6), ("maintenance", 1, None)
    ]
    neuro_induction = templates[protocols.HYDROXO_NEURO].phases.get(order=1)
    assert neuro_induction.end_kind == "open"


def test_a_new_regimen_plans_six_induction_doses_then_three_monthly(regimen, patient):
    days = local_days(patient)
    assert days[:6] == [dt.date(2026, 11, 25), dt.date(2026, 11, 27), dt.date(2026, 11, 30),
                        dt.date(2026, 12, 2), dt.date(2026, 12, 4), dt.date(2026, 12, 7)]
    assert len(days) == 6  # the horizon is 90 days; maintenance starts beyond it
    services.planned_doses_regenerate(patient=patient, now=NOW + dt.timedelta(days=30))
    assert local_days(patient)[6:] == [dt.date(2027, 3, 7), dt.date(2027, 6, 7),
                                       dt.date(2027, 9, 7)]  # rolls into view: 3 ahead
    phases = list(regimen.phases.order_by("order"))
    assert phases[0].rrule == "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6"
    assert phases[1].rrule == "FREQ=MONTHLY;INTERVAL=3"


def test_regeneration_is_idempotent(regimen, patient):
    before = list(PlannedDose.objects.values_list("pk", "due_at"))
    result = services.planned_doses_regenerate(patient=patient, now=NOW)
    assert (result.created, result.removed) == (0, 0)
    assert list(PlannedDose.objects.values_list("pk", "due_at")) == before


def test_the_start_of_treatment_is_announced_with_the_first_dose_day(
        patient, clinician, no_neuro_template, announcements):
    services.regimen_create_from_template(
        patient=patient, template=no_neuro_template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(9), created_by=clinician, now=NOW,
    )
    started = [c for c in announcements if events.TREATMENT_STARTED in c.kinds]
    assert [(c.patient_ids, c.detail, c.by) for c in started] == [
        ({patient.pk}, {"treatment_start": dt.date(2026, 11, 25)}, clinician)]


def test_a_time_zone_change_moves_only_future_untaken_doses(regimen, patient, clinician):
    first = PlannedDose.objects.order_by("due_at").first()
    later = NOW + dt.timedelta(days=2)  # 26 Nov: dose 1 (25th) is history
    services.injection_record(patient=patient, recorded_by=clinician, now=later,
                              **injection_values(taken_at=first.due_at + dt.timedelta(hours=1)))
    patient.timezone = "America/New_York"
    patient.save()
    services.planned_doses_regenerate(patient=patient, now=later)
    first.refresh_from_db()
    assert first.status == DoseStatus.TAKEN
    assert first.due_at == dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # unchanged
    second = PlannedDose.objects.filter(due_at__gt=later).order_by("due_at").first()
    assert second.due_at == dt.datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert PlannedDose.objects.filter(regimen=regimen).count() == len(set(
        PlannedDose.objects.values_list("due_at", flat=True)))


def test_changing_a_phase_never_rewrites_taken_doses(regimen, patient, clinician):
    later = NOW + dt.timedelta(days=4)  # 28 Nov
    doses = list(PlannedDose.objects.order_by("due_at")[:2])
    for dose in doses:
        services.injection_record(patient=patient, recorded_by=clinician, now=later,
                                  **injection_values(taken_at=dose.due_at))
    induction = regimen.phases.get(order=1)
    services.phase_update(phase=induction, by=clinician, now=later, time_of_day=dt.time(18, 0))
    taken = PlannedDose.objects.filter(status=DoseStatus.TAKEN).order_by("due_at")
    assert [d.due_at for d in taken] == [d.due_at for d in doses]
    upcoming = PlannedDose.objects.filter(due_at__gt=later, phase=induction).order_by("due_at")
    assert [d.sequence for d in upcoming] == [3, 4, 5, 6]
    assert {d.due_at.astimezone(patient.tz).hour for d in upcoming} == {18}


def test_ending_an_open_induction_starts_maintenance_from_the_end_date(patient, clinician):
    template = ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NEURO)
    regimen = services.regimen_create_from_template(
        patient=patient, template=template, start_date=dt.date(2026, 9, 1),
        time_of_day=dt.time(9), created_by=clinician, now=NOW,
    )
    induction, maintenance = regimen.phases.order_by("order")
    assert not PlannedDose.objects.filter(phase=maintenance).exists()
    services.phase_end(phase=induction, end_date=dt.date(2026, 11, 24), by=clinician, now=NOW)
    first = PlannedDose.objects.filter(phase=maintenance).order_by("due_at").first()
    assert first.due_at.astimezone(patient.tz).date() == dt.date(2027, 1, 24)
    assert not PlannedDose.objects.filter(
        phase=induction, due_at__gt=dt.datetime(2026, 11, 25, tzinfo=UTC)).exists()


def test_old_open_doses_become_missed_once_their_window_closes(regimen, patient):
    later = NOW + dt.timedelta(days=3)  # 27 Nov 10:00; dose 1 was 25 Nov 09:00, window ~1.2 days
    services.planned_doses_regenerate(patient=patient, now=later)
    statuses = list(PlannedDose.objects.order_by("due_at").values_list("status", flat=True)[:3])
    assert statuses == [DoseStatus.MISSED, DoseStatus.OPEN, DoseStatus.OPEN]


def test_an_injection_fulfils_the_nearest_open_dose_or_is_extra(regimen, patient, clinician):
    first = PlannedDose.objects.order_by("due_at").first()
    taken = first.due_at + dt.timedelta(hours=3)
    recorded = services.injection_record(patient=patient, recorded_by=clinician, now=taken,
                                         **injection_values(taken_at=taken))
    assert recorded.planned_dose == first
    first.refresh_from_db()
    assert first.status == DoseStatus.TAKEN and first.injection == recorded.injection
    # A second injection the same evening is an extra, not dose 2.
    extra = services.injection_record(patient=patient, recorded_by=clinician,
                                      now=taken + dt.timedelta(hours=1),
                                      **injection_values(taken_at=taken + dt.timedelta(hours=1)))
    assert extra.planned_dose is None


def test_a_double_submitted_form_records_one_injection(patient, clinician):
    for _ in range(2):
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  form_token="abc123", **injection_values())
    assert Injection.objects.count() == 1


def test_it_refuses_a_time_in_the_future(patient, clinician):
    with pytest.raises(ValidationError) as err:
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(taken_at=NOW + dt.timedelta(minutes=30)))
    assert "future" in str(err.value)
    # A phone clock a couple of minutes fast is fine.
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(taken_at=NOW + dt.timedelta(minutes=2)))


def test_it_refuses_a_mistyped_year_long_ago_instead_of_failing(patient, clinician):
    ancient = dt.datetime(1, 1, 1, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(ValidationError) as err:
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(taken_at=ancient))
    assert "more than 100 years ago" in str(err.value)
    assert not Injection.objects.exists()


def test_it_warns_about_an_expired_batch(patient, clinician):
    recorded = services.injection_record(
        patient=patient, recorded_by=clinician, now=NOW,
        **injection_values(lot_number="B123", expiry_date=dt.date(2026, 10, 31)),
    )
    assert any("expired" in w for w in recorded.warnings)


def test_self_injection_is_refused_until_assessed_and_trained(patient):
    with pytest.raises(ValidationError) as err:
        services.injection_record(patient=patient, recorded_by=patient.user, now=NOW,
                                  **injection_values(administered_by="self"))
    assert "Alex Jones" in str(err.value)
    readiness = services.self_injection_readiness(patient)
    assert not readiness.ready and len(readiness.reasons) == 2


def test_self_injection_is_allowed_once_ready(ready_for_self):
    recorded = services.injection_record(patient=ready_for_self, recorded_by=ready_for_self.user,
                                         now=NOW, **injection_values(administered_by="self"))
    assert recorded.created


def test_an_incomplete_training_checklist_keeps_self_injection_off(patient, clinician):
    services.assessment_record(patient=patient, by=clinician, assessed_on=dt.date(2026, 11, 1),
                               items={k: True for k in services.SuitabilityAssessment.ITEMS})
    services.training_record(patient=patient, by=clinician, observed_on=dt.date(2026, 11, 1),
                             items={"depth_and_angle": True})
    readiness = services.self_injection_readiness(patient)
    assert not readiness.ready
    assert readiness.reasons == ["Your injection training is not complete yet."]


def test_a_patient_can_change_an_entry_for_24_hours_then_only_the_clinic(patient, clinician):
    with time_machine.travel(NOW, tick=False):
        injection = services.injection_record(patient=patient, recorded_by=patient.user, now=NOW,
                                              **injection_values()).injection
    services.injection_update(injection=injection, by=patient.user,
                              now=NOW + dt.timedelta(hours=23), pain=3)
    with pytest.raises(PermissionDenied):
        services.injection_update(injection=injection, by=patient.user,
                                  now=NOW + dt.timedelta(hours=25), pain=4)
    services.injection_update(injection=injection, by=clinician,
                              now=NOW + dt.timedelta(days=30), pain=4)
    assert [h.pain for h in injection.history.order_by("history_id")] == [None, 3, 4]


def test_deleting_an_entry_keeps_its_history_and_reopens_the_dose(regimen, patient):
    dose = PlannedDose.objects.order_by("due_at").first()
    with time_machine.travel(dose.due_at, tick=False):
        injection = services.injection_record(
            patient=patient, recorded_by=patient.user, now=dose.due_at,
            **injection_values(taken_at=dose.due_at)).injection
        injection_id = injection.pk
        services.injection_delete(injection=injection, by=patient.user, now=dose.due_at)
    dose.refresh_from_db()
    assert dose.status == DoseStatus.OPEN and dose.injection is None
    assert Injection.history.filter(id=injection_id, history_type="-").exists()


def test_rotation_suggests_the_least_recently_used_site_and_never_the_buttock(patient, clinician):
    order = ["left_vastus_lateralis", "right_vastus_lateralis", "left_ventrogluteal",
             "right_ventrogluteal", "left_deltoid"]
    for i, site in enumerate(order):
        services.injection_record(patient=patient, recorded_by=clinician,
                                  now=NOW, **injection_values(
                                      site=site, taken_at=NOW - dt.timedelta(days=60 - i)))
    assert services.suggest_site(patient, now=NOW).site == "right_deltoid"
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(site="right_deltoid",
                                                 taken_at=NOW - dt.timedelta(days=40)))
    assert services.suggest_site(patient, now=NOW).site == "left_vastus_lateralis"


def test_rotation_skips_a_site_flagged_painful_in_the_last_week(patient, clinician):
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(site="left_vastus_lateralis", swelling=True,
                                                 taken_at=NOW - dt.timedelta(days=30)))
    # 30 days ago: no longer flagged, and all others are unused so they come first anyway.
    suggestion = services.suggest_site(patient, now=NOW)
    assert suggestion.site == "right_vastus_lateralis" and not suggestion.avoid
    for site in ("right_vastus_lateralis", "left_ventrogluteal", "right_ventrogluteal",
                 "left_deltoid", "right_deltoid"):
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(site=site,
                                                     taken_at=NOW - dt.timedelta(days=20)))
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(site="left_vastus_lateralis", redness=True,
                                                 taken_at=NOW - dt.timedelta(days=2)))
    suggestion = services.suggest_site(patient, now=NOW)
    assert "left_vastus_lateralis" in suggestion.avoid
    assert suggestion.site != "left_vastus_lateralis"


def test_supply_forecast_counts_ampoules_against_the_schedule(regimen, patient):
    services.supply_set(patient=patient, ampoules=4, by=patient.user, now=NOW)
    summary = selectors.schedule_summary(patient, now=NOW)
    forecast = summary["supply"]
    assert forecast.last_covered.date() == dt.date(2026, 12, 2)  # dose 4
    assert forecast.next_uncovered.date() == dt.date(2026, 12, 4)
    assert forecast.low


def test_logging_a_home_injection_uses_one_ampoule(regimen, ready_for_self):
    services.supply_set(patient=ready_for_self, ampoules=5, by=ready_for_self.user, now=NOW)
    services.injection_record(patient=ready_for_self, recorded_by=ready_for_self.user, now=NOW,
                              **injection_values(administered_by="self"))
    assert Supply.objects.get().ampoules_on_hand == 4


def test_the_summary_shows_progress_and_adherence_per_phase(regimen, patient, clinician):
    doses = list(PlannedDose.objects.order_by("due_at")[:3])
    later = doses[2].due_at + dt.timedelta(days=2)
    services.injection_record(patient=patient, recorded_by=clinician, now=later,
                              **injection_values(taken_at=doses[0].due_at))
    services.injection_record(patient=patient, recorded_by=clinician, now=later,
                              **injection_values(taken_at=doses[1].due_at + dt.timedelta(hours=26)))
    services.planned_doses_regenerate(patient=patient, now=later)
    summary = selectors.schedule_summary(patient, now=later)
    assert summary["next"]["label"] == "induction dose 4 of 6"
    induction = summary["adherence"][0]
    assert (induction.on_time, induction.due) == (1, 3)  # one late, one missed
    assert summary["missed"][0]["dose"] == doses[2]


def test_injection_days_lists_the_local_days_of_logged_injections_in_the_range(patient,
                                                                               clinician):
    for days in (10, 5, 1):
        services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                  **injection_values(taken_at=NOW - dt.timedelta(days=days)))
    today = NOW.astimezone(patient.tz).date()
    days = selectors.injection_days(patient, since=today - dt.timedelta(days=7), until=today)
    assert days == [(NOW - dt.timedelta(days=d)).astimezone(patient.tz).date() for d in (5, 1)]


def test_a_new_regimen_replaces_the_active_one(regimen, patient, clinician):
    template = ProtocolTemplate.objects.get(slug=protocols.PROPHYLAXIS)
    services.regimen_create_from_template(
        patient=patient, template=template, start_date=dt.date(2026, 12, 1),
        time_of_day=dt.time(10), created_by=clinician, now=NOW,
    )
    assert Regimen.objects.filter(patient=patient, status="active").count() == 1
    assert not PlannedDose.objects.filter(regimen=regimen).exists()
    assert PlannedDose.objects.filter(patient=patient).first().phase.dose == Decimal("1")


def test_a_backdated_phase_end_removes_the_untaken_doses_after_it(patient, clinician):
    template = ProtocolTemplate.objects.get(slug=protocols.HYDROXO_NEURO)
    regimen = services.regimen_create_from_template(
        patient=patient, template=template, start_date=dt.date(2026, 9, 1),
        time_of_day=dt.time(9), created_by=clinician, now=NOW,
    )
    induction = regimen.phases.get(order=1)
    taken = PlannedDose.objects.filter(phase=induction).order_by("due_at")[1]
    services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                              **injection_values(taken_at=taken.due_at))
    services.phase_end(phase=induction, end_date=dt.date(2026, 9, 30), by=clinician, now=NOW)
    last_day = max(d.due_at for d in PlannedDose.objects.filter(phase=induction))
    assert last_day.date() == dt.date(2026, 9, 29)  # the last alternate day before the end
    assert PlannedDose.objects.get(pk=taken.pk).status == DoseStatus.TAKEN
    maintenance = PlannedDose.objects.filter(phase__order=2).order_by("due_at")
    assert [d.due_at.date() for d in maintenance[:2]] == [dt.date(2026, 11, 30),
                                                          dt.date(2027, 1, 30)]


def test_a_patient_cannot_change_or_delete_an_entry_their_clinician_recorded(patient, clinician):
    with time_machine.travel(NOW, tick=False):
        injection = services.injection_record(patient=patient, recorded_by=clinician, now=NOW,
                                              **injection_values()).injection
    soon = NOW + dt.timedelta(minutes=5)
    assert not services.can_change(injection, patient.user, now=soon)
    assert "Your clinic recorded this entry" in services.change_refusal(injection, patient.user,
                                                                        now=soon)
    with pytest.raises(PermissionDenied):
        services.injection_update(injection=injection, by=patient.user, now=soon, pain=9)
    with pytest.raises(PermissionDenied):
        services.injection_delete(injection=injection, by=patient.user, now=soon)
    assert services.can_change(injection, clinician, now=soon)
    injection.refresh_from_db()
    assert injection.pain is None


def test_the_24_hour_window_ends_exactly_at_24_hours(patient):
    with time_machine.travel(NOW, tick=False):
        injection = services.injection_record(patient=patient, recorded_by=patient.user, now=NOW,
                                              **injection_values()).injection
    day = dt.timedelta(hours=24)
    step = dt.timedelta(seconds=1)
    assert services.can_change(injection, patient.user, now=NOW + day - step)
    assert services.can_change(injection, patient.user, now=NOW + day)
    assert not services.can_change(injection, patient.user, now=NOW + day + step)
