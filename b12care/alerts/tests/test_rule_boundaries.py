"""Every rule threshold at its boundary value and one step either side, with the operator
CLINICAL.md writes (``<``, ``>``, ``≥``), and the page badges agreeing with the rules."""

import datetime as dt
from decimal import Decimal

import pytest

from b12care.alerts import rules
from b12care.alerts.rules import DoseFact, InjectionFact, LabFact, PatientData, SymptomFact
from labs import units
from labs.catalogue import ANALYTES
from symptoms.catalogue import SYMPTOMS

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
START = NOW - dt.timedelta(days=3)
SECOND = dt.timedelta(seconds=1)
SPEC = {a["key"]: a for a in ANALYTES}


def run(code, data, now=NOW):
    spec = rules.REGISTRY[code]
    return spec.func(data, now=now, thresholds=dict(spec.defaults))


def lab(loinc, value, at, id=1):
    return LabFact(id=id, loinc=loinc, value=Decimal(value), taken_at=at)


@pytest.mark.parametrize("value, fires", [("3.4999", True), ("3.45", True), ("3.5", False),
                                          ("3.5001", False)])
def test_potassium_alerts_below_3_5_only(value, fires):
    data = PatientData(1, treatment_start=START,
                       labs=(lab(rules.LOINC_POTASSIUM, value, START + dt.timedelta(days=1)),))
    assert bool(run("potassium_low", data)) is fires


@pytest.mark.parametrize("day, fires", [(13, True), (14, True), (15, False)])
def test_potassium_counts_in_the_first_14_days(day, fires):
    start = NOW - dt.timedelta(days=20)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_POTASSIUM, "3.1", start + dt.timedelta(days=day)),))
    assert bool(run("potassium_low", data)) is fires


@pytest.mark.parametrize("value, fires", [("7.9999", True), ("8", False), ("8.0001", False)])
def test_hb_critical_fires_below_8_and_the_badge_agrees(value, fires):
    data = PatientData(1, labs=(lab(rules.LOINC_HB, value, NOW - dt.timedelta(days=1)),))
    assert bool(run("hb_critical", data)) is fires
    badge = units.flag(Decimal(value), critical_low=Decimal(SPEC["hb"]["critical_low"]))
    assert (badge == units.CRITICAL_LOW) is fires


def test_the_catalogue_critical_hb_is_the_rule_threshold():
    assert (Decimal(SPEC["hb"]["critical_low"])
            == Decimal(rules.REGISTRY["hb_critical"].defaults["below_g_dl"]))


@pytest.mark.parametrize("days, fires", [(29, True), (30, True), (31, False)])
def test_hb_critical_looks_back_30_days(days, fires):
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7", NOW - dt.timedelta(days=days)),))
    assert bool(run("hb_critical", data)) is fires


def site(hours_later, signs=("redness", "swelling"), taken_days_ago=3):
    taken = NOW - dt.timedelta(days=taken_days_ago)
    return PatientData(1, injections=(InjectionFact(
        id=1, taken_at=taken, reactions=frozenset(signs), site="left_deltoid",
        reported_at=taken + hours_later),))


@pytest.mark.parametrize("later, fires", [
    (dt.timedelta(hours=48) - SECOND, False), (dt.timedelta(hours=48), False),
    (dt.timedelta(hours=48) + SECOND, True),
])
def test_an_injection_site_alerts_when_still_reported_more_than_48_h_later(later, fires):
    assert bool(run("injection_site_infection", site(later))) is fires


def test_an_injection_site_needs_two_signs_within_14_days():
    later = dt.timedelta(hours=50)
    assert run("injection_site_infection", site(later, signs=("redness",))) == []
    assert run("injection_site_infection", site(later, taken_days_ago=14)) != []
    assert run("injection_site_infection", site(later, taken_days_ago=15)) == []


def dose(late, kind="induction", status="open", id=1):
    return DoseFact(id=id, due_at=NOW - late, phase_kind=kind, status=status)


