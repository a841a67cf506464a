"""The diary check-in: one per local day, updated in place, validated."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from b12care.core import events
from symptoms import selectors, services
from symptoms.models import CheckIn, Symptom, SymptomScore

from .conftest import NOW

pytestmark = pytest.mark.django_db


def save(patient, scores, now=NOW, notes=""):
    return services.checkin_save(patient=patient, scores=scores, notes=notes, by=patient.user,
                                 now=now)


def test_the_catalogue_has_the_codes_the_red_flag_rules_use():
    codes = set(Symptom.objects.values_list("code", flat=True))
    assert {"fatigue", "numbness_hands", "numbness_feet", "burning", "balance", "falls",
            "weakness", "memory", "mood", "sore_tongue", "breathlessness", "palpitations",
            "vision"} <= codes
    neuro = set(Symptom.objects.filter(neurological=True).values_list("code", flat=True))
    assert {"numbness_hands", "numbness_feet", "balance", "falls", "weakness", "vision"} <= neuro


def test_a_second_save_the_same_day_updates_the_check_in(patient):
    first = save(patient, {"fatigue": (7, ""), "numbness_feet": (5, "Both sides")})
    second = save(patient, {"fatigue": (6, "")}, now=NOW + dt.timedelta(hours=8), notes="Better")
    assert first.created and not second.created
    assert CheckIn.objects.count() == 1
    checkin = CheckIn.objects.get()
    assert checkin.notes == "Better"
    assert list(checkin.scores.values_list("symptom__code", "severity")) == [("fatigue", 6)]


def test_the_day_is_the_patients_own_day_not_the_servers(patient):
    patient.timezone = "America/New_York"
    patient.save()
    # 02:00 UTC on 25 Nov is still 24 Nov in New York.
    saved = save(patient, {"fatigue": (4, "")}, now=dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))
    assert saved.checkin.local_date == dt.date(2026, 11, 24)
    later = save(patient, {"fatigue": (3, "")}, now=dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC))
    assert later.created and later.checkin.local_date == dt.date(2026, 11, 25)


@pytest.mark.parametrize("scores", [{"fatigue": (11, "")}, {"fatigue": (-1, "")},
                                    {"not_a_symptom": (3, "")},
                                    {"numbness_feet": (3, "On the moon")}])
def test_it_refuses_out_of_range_scores_unknown_symptoms_and_places(patient, scores):
    with pytest.raises(ValidationError):
        save(patient, scores)
    assert not CheckIn.objects.exists()


def test_an_empty_check_in_is_refused(patient):
    with pytest.raises(ValidationError, match="at least one"):
        save(patient, {})


def test_a_failed_update_keeps_what_was_saved_earlier_that_day(patient):
    save(patient, {"fatigue": (7, "")})
    with pytest.raises(ValidationError):
        save(patient, {"fatigue": (12, "")})
    assert SymptomScore.objects.get().severity == 7


def test_recent_scores_give_the_rules_code_severity_and_time(patient):
    save(patient, {"numbness_feet": (2, "")}, now=NOW - dt.timedelta(days=5))
    save(patient, {"numbness_feet": (6, "")})
    rows = selectors.recent_scores(patient, since=NOW - dt.timedelta(days=14), until=NOW)
    assert rows == [("numbness_feet", 2, NOW - dt.timedelta(days=5)), ("numbness_feet", 6, NOW)]


def test_saving_a_check_in_runs_the_red_flag_rules_in_the_transaction(patient, monkeypatch):
    seen = []

    def fake(patient_ids, kinds, *, now, by=None):
        seen.append((set(kinds), CheckIn.objects.filter(patient_id__in=patient_ids).count()))
        return []

    monkeypatch.setattr("b12care.core.events.patient_data_changed", fake)
    save(patient, {"fatigue": (3, "")})
    assert seen == [({"symptoms"}, 1)]


def test_numbness_rising_by_three_points_within_two_weeks_raises_an_urgent_finding(patient):
    save(patient, {"numbness_feet": (2, "")}, now=NOW - dt.timedelta(days=8))
    saved = save(patient, {"numbness_feet": (6, "")})
    assert events.needs_guidance(saved.findings)
