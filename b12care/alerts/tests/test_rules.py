"""Red-flag rules as plain functions on a fixed clock (CLINICAL.md's table, one rule a row)."""

import datetime as dt
from decimal import Decimal

import pytest

from b12care.alerts import rules
from b12care.alerts.rules import (
    DoseFact,
    InjectionFact,
    LabFact,
    PatientData,
    SymptomFact,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
START = NOW - dt.timedelta(days=3)


def defaults(code, **overrides):
    return {**rules.REGISTRY[code].defaults, **overrides}


def run(code, data, now=NOW, **overrides):
    return rules.REGISTRY[code].func(data, now=now, thresholds=defaults(code, **overrides))


def days(n):
    return dt.timedelta(days=n)


def hours(n):
    return dt.timedelta(hours=n)


def inj(id=1, taken_at=None, reactions=(), reported_at=None):
    taken_at = taken_at or NOW - hours(1)
    return InjectionFact(id=id, taken_at=taken_at, reactions=frozenset(reactions),
                         reported_at=reported_at or taken_at, site="left_deltoid")


def sym(code, severity, at):
    return SymptomFact(code=code, severity=severity, recorded_at=at)


def lab(loinc, value, at, id=1):
    return LabFact(id=id, loinc=loinc, value=Decimal(value), taken_at=at)


# --- systemic reaction ---
def test_breathing_difficulty_after_an_injection_is_an_emergency_keyed_to_that_injection():
    data = PatientData(1, injections=(inj(id=7, reactions={"breathing_difficulty"}),))
    [finding] = run("systemic_reaction", data)
    assert finding.severity == "emergency"
    assert finding.dedup_key == "systemic_reaction:injection:7"
    assert "emergency" in finding.patient_message.lower()


def test_a_rash_alone_is_not_treated_as_anaphylaxis():
    data = PatientData(1, injections=(inj(reactions={"rash", "itching"}),))
    assert run("systemic_reaction", data) == []


def test_a_reaction_older_than_the_lookback_does_not_alert_again():
    data = PatientData(1, injections=(inj(taken_at=NOW - hours(49), reactions={"hives"}),))
    assert run("systemic_reaction", data) == []
    assert run("systemic_reaction", data, lookback_hours=72) != []


# --- neurological worsening ---
def test_numbness_rising_three_points_within_fourteen_days_is_urgent():
    data = PatientData(1, symptoms=(sym("numbness_hands", 3, NOW - days(10)),
                                    sym("numbness_hands", 6, NOW - hours(1))))
    [finding] = run("neuro_worsening", data)
    assert finding.severity == "urgent"
    assert finding.dedup_key == "neuro_worsening"
    assert finding.evidence == ("numbness_hands",)
    assert "numbness hands rose from 3 to 6" in finding.clinician_message


def test_several_worsening_nerve_symptoms_make_one_finding_that_lists_each():
    data = PatientData(1, symptoms=(sym("numbness_feet", 3, NOW - days(10)),
                                    sym("numbness_feet", 7, NOW - hours(1)),
                                    sym("balance", 2, NOW - days(10)),
                                    sym("balance", 5, NOW - hours(1))))
    [finding] = run("neuro_worsening", data)
    assert finding.evidence == ("balance", "numbness_feet")
    assert "numbness feet rose from 3 to 7" in finding.clinician_message
    assert "balance rose from 2 to 5" in finding.clinician_message


def test_a_two_point_rise_is_below_the_default_delta_but_an_admin_can_lower_it():
    data = PatientData(1, symptoms=(sym("balance", 3, NOW - days(5)),
                                    sym("balance", 5, NOW - hours(1))))
    assert run("neuro_worsening", data) == []
    assert len(run("neuro_worsening", data, delta=2)) == 1


def test_a_rise_spread_over_more_than_the_window_does_not_count():
    data = PatientData(1, symptoms=(sym("numbness_feet", 2, NOW - days(20)),
                                    sym("numbness_feet", 5, NOW - hours(1))))
    assert run("neuro_worsening", data) == []


def test_a_score_of_eight_is_urgent_even_without_history():
    data = PatientData(1, symptoms=(sym("weakness", 8, NOW - hours(1)),))
    [finding] = run("neuro_worsening", data)
    assert "8/10" in finding.clinician_message


def test_old_high_scores_do_not_alert_when_nothing_new_was_recorded():
    data = PatientData(1, symptoms=(sym("weakness", 9, NOW - days(30)),))
    assert run("neuro_worsening", data) == []


def test_improving_symptoms_raise_nothing():
    data = PatientData(1, symptoms=(sym("numbness_feet", 7, NOW - days(7)),
                                    sym("numbness_feet", 4, NOW - hours(1))))
    assert run("neuro_worsening", data) == []


# --- vision ---
def test_new_blurred_vision_is_urgent():
    data = PatientData(1, symptoms=(sym("vision", 3, NOW - hours(2)),))
    [finding] = run("new_visual_symptoms", data)
    assert finding.severity == "urgent"


def test_unchanged_longstanding_vision_symptoms_are_not_new():
    data = PatientData(1, symptoms=(sym("vision", 3, NOW - days(20)),
                                    sym("vision", 3, NOW - hours(2))))
    assert run("new_visual_symptoms", data) == []


# --- early palpitations / weakness ---
def test_palpitations_in_the_first_week_of_treatment_for_severe_anaemia_are_urgent():
    data = PatientData(1, treatment_start=START, severe_anaemia=True,
                       symptoms=(sym("palpitations", 4, NOW - hours(3)),))
    [finding] = run("early_palpitations_weakness", data)
    assert "potassium" in finding.clinician_message


def test_palpitations_without_severe_anaemia_or_after_the_first_days_are_not_this_rule():
    symptom = (sym("palpitations", 4, NOW - hours(3)),)
    assert run("early_palpitations_weakness",
               PatientData(1, treatment_start=START, symptoms=symptom)) == []
    late = PatientData(1, treatment_start=NOW - days(20), severe_anaemia=True, symptoms=symptom)
    assert run("early_palpitations_weakness", late) == []


# --- potassium ---
def test_potassium_below_3_5_in_the_first_two_weeks_is_urgent():
    data = PatientData(1, treatment_start=START,
                       labs=(lab(rules.LOINC_POTASSIUM, "3.2", START + days(1)),))
    [finding] = run("potassium_low", data)
    assert finding.severity == "urgent" and "3.2 mmol/L" in finding.clinician_message


def test_potassium_of_exactly_3_5_or_after_two_weeks_is_not_flagged():
    ok = PatientData(1, treatment_start=START,
                     labs=(lab(rules.LOINC_POTASSIUM, "3.5", START + days(1)),))
    assert run("potassium_low", ok) == []
    late = PatientData(1, treatment_start=NOW - days(30),
                       labs=(lab(rules.LOINC_POTASSIUM, "3.1", NOW - days(2)),))
    assert run("potassium_low", late) == []


# --- Hb critical ---
def test_a_latest_haemoglobin_below_8_needs_review():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7.4", NOW - days(1)),))
    [finding] = run("hb_critical", data)
    assert finding.severity == "review"


def test_a_later_normal_haemoglobin_clears_the_finding():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7.4", NOW - days(5), id=1),
                                lab(rules.LOINC_HB, "9.9", NOW - days(1), id=2)))
    assert run("hb_critical", data) == []