@pytest.mark.parametrize("late, fires", [
    (dt.timedelta(hours=24) - SECOND, False), (dt.timedelta(hours=24), False),
    (dt.timedelta(hours=24) + SECOND, True),
])
def test_an_induction_dose_is_missed_when_more_than_24_h_late(late, fires):
    assert bool(run("missed_doses", PatientData(1, doses=(dose(late),)))) is fires


@pytest.mark.parametrize("late, fires", [
    (dt.timedelta(days=14) - SECOND, False), (dt.timedelta(days=14), False),
    (dt.timedelta(days=14) + SECOND, True),
])
def test_a_maintenance_dose_is_missed_when_more_than_14_days_late(late, fires):
    data = PatientData(1, doses=(dose(late, "maintenance"),))
    assert bool(run("missed_doses", data)) is fires


@pytest.mark.parametrize("count, fires", [(1, False), (2, True)])
def test_two_recent_maintenance_doses_missed_alert(count, fires):
    doses = tuple(dose(dt.timedelta(days=i + 1), "maintenance", "missed", id=i)
                  for i in range(count))
    assert bool(run("missed_doses", PatientData(1, doses=doses))) is fires


@pytest.mark.parametrize("after_deadline, fires", [
    (-SECOND, False), (dt.timedelta(0), False), (SECOND, True),
])
def test_a_maintenance_dose_still_inside_its_grace_period_is_not_counted_missed(
    after_deadline, fires
):
    """One maintenance dose missed 10 days ago and today's dose, due an hour ago: today's is
    not missed until its deadline has passed, so "two maintenance doses missed" waits."""
    missed = dose(dt.timedelta(days=10), "maintenance", "missed", id=1)
    today = DoseFact(id=2, due_at=NOW - dt.timedelta(hours=1), phase_kind="maintenance",
                     status="open", grace_end=NOW - after_deadline)
    assert bool(run("missed_doses", PatientData(1, doses=(missed, today)))) is fires


@pytest.mark.parametrize("days, fires", [(119, True), (120, True), (121, False)])
def test_missed_doses_look_back_120_days(days, fires):
    data = PatientData(1, doses=(dose(dt.timedelta(days=days), "maintenance"),))
    assert bool(run("missed_doses", data)) is fires


def scores(*points):
    return tuple(SymptomFact(code="numbness_feet", severity=s, recorded_at=NOW - ago)
                 for s, ago in points)


@pytest.mark.parametrize("rise, fires", [(2, False), (3, True), (4, True)])
def test_a_nerve_symptom_rising_by_3_or_more_points_is_urgent(rise, fires):
    data = PatientData(1, symptoms=scores((1, dt.timedelta(days=5)),
                                          (1 + rise, dt.timedelta(hours=1))))
    assert bool(run("neuro_worsening", data)) is fires


@pytest.mark.parametrize("score, fires", [(7, False), (8, True), (9, True)])
def test_a_nerve_symptom_reaching_8_is_urgent(score, fires):
    data = PatientData(1, symptoms=scores((score, dt.timedelta(hours=1))))
    assert bool(run("neuro_worsening", data)) is fires


@pytest.mark.parametrize("earlier, fires", [
    (dt.timedelta(days=14) - SECOND, True), (dt.timedelta(days=14), True),
    (dt.timedelta(days=14) + SECOND, False),
])
def test_a_rise_counts_within_14_days(earlier, fires):
    data = PatientData(1, symptoms=scores((2, earlier), (5, dt.timedelta(0))))
    assert bool(run("neuro_worsening", data)) is fires


@pytest.mark.parametrize("ago, fires", [
    (dt.timedelta(days=14), True), (dt.timedelta(days=14) + SECOND, False),
])
def test_only_a_nerve_entry_within_the_window_raises_it(ago, fires):
    assert bool(run("neuro_worsening", PatientData(1, symptoms=scores((9, ago))))) is fires


def vision(*points):
    return tuple(SymptomFact(code="vision", severity=s, recorded_at=NOW - ago)
                 for s, ago in points)


