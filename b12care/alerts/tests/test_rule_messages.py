"""What each rule tells the patient and the care team, word for word.

A patient reads ``patient_message`` on their page and in notifications, a clinician reads
``clinician_message`` in the inbox: a changed word, a lost value or a broken date is something
they would notice, so each rule's whole finding is pinned here for one typical case.
"""

import datetime as dt

from b12care.alerts import rules
from b12care.alerts.rules import Finding, PatientData
from b12care.alerts.tests.test_rules import NOW, START, days, dose, hours, inj, lab, run, sym


def test_a_systemic_reaction_tells_the_patient_to_call_emergency_services():
    # The time is the patient's own (New York: 07:00 UTC is 02:00 EST), its zone named.
    data = PatientData(1, timezone="America/New_York", injections=(inj(
        id=7, taken_at=NOW - hours(3), reactions={
            "breathing_difficulty", "face_throat_swelling", "rash"}),))
    assert run("systemic_reaction", data) == [Finding(
        rule="systemic_reaction", severity="emergency", dedup_key="systemic_reaction:injection:7",
        patient_message=(
            "You reported a possible serious allergic reaction after your injection. Call "
            "emergency services now if you have difficulty breathing, swelling of your face, "
            "lips or throat, or feel faint."),
        clinician_message=("Possible anaphylaxis after the injection at Tue 24 Nov 2026, 02:00 "
                           "(New York time): "
                           "breathing difficulty, face throat swelling."),
        evidence=("breathing_difficulty", "face_throat_swelling"),
    )]


def test_nerve_worsening_lists_each_item_and_why():
    data = PatientData(1, symptoms=(sym("numbness_hands", 3, NOW - days(10)),
                                    sym("numbness_hands", 6, NOW - hours(1)),
                                    sym("weakness", 8, NOW - hours(2))))
    assert run("neuro_worsening", data) == [Finding(
        rule="neuro_worsening", severity="urgent", dedup_key="neuro_worsening",
        patient_message=(
            "Your nerve symptoms are getting worse. Contact your clinician today. If you "
            "suddenly cannot walk, speak or see, call emergency services."),
        clinician_message=("Neurological worsening: numbness hands rose from 3 to 6/10 within "
                           "14 days; weakness now 8/10 (threshold 8)."),
        evidence=("numbness_hands", "weakness"),
    )]


def test_new_vision_problems_are_to_be_checked_today():
    data = PatientData(1, symptoms=(sym("vision", 1, NOW - days(20)),
                                    sym("vision", 4, NOW - hours(2))))
    assert run("new_visual_symptoms", data) == [Finding(
        rule="new_visual_symptoms", severity="urgent", dedup_key="visual:vision",
        patient_message=(
            "New problems with your eyesight need to be checked today. Contact your clinician "
            "today; if you cannot reach them, go to an urgent care service."),
        clinician_message="New or worse visual symptom: 4/10 (previous 1/10).",
    )]


def test_early_palpitations_ask_for_a_potassium_check_on_the_day_of_treatment():
    data = PatientData(1, treatment_start=NOW - days(3) - hours(5), severe_anaemia=True,
                       symptoms=(sym("palpitations", 4, NOW - hours(3)),
                                 sym("palpitations", 2, NOW - hours(2)),
                                 sym("weakness", 2, NOW - hours(2))))
    assert run("early_palpitations_weakness", data) == [Finding(
        rule="early_palpitations_weakness", severity="urgent",
        dedup_key="early_palpitations_weakness",
        patient_message=(
            "Palpitations or muscle weakness in the first days of treatment need a check today "
            "(a blood test for potassium). Contact your clinician today."),
        clinician_message=("palpitations 4/10, weakness 2/10 on day 3 of treatment for severe "
                           "anaemia: check potassium."),
        evidence=("palpitations", "weakness"),
    )]


def test_low_potassium_names_the_lowest_value_its_date_and_the_limit():
    data = PatientData(1, treatment_start=START, labs=(
        lab(rules.LOINC_POTASSIUM, "3.4", START + days(2), id=6),
        lab(rules.LOINC_POTASSIUM, "3.20", START + days(1), id=5)))
    assert run("potassium_low", data) == [Finding(
        rule="potassium_low", severity="urgent", dedup_key="potassium_low", patient_message="",
        clinician_message=("Potassium 3.2 mmol/L on Sun 22 Nov 2026 (below 3.5) in the first 14 "
                           "days of treatment."),
        evidence=("lab:6", "lab:5"),
    )]


def test_a_date_in_a_message_is_the_patients_own_day():
    # 22:00 UTC on 23 November is already 24 November in Auckland (UTC+13 in summer).
    data = PatientData(1, timezone="Pacific/Auckland",
                       labs=(lab(rules.LOINC_HB, "7.40", NOW - hours(12), id=9),))
    assert run("hb_critical", data)[0].clinician_message == (
        "Haemoglobin 7.4 g/dL on Tue 24 Nov 2026 (below 8).")


def test_a_critical_haemoglobin_names_the_value_and_the_limit():
    data = PatientData(1, labs=(lab(rules.LOINC_HB, "7.40", NOW - days(1), id=9),))
    assert run("hb_critical", data) == [Finding(
        rule="hb_critical", severity="review", dedup_key="hb_critical", patient_message="",
        clinician_message="Haemoglobin 7.4 g/dL on Mon 23 Nov 2026 (below 8).", evidence=("lab:9",),
    )]


RETIC_ADVICE = " Consider adherence, another cause of anaemia or the diagnosis."


