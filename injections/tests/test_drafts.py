"""Drafts of a phase change (injections/drafts.py): merged, previewed and saved, without HTTP."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from injections import drafts
from injections.models import Phase, PlannedDose

from .conftest import NOW


def maintenance_values(**overrides):
    values = {"kind": "maintenance", "product": "hydroxocobalamin", "dose": Decimal("1"),
              "unit": "mg", "repeat": "months", "interval": 2, "weekdays": "",
              "time_of_day": dt.time(10, 0), "start_date": None, "end_kind": "open",
              "count": None, "until": None, "note": ""}
    values.update(overrides)
    return values


# --- Pure merging -----------------------------------------------------------------------------

def test_a_draft_takes_the_place_of_the_phase_it_changes():
    first, second, third = Phase(pk=1, order=1), Phase(pk=2, order=2), Phase(pk=3, order=3)
    draft = Phase(pk=2, order=2)
    assert drafts.with_draft([first, second, third], draft, replaces=second) == [
        first, draft, third]
    assert drafts.with_draft([first, second, third], draft, replaces=second)[1] is draft


def test_a_draft_of_a_new_phase_comes_after_the_others():
    first, second = Phase(pk=1, order=1), Phase(pk=2, order=2)
    draft = Phase(order=3)
    merged = drafts.with_draft([first, second], draft, replaces=Phase(order=3))
    assert merged[:2] == [first, second] and merged[2] is draft


def test_writing_into_a_draft_leaves_the_stored_phase_as_it_was():
    stored = Phase(pk=7, regimen_id=3, order=2, kind="maintenance", repeat="months", interval=3,
                   dose=Decimal("1"))
    draft = drafts.draft_of(stored)
    draft.interval = 2
    assert stored.interval == 3
    assert (draft.pk, draft.regimen_id, draft.order, draft.kind) == (7, 3, 2, "maintenance")


# --- With the database ------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_new_phase_is_an_unsaved_maintenance_phase_after_the_last(regimen):
    phase = drafts.new_phase(regimen)
    assert phase.pk is None and phase.regimen == regimen
    assert (phase.order, phase.kind, phase.dose) == (3, "maintenance", 1)


@pytest.mark.django_db
def test_previewing_a_change_shows_only_that_phase_at_its_new_rhythm_and_saves_nothing(
    regimen, patient
):
    maintenance = regimen.phases.get(order=2)
    draft = drafts.draft_of(maintenance)
    doses_before = list(PlannedDose.objects.values_list("pk", "due_at"))
    rows = drafts.draft_preview(phase=maintenance, draft=draft, values=maintenance_values(),
                                patient=patient, now=NOW)
    assert {row["phase"] for row in rows} == {draft}
    assert [row["local"].date() for row in rows[:3]] == [
        dt.date(2027, 2, 7), dt.date(2027, 4, 7), dt.date(2027, 6, 7)]
    assert rows[0]["local"].time() == dt.time(10, 0)
    maintenance.refresh_from_db()
    assert maintenance.interval == 3
    assert list(PlannedDose.objects.values_list("pk", "due_at")) == doses_before


@pytest.mark.django_db
def test_previewing_a_new_phase_places_it_after_the_existing_ones(regimen, patient, clinician):
    maintenance = regimen.phases.get(order=2)
    drafts.phase_save(phase=maintenance, by=clinician, now=NOW,
                      values=maintenance_values(interval=3, end_kind="count", count=2))
    new = drafts.new_phase(regimen)
    rows = drafts.draft_preview(phase=new, draft=new, patient=patient, now=NOW,
                                values=maintenance_values(kind="other", interval=1))
    assert rows and all(row["phase"] is new for row in rows)
    # maintenance now ends with its second dose, on 7 Jun 2027; the new phase follows monthly
    assert [row["local"].date() for row in rows[:2]] == [dt.date(2027, 7, 7),
                                                          dt.date(2027, 8, 7)]


@pytest.mark.django_db
def test_a_schedule_that_cannot_run_is_refused_with_a_readable_message(regimen, patient):
    maintenance = regimen.phases.get(order=2)
    with pytest.raises(ValidationError):
        drafts.draft_preview(phase=maintenance, draft=drafts.draft_of(maintenance),
                             values=maintenance_values(repeat="weekdays", weekdays=""),
                             patient=patient, now=NOW)


@pytest.mark.django_db
def test_saving_changes_a_stored_phase_or_adds_a_new_one(regimen, clinician):
    maintenance = regimen.phases.get(order=2)
    drafts.phase_save(phase=maintenance, values=maintenance_values(), by=clinician, now=NOW)
    maintenance.refresh_from_db()
    assert maintenance.rrule == "FREQ=MONTHLY;INTERVAL=2"
    added = drafts.phase_save(phase=drafts.new_phase(regimen), by=clinician, now=NOW,
                              values=maintenance_values(kind="other"))
    assert added.pk and added.order == 3
    assert regimen.phases.count() == 3