@pytest.mark.parametrize("score, fires", [(0, False), (1, True)])
def test_any_new_vision_score_of_1_or_more_is_urgent(score, fires):
    data = PatientData(1, symptoms=vision((score, dt.timedelta(hours=1))))
    assert bool(run("new_visual_symptoms", data)) is fires


@pytest.mark.parametrize("before, fires", [(2, True), (3, False), (4, False)])
def test_a_vision_score_must_be_worse_than_the_60_days_before(before, fires):
    data = PatientData(1, symptoms=vision((before, dt.timedelta(days=10)),
                                          (3, dt.timedelta(hours=1))))
    assert bool(run("new_visual_symptoms", data)) is fires


@pytest.mark.parametrize("ago, fires", [
    (dt.timedelta(days=2), True), (dt.timedelta(days=2) + SECOND, False),
])
def test_a_vision_entry_counts_for_two_days(ago, fires):
    assert bool(run("new_visual_symptoms", PatientData(1, symptoms=vision((2, ago))))) is fires


@pytest.mark.parametrize("day, score, fires", [
    (7, 1, True), (8, 1, False), (3, 0, False), (0, 1, True),
])
def test_palpitations_count_from_1_in_the_first_7_days_of_severe_anaemia(day, score, fires):
    start = NOW - dt.timedelta(days=day)
    data = PatientData(1, treatment_start=start, severe_anaemia=True, symptoms=(
        SymptomFact(code="palpitations", severity=score, recorded_at=NOW),))
    assert bool(run("early_palpitations_weakness", data)) is fires


def retic(after, day_taken=6, since_start=11):
    start = NOW - dt.timedelta(days=since_start)
    return PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_ABSOLUTE, "30", start - dt.timedelta(days=1), id=1),
        lab(rules.LOINC_RETIC_ABSOLUTE, after, start + dt.timedelta(days=day_taken), id=2)))


@pytest.mark.parametrize("after, fires", [("29.9999", True), ("30", False), ("30.0001", False)])
def test_a_reticulocyte_result_at_or_above_baseline_is_a_rise(after, fires):
    assert bool(run("no_retic_rise", retic(after))) is fires


@pytest.mark.parametrize("since_start, fires", [(9, False), (10, True), (28, True), (29, False)])
def test_reticulocytes_are_judged_from_day_10_until_day_28(since_start, fires):
    assert bool(run("no_retic_rise", retic("20", since_start=since_start))) is fires


def test_a_reticulocyte_result_after_day_10_does_not_count_as_the_rise():
    assert run("no_retic_rise", retic("90", day_taken=11, since_start=12)) != []


def blood_count(hb_base=None, hb_now=None, mcv_base=None, mcv_now=None, since_start=60):
    start = NOW - dt.timedelta(days=since_start)
    labs = []
    for i, (loinc, value, at) in enumerate([
        (rules.LOINC_HB, hb_base, start - dt.timedelta(days=1)),
        (rules.LOINC_HB, hb_now, NOW - dt.timedelta(days=1)),
        (rules.LOINC_MCV, mcv_base, start - dt.timedelta(days=1)),
        (rules.LOINC_MCV, mcv_now, NOW - dt.timedelta(days=1)),
    ]):
        if value is not None:
            labs.append(lab(loinc, value, at, id=i))
    return PatientData(1, treatment_start=start, labs=tuple(labs))


@pytest.mark.parametrize("base, fires", [("11.9999", True), ("12", False), ("12.0001", False)])
def test_hb_not_improving_applies_to_a_baseline_below_12(base, fires):
    data = blood_count(hb_base=base, hb_now=base)
    assert bool(run("no_hb_mcv_improvement", data)) is fires


@pytest.mark.parametrize("now_hb, fires", [("9.4999", True), ("9.5", False), ("9.5001", False)])
def test_hb_rising_by_0_5_or_more_is_improving(now_hb, fires):
    assert bool(run("no_hb_mcv_improvement", blood_count(hb_base="9", hb_now=now_hb))) is fires