# --- reticulocytes ---
def test_no_reticulocyte_rise_by_day_ten_needs_review():
    start = NOW - days(11)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_ABSOLUTE, "30", start - days(2), id=1),
        lab(rules.LOINC_RETIC_ABSOLUTE, "28", start + days(6), id=2)))
    [finding] = run("no_retic_rise", data)
    assert finding.dedup_key == "no_retic_rise"


def test_a_reticulocyte_rise_or_an_early_check_raises_nothing():
    start = NOW - days(11)
    rose = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_ABSOLUTE, "30", start - days(2), id=1),
        lab(rules.LOINC_RETIC_ABSOLUTE, "120", start + days(6), id=2)))
    assert run("no_retic_rise", rose) == []
    too_early = PatientData(1, treatment_start=NOW - days(6), labs=rose.labs)
    assert run("no_retic_rise", too_early) == []


# --- Hb / MCV by week 8 ---
def test_hb_and_mcv_unchanged_at_week_eight_need_review():
    start = NOW - days(60)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_HB, "9.0", start - days(1), id=1),
        lab(rules.LOINC_MCV, "112", start - days(1), id=2),
        lab(rules.LOINC_HB, "9.2", NOW - days(2), id=3),
        lab(rules.LOINC_MCV, "111", NOW - days(2), id=4)))
    [finding] = run("no_hb_mcv_improvement", data)
    assert "Hb 9 → 9.2" in finding.clinician_message and "MCV" in finding.clinician_message


