"""The readiness forms hand the services their checklist, without HTTP."""

import datetime as dt

import pytest

from injections.forms import AssessmentForm, TrainingForm
from injections.models import SuitabilityAssessment, TrainingRecord

pytestmark = pytest.mark.django_db


def test_the_assessment_form_gives_its_suitability_items_apart_from_the_day_and_notes():
    ticked = SuitabilityAssessment.ITEMS[:2]
    form = AssessmentForm({"assessed_on": "2026-11-20", "notes": "Steady hands.",
                           **{name: "on" for name in ticked}})
    assert form.is_valid(), form.errors
    values = form.service_values()
    assert values == {
        "assessed_on": dt.date(2026, 11, 20), "notes": "Steady hands.",
        "items": {name: name in ticked for name in SuitabilityAssessment.ITEMS},
    }


def test_the_training_form_gives_its_checklist_items_apart_from_the_day_and_notes():
    form = TrainingForm({"observed_on": "2026-11-21",
                         **{name: "on" for name in TrainingRecord.ITEMS}})
    assert form.is_valid(), form.errors
    values = form.service_values()
    assert values["observed_on"] == dt.date(2026, 11, 21) and values["notes"] == ""
    assert values["items"] == dict.fromkeys(TrainingRecord.ITEMS, True)
    assert form.item_names == TrainingRecord.ITEMS