@pytest.mark.parametrize("base, fires", [("97.9999", False), ("98", False), ("98.0001", True)])
def test_mcv_not_improving_applies_to_a_baseline_above_98(base, fires):
    data = blood_count(mcv_base=base, mcv_now=base)
    assert bool(run("no_hb_mcv_improvement", data)) is fires


@pytest.mark.parametrize("now_mcv, fires", [("108.0001", True), ("108", False),
                                            ("107.9999", False)])
def test_mcv_falling_by_2_or_more_is_improving(now_mcv, fires):
    data = blood_count(mcv_base="110", mcv_now=now_mcv)
    assert bool(run("no_hb_mcv_improvement", data)) is fires


@pytest.mark.parametrize("since_start, fires", [(55, False), (56, True), (120, True),
                                                (121, False)])
def test_the_blood_count_is_judged_from_week_8_until_day_120(since_start, fires):
    data = blood_count(hb_base="9", hb_now="9", since_start=since_start)
    assert bool(run("no_hb_mcv_improvement", data)) is fires


def reaction(ago, signs=("hives",)):
    return PatientData(1, injections=(InjectionFact(
        id=1, taken_at=NOW - ago, reactions=frozenset(signs), reported_at=NOW - ago,
        site="right_thigh"),))


@pytest.mark.parametrize("ago, fires", [
    (dt.timedelta(hours=48), True), (dt.timedelta(hours=48) + SECOND, False),
])
def test_a_systemic_reaction_counts_within_48_hours(ago, fires):
    assert bool(run("systemic_reaction", reaction(ago))) is fires



def test_the_rules_read_the_loinc_codes_the_lab_catalogue_stores():
    # A typo here would silently switch a rule off: the labs would never match.
    assert SPEC["potassium"]["loinc"] == rules.LOINC_POTASSIUM
    assert SPEC["hb"]["loinc"] == rules.LOINC_HB
    assert SPEC["mcv"]["loinc"] == rules.LOINC_MCV
    assert SPEC["retic"]["loinc"] == rules.LOINC_RETIC_ABSOLUTE
    assert SPEC["retic_pct"]["loinc"] == rules.LOINC_RETIC_PERCENT


def test_tiers_and_audiences_are_the_names_alerts_store():
    assert (rules.EMERGENCY, rules.URGENT, rules.REVIEW, rules.INFO) == (
        "emergency", "urgent", "review", "info")
    assert (rules.PATIENT, rules.CARE_TEAM) == ("patient", "care_team")
    spec = rules.RuleSpec("x", "X", rules.REVIEW, rules.hb_critical)
    assert (spec.defaults, spec.audience, spec.guidance) == ({}, ("care_team",), "")
    data = PatientData(1)
    assert (data.treatment_start, data.severe_anaemia, data.labs) == (None, False, ())
    with pytest.raises(AttributeError):
        data.patient_id = 2