def test_no_reticulocyte_rise_gives_the_baseline_and_the_highest_result_since():
    start = NOW - days(11)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_ABSOLUTE, "30", start - days(2), id=1),
        lab(rules.LOINC_RETIC_ABSOLUTE, "27", start + days(3), id=2),
        lab(rules.LOINC_RETIC_ABSOLUTE, "28.50", start + days(6), id=3),
        lab(rules.LOINC_RETIC_ABSOLUTE, "25", start + days(8), id=4)))
    assert run("no_retic_rise", data) == [Finding(
        rule="no_retic_rise", severity="review", dedup_key="no_retic_rise", patient_message="",
        clinician_message="No reticulocyte rise by day 10: baseline 30, highest 28.5."
                          + RETIC_ADVICE,
    )]


def test_no_reticulocyte_result_since_the_start_is_said_so():
    start = NOW - days(11)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_RETIC_PERCENT, "1.2", start - days(2), id=1),))
    [finding] = run("no_retic_rise", data)
    assert finding.clinician_message == (
        "No reticulocyte rise by day 10: baseline 1.2, no result since the start." + RETIC_ADVICE)


def test_a_blood_count_not_improving_gives_both_series_and_the_week():
    start = NOW - days(60)
    data = PatientData(1, treatment_start=start, labs=(
        lab(rules.LOINC_HB, "9.0", start - days(1), id=1),
        lab(rules.LOINC_MCV, "112", start - days(1), id=2),
        lab(rules.LOINC_HB, "9.2", NOW - days(2), id=3),
        lab(rules.LOINC_MCV, "111", NOW - days(2), id=4)))
    assert run("no_hb_mcv_improvement", data) == [Finding(
        rule="no_hb_mcv_improvement", severity="review", dedup_key="no_hb_mcv_improvement",
        patient_message="",
        clinician_message="Blood count not improving by week 8: Hb 9 → 9.2 g/dL; MCV 112 → 111 fL.",
    )]


def test_an_infected_site_names_the_site_the_signs_and_the_whole_hours():
    taken = NOW - days(3)
    data = PatientData(1, injections=(inj(
        id=4, taken_at=taken, reactions={"redness", "swelling", "persistent_pain", "rash"},
        reported_at=taken + hours(50) + dt.timedelta(minutes=59)),))
    assert run("injection_site_infection", data) == [Finding(
        rule="injection_site_infection", severity="review",
        dedup_key="injection_site:injection:4",
        patient_message=("Do not inject into that site again until it has been checked. "
                         "Contact your clinic."),
        clinician_message=("Injection site (left deltoid) still persistent pain, redness, "
                           "swelling 50 h after the injection: possible infection."),
    )]


MISSED = "A dose looks missed. Ask your clinic when to take your next dose."


def test_missed_doses_count_each_kind_and_give_the_oldest_due_date():
    data = PatientData(1, doses=(dose(2, NOW - hours(26)), dose(1, NOW - hours(30)),
                                 dose(4, NOW - days(3), "maintenance"),
                                 dose(3, NOW - days(20), "maintenance", "missed")))
    assert run("missed_doses", data) == [Finding(
        rule="missed_doses", severity="review", dedup_key="missed_doses",
        patient_message=MISSED,
        clinician_message=("Missed doses: 2 induction dose(s) more than 24 h late; 2 maintenance "
                           "doses missed (oldest due Wed 4 Nov 2026)."),
        evidence=("dose:1", "dose:2", "dose:3", "dose:4"),
    )]


def test_one_very_late_maintenance_dose_is_named_as_such():
    data = PatientData(1, doses=(dose(3, NOW - days(20), "maintenance", "missed"),))
    assert run("missed_doses", data) == [Finding(
        rule="missed_doses", severity="review", dedup_key="missed_doses",
        patient_message=MISSED,
        clinician_message=("Missed doses: a maintenance dose more than 14 days late (oldest due "
                           "Wed 4 Nov 2026)."),
        evidence=("dose:3",),
    )]


SITE_ADVICE = "Do not inject into that site again until it has been checked. Contact your clinic."


def test_a_site_still_sore_at_the_follow_up_gives_the_whole_hours_until_that_answer():
    taken = NOW - days(3)
    data = PatientData(1, injections=(rules.InjectionFact(
        id=4, taken_at=taken, reactions=frozenset({"redness"}), reported_at=taken,
        site="right_thigh", site_sore_at=taken + hours(49)),))
    assert run("injection_site_infection", data) == [Finding(
        rule="injection_site_infection", severity="review",
        dedup_key="injection_site:injection:4", patient_message=SITE_ADVICE,
        clinician_message=("Injection site (right thigh) still painful, hot or swollen (site "
                           "follow-up) 49 h after the injection: possible infection."),
    )]


def test_signs_ticked_on_the_record_are_named_with_the_record_s_hours_over_a_follow_up():
    taken = NOW - days(3)
    data = PatientData(1, injections=(rules.InjectionFact(
        id=4, taken_at=taken, reactions=frozenset({"redness", "swelling"}),
        reported_at=taken + hours(50), site="left_deltoid", site_sore_at=taken + hours(49)),))
    [finding] = run("injection_site_infection", data)
    assert finding.clinician_message == (
        "Injection site (left deltoid) still redness, swelling 50 h after the injection: "
        "possible infection.")


def test_a_yes_at_the_post_dose_check_in_alone_is_a_possible_anaphylaxis():
    data = PatientData(1, injections=(rules.InjectionFact(
        id=8, taken_at=NOW - hours(2), reactions=frozenset(), reported_at=NOW - hours(2),
        site="left_deltoid", checkin_reaction=True),))
    [finding] = run("systemic_reaction", data)
    assert finding.clinician_message == ("Possible anaphylaxis after the injection at "
                                         "Tue 24 Nov 2026, 08:00 (UTC): post-dose check-in.")
    assert finding.evidence == ("post-dose check-in",)