def test_a_recovering_blood_count_at_week_eight_raises_nothing():
    start = NOW - days(60)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_HB, "9.0", start - days(1), id=1),
        lab(rules.LOINC_HB, "12.8", NOW - days(2), id=3)))
    assert run("no_hb_mcv_improvement", data) == []


# --- injection site ---
def test_a_red_swollen_site_still_reported_after_48_hours_needs_review():
    taken = NOW - days(3)
    data = PatientData(1, injections=(inj(id=4, taken_at=taken, reactions={"redness", "swelling"},
                                          reported_at=taken + hours(50)),))
    [finding] = run("injection_site_infection", data)
    assert finding.severity == "review"
    assert "do not inject" in finding.patient_message.lower()


def test_a_site_reaction_reported_only_on_the_day_is_not_yet_a_red_flag():
    taken = NOW - days(3)
    data = PatientData(1, injections=(inj(taken_at=taken, reactions={"redness", "swelling"},
                                          reported_at=taken + hours(2)),))
    assert run("injection_site_infection", data) == []


# --- missed doses ---
def dose(id, due, kind="induction", status="open"):
    return DoseFact(id=id, due_at=due, phase_kind=kind, status=status)


def test_an_induction_dose_more_than_24_hours_late_needs_review():
    data = PatientData(1, doses=(dose(1, NOW - hours(25)),))
    [finding] = run("missed_doses", data)
    assert finding.dedup_key == "missed_doses"
    assert "ask your clinic" in finding.patient_message.lower()


def test_an_induction_dose_23_hours_late_or_taken_is_not_missed():
    assert run("missed_doses", PatientData(1, doses=(dose(1, NOW - hours(23)),))) == []
    taken = PatientData(1, doses=(dose(1, NOW - hours(30), status="taken"),))
    assert run("missed_doses", taken) == []


def test_two_missed_maintenance_doses_or_one_fifteen_days_late_need_review():
    two = PatientData(1, doses=(dose(1, NOW - days(70), "maintenance", "missed"),
                                dose(2, NOW - days(10), "maintenance")))
    assert len(run("missed_doses", two)) == 1
    one_late = PatientData(1, doses=(dose(1, NOW - days(15), "maintenance", "missed"),))
    assert len(run("missed_doses", one_late)) == 1
    one_recent = PatientData(1, doses=(dose(1, NOW - days(10), "maintenance"),))
    assert run("missed_doses", one_recent) == []


# --- registry ---
def test_every_rule_of_the_clinical_table_is_registered_with_its_severity():
    severities = {code: spec.severity for code, spec in rules.REGISTRY.items()}
    assert severities == {
        "systemic_reaction": "emergency", "neuro_worsening": "urgent",
        "new_visual_symptoms": "urgent", "early_palpitations_weakness": "urgent",
        "potassium_low": "urgent", "hb_critical": "review", "no_retic_rise": "review",
        "no_hb_mcv_improvement": "review", "injection_site_infection": "review",
        "missed_doses": "review",
    }


def test_a_disabled_rule_does_not_run():
    data = PatientData(1, injections=(inj(reactions={"hives"}),))
    assert rules.run_rules(data, now=NOW, config={})
    assert rules.run_rules(data, now=NOW, config={"systemic_reaction": None}) == []


@pytest.mark.parametrize("code", sorted(rules.REGISTRY))
def test_every_rule_finds_nothing_for_a_patient_without_data(code):
    assert run(code, PatientData(1)) == []