def test_each_rule_starts_with_clinical_md_defaults_its_name_audience_and_guidance():
    expected = {
        "systemic_reaction": (
            "Systemic reaction after an injection", ("care_team",), "emergency",
            {"lookback_hours": 48, "signs": ["breathing_difficulty", "face_throat_swelling",
                                             "hives", "dizziness"]}),
        "neuro_worsening": (
            "New or rapidly worsening neurological symptoms", ("care_team",), "clinician_today",
            {"delta": 3, "absolute": 8, "window_days": 14,
             "codes": ["numbness_hands", "numbness_feet", "balance", "falls", "weakness"]}),
        "new_visual_symptoms": (
            "New visual loss or blurred vision", ("care_team",), "same_day",
            {"min_severity": 1, "lookback_days": 2, "baseline_days": 60, "codes": ["vision"]}),
        "early_palpitations_weakness": (
            "Palpitations or muscle weakness early in treatment for severe anaemia",
            ("care_team",), "same_day",
            {"first_days": 7, "min_severity": 1, "codes": ["palpitations", "weakness"]}),
        "potassium_low": ("Potassium low in the first 2 weeks", ("care_team",), "",
                          {"below": "3.5", "first_days": 14}),
        "hb_critical": ("Haemoglobin critically low", ("care_team",), "",
                        {"below_g_dl": "8.0", "lookback_days": 30}),
        "no_retic_rise": ("No reticulocyte rise by day 10", ("care_team",), "",
                          {"by_day": 10, "stop_after_day": 28, "min_rise_percent": 0}),
        "no_hb_mcv_improvement": (
            "Hb/MCV not improving by week 8", ("care_team",), "",
            {"by_day": 56, "stop_after_day": 120, "hb_low_g_dl": "12.0", "hb_min_rise": "0.5",
             "mcv_high_fl": "98", "mcv_min_fall": "2"}),
        "injection_site_infection": (
            "Injection site painful, hot or swollen > 48 h", ("patient", "care_team"), "site",
            {"persist_hours": 48, "min_signs": 2, "lookback_days": 14,
             "signs": ["redness", "swelling", "persistent_pain"]}),
        "missed_doses": (
            "Missed doses", ("patient", "care_team"), "",
            {"induction_late_hours": 24, "maintenance_missed_count": 2,
             "maintenance_late_days": 14, "lookback_days": 120, "reminder_repeat_count": 2,
             "reminder_repeat_hours": 4}),
    }
    actual = {code: (spec.name, spec.audience, spec.guidance, spec.defaults)
              for code, spec in rules.REGISTRY.items()}
    assert actual == expected
    assert all(code == spec.code for code, spec in rules.REGISTRY.items())


def test_every_symptom_code_a_rule_watches_is_in_the_symptom_catalogue():
    # A typo would silently switch the flag off: no entry would ever match it.
    catalogue = {row[0] for row in SYMPTOMS}
    for spec in rules.REGISTRY.values():
        assert set(spec.defaults.get("codes", ())) <= catalogue, spec.code


def palpitations(since_start, recorded_ago=dt.timedelta(0)):
    start = NOW - since_start
    return PatientData(1, treatment_start=start, severe_anaemia=True, symptoms=(
        SymptomFact(code="palpitations", severity=3, recorded_at=NOW - recorded_ago),))


def test_palpitations_a_second_after_day_7_no_longer_count():
    assert run("early_palpitations_weakness", palpitations(dt.timedelta(days=7))) != []
    assert run("early_palpitations_weakness", palpitations(dt.timedelta(days=7) + SECOND)) == []


def test_palpitations_recorded_before_treatment_began_or_in_the_future_do_not_count():
    start = dt.timedelta(days=2)
    assert run("early_palpitations_weakness", palpitations(start, recorded_ago=start)) != []
    assert run("early_palpitations_weakness",
               palpitations(start, recorded_ago=start + SECOND)) == []
    assert run("early_palpitations_weakness", palpitations(start, recorded_ago=-SECOND)) == []
    assert run("early_palpitations_weakness", palpitations(-dt.timedelta(days=1))) == []


def potassium(taken):
    return PatientData(1, treatment_start=START, labs=(lab(rules.LOINC_POTASSIUM, "3.1", taken),))


def test_potassium_counts_from_the_start_of_treatment_until_now():
    assert run("potassium_low", potassium(START)) != []
    assert run("potassium_low", potassium(START - SECOND)) == []
    assert run("potassium_low", potassium(NOW)) != []
    assert run("potassium_low", potassium(NOW + SECOND)) == []


def test_a_haemoglobin_dated_in_the_future_is_not_the_latest_result():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7", NOW - dt.timedelta(days=1), id=1),
                                lab(rules.LOINC_HB, "13", NOW + SECOND, id=2)))
    assert run("hb_critical", data) != []


def retic_series(*points, since_start=11, min_rise_percent=None):
    start = NOW - dt.timedelta(days=since_start)
    data = PatientData(1, treatment_start=start, labs=tuple(
        lab(rules.LOINC_RETIC_ABSOLUTE, value, start + offset, id=i)
        for i, (value, offset) in enumerate(points)))
    spec = rules.REGISTRY["no_retic_rise"]
    thresholds = dict(spec.defaults)
    if min_rise_percent is not None:
        thresholds["min_rise_percent"] = min_rise_percent
    return spec.func(data, now=NOW, thresholds=thresholds)


@pytest.mark.parametrize("after, fires", [("32.9999", True), ("33", False), ("33.0001", False)])
def test_an_admin_can_ask_for_a_10_percent_reticulocyte_rise(after, fires):
    points = (("30", -dt.timedelta(days=1)), (after, dt.timedelta(days=6)))
    assert bool(retic_series(*points, min_rise_percent=10)) is fires


def test_a_reticulocyte_result_on_day_10_itself_still_counts_as_the_rise():
    day_10 = dt.timedelta(days=10)
    assert retic_series(("30", -dt.timedelta(days=1)), ("60", day_10)) == []
    assert retic_series(("30", -dt.timedelta(days=1)), ("60", day_10 + SECOND)) != []


def test_a_result_taken_at_the_first_dose_is_the_baseline_not_the_response():
    assert retic_series(("30", dt.timedelta(0)), ("29", dt.timedelta(days=5))) != []
    assert retic_series(("30", SECOND), ("29", dt.timedelta(days=5))) == []  # no baseline


def test_the_percentage_series_is_judged_when_there_is_no_absolute_baseline():
    start = NOW - dt.timedelta(days=11)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_PERCENT, "1.0", start - dt.timedelta(days=1), id=1),
        lab(rules.LOINC_RETIC_PERCENT, "2.5", start + dt.timedelta(days=6), id=2)))
    assert run("no_retic_rise", data) == []


def test_saved_settings_override_only_what_they_name():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7", NOW - dt.timedelta(days=40)),))
    assert rules.run_rules(data, now=NOW, config={}) == []  # 40 days: outside the 30-day lookback
    config = {"hb_critical": {"lookback_days": 60}}
    [finding] = rules.run_rules(data, now=NOW, config=config)
    assert finding.clinician_message.endswith("(below 8).")


@pytest.mark.parametrize("fact", [
    InjectionFact(id=1, taken_at=NOW, reactions=frozenset(), reported_at=NOW, site="x"),
    SymptomFact(code="vision", severity=1, recorded_at=NOW),
    LabFact(id=1, loinc=rules.LOINC_HB, value=Decimal(8), taken_at=NOW),
    DoseFact(id=1, due_at=NOW, phase_kind="induction", status="open"),
    rules.Finding("r", "urgent", "k", "", ""),
    rules.RuleSpec("x", "X", rules.REVIEW, rules.hb_critical),
])
def test_a_snapshot_or_finding_cannot_be_changed_once_made(fact):
    with pytest.raises(AttributeError):
        fact.id = 2


def test_a_rise_is_measured_from_the_lowest_earlier_score_in_the_window():
    data = PatientData(1, symptoms=scores((4, dt.timedelta(days=10)), (2, dt.timedelta(days=5)),
                                          (5, dt.timedelta(0))))
    [finding] = run("neuro_worsening", data)
    assert "rose from 2 to 5/10" in finding.clinician_message


def test_a_vision_entry_made_just_now_counts_and_other_symptoms_do_not():
    assert run("new_visual_symptoms", PatientData(1, symptoms=vision((2, dt.timedelta(0))))) != []
    fatigue = SymptomFact(code="fatigue", severity=6, recorded_at=NOW)
    data = PatientData(1, symptoms=(*vision((3, dt.timedelta(days=10))), fatigue))
    assert run("new_visual_symptoms", data) == []


@pytest.mark.parametrize("ago, fires", [
    (dt.timedelta(days=62) - SECOND, False), (dt.timedelta(days=62), False),
    (dt.timedelta(days=62) + SECOND, True),
])
def test_the_vision_baseline_reaches_back_60_days_before_the_2_day_lookback(ago, fires):
    data = PatientData(1, symptoms=vision((3, ago), (3, dt.timedelta(hours=1))))
    assert bool(run("new_visual_symptoms", data)) is fires


def test_a_finding_without_evidence_has_none_to_list():
    assert rules.Finding("r", "urgent", "k", "", "").evidence == ()


def test_new_vision_without_history_is_compared_with_none_before():
    [finding] = run("new_visual_symptoms", PatientData(1, symptoms=vision((4, dt.timedelta(0)))))
    assert finding.clinician_message == "New or worse visual symptom: 4/10 (previous 0/10)."


def test_an_added_symptom_code_is_named_in_plain_words():
    spec = rules.REGISTRY["early_palpitations_weakness"]
    data = PatientData(1, treatment_start=NOW - dt.timedelta(days=1), severe_anaemia=True,
                       symptoms=(SymptomFact(code="numbness_feet", severity=3, recorded_at=NOW),))
    [finding] = spec.func(data, now=NOW, thresholds={**spec.defaults, "codes": ["numbness_feet"]})
    assert finding.clinician_message.startswith("numbness feet 3/10 on day 1 ")


def test_a_haemoglobin_taken_just_now_counts():
    assert run("hb_critical", PatientData(1, labs=(lab(rules.LOINC_HB, "7", NOW),))) != []


def test_a_blood_count_taken_just_now_is_the_latest_one():
    start = NOW - dt.timedelta(days=60)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_HB, "9", start - dt.timedelta(days=1), id=1),
        lab(rules.LOINC_HB, "9.1", NOW, id=2)))
    [finding] = run("no_hb_mcv_improvement", data)
    assert "Hb 9 → 9.1 g/dL" in finding.clinician_message


def site_answer(sore_after, signs=()):
    """An injection 3 days ago whose record was never updated, and a site follow-up answer
    "still painful, hot or swollen" given ``sore_after`` the injection."""
    taken = NOW - dt.timedelta(days=3)
    return PatientData(1, injections=(InjectionFact(
        id=1, taken_at=taken, reactions=frozenset(signs), site="left_deltoid",
        reported_at=taken, site_sore_at=taken + sore_after),))


@pytest.mark.parametrize("later, fires", [
    (dt.timedelta(hours=48) - SECOND, False), (dt.timedelta(hours=48), False),
    (dt.timedelta(hours=48) + SECOND, True),
])
def test_a_site_follow_up_answer_alerts_only_more_than_48_h_after_the_injection(later, fires):
    assert bool(run("injection_site_infection", site_answer(later))) is fires


def test_the_dashboard_names_each_rule_in_a_few_words():
    # The clinician's dashboard row shows these (b12care/alerts/selectors.rule_short_name);
    # a rule made without one shows its full name (short is empty).
    assert {code: spec.short for code, spec in rules.REGISTRY.items()} == {
        "systemic_reaction": "Possible allergic reaction",
        "neuro_worsening": "Nerve symptoms worse",
        "new_visual_symptoms": "New vision problem",
        "early_palpitations_weakness": "Palpitations or weakness early",
        "potassium_low": "Potassium low",
        "hb_critical": "Haemoglobin very low",
        "no_retic_rise": "No reticulocyte rise",
        "no_hb_mcv_improvement": "Hb/MCV not improving",
        "injection_site_infection": "Injection site problem",
        "missed_doses": "Missed doses",
    }
    assert rules.RuleSpec("x", "X", rules.REVIEW, rules.hb_critical).short == ""


def test_a_disabled_rule_leaves_the_rules_after_it_running():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7", NOW - dt.timedelta(days=1)),))
    assert list(rules.REGISTRY).index("systemic_reaction") < list(rules.REGISTRY).index(
        "hb_critical")
    findings = rules.run_rules(data, now=NOW, config={"systemic_reaction": None})
    assert [finding.rule for finding in findings] == ["hb_critical"]
