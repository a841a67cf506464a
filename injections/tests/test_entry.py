"""What the log form starts from (injections/entry.py), without HTTP."""

import datetime as dt
from decimal import Decimal

import pytest

from injections import entry, services
from injections.models import DoseStatus, Phase, PlannedDose

from .conftest import NOW, injection_values


def phase(pk, product="hydroxocobalamin", dose="1", unit="mg"):
    return Phase(pk=pk, product=product, dose=Decimal(dose), unit=unit)


def readiness(ready, contact="Dr Alex Jones"):
    return services.Readiness(ready, None, None, [] if ready else ["Not assessed."], contact)


# --- Pure rules -------------------------------------------------------------------------------

def test_a_dose_is_logged_with_the_product_of_its_own_phase():
    induction, maintenance = phase(1), phase(2, product="cyanocobalamin")
    assert entry.phase_for(PlannedDose(phase_id=2), [induction, maintenance]) is maintenance


def test_a_dose_of_no_current_phase_or_no_dose_falls_back_to_the_first_phase():
    induction, maintenance = phase(1), phase(2)
    assert entry.phase_for(PlannedDose(phase_id=99), [induction, maintenance]) is induction
    assert entry.phase_for(None, [induction, maintenance]) is induction


def test_without_a_regimen_there_is_no_phase_to_take_defaults_from():
    assert entry.phase_for(PlannedDose(phase_id=1), []) is None
    assert entry.phase_for(None, []) is None


def test_a_new_form_starts_now_at_the_suggested_site_with_the_phase_product():
    initial = entry.log_form_initial(now=NOW, phase=phase(1, "cyanocobalamin", "0.5", "mg"),
                                     site="right_deltoid", ready_for_self=True, form_token="tok")
    assert initial == {
        "taken_at": NOW, "form_token": "tok", "site": "right_deltoid",
        "administered_by": "self", "product": "cyanocobalamin", "dose": Decimal("0.5"),
        "unit": "mg",
    }


def test_a_patient_not_cleared_for_self_injection_starts_with_a_nurse_and_the_usual_product():
    initial = entry.log_form_initial(now=NOW, phase=None, site=None, ready_for_self=False,
                                     form_token="tok")
    assert initial["administered_by"] == "nurse"
    assert (initial["product"], initial["dose"], initial["unit"]) == ("hydroxocobalamin", "1",
                                                                       "mg")
    assert initial["site"] is None


def test_every_new_form_gets_its_own_token():
    assert entry.new_form_token() != entry.new_form_token()


def test_the_reason_self_is_missing_names_whom_to_ask_and_is_empty_once_ready():
    assert entry.self_reason(readiness(False)) == (
        "Injecting yourself needs your clinician's sign-off first: ask Dr Alex Jones.")
    assert entry.self_reason(readiness(True)) == ""


# --- Reads ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_dose_a_link_names_is_the_one_logged(regimen, patient):
    third = PlannedDose.objects.filter(patient=patient).order_by("due_at")[2]
    target = entry.dose_to_log(patient, dose_id=str(third.pk))
    assert target.dose == third
    assert target.phase.pk == third.phase_id and target.phase.order == 1
    assert [p.order for p in target.phases] == [1, 2]


@pytest.mark.django_db
def test_a_garbled_or_foreign_dose_link_falls_back_to_the_first_open_dose(
    regimen, patient, outsider_patient, clinician
):
    first_open = PlannedDose.objects.filter(patient=patient, status=DoseStatus.OPEN).first()
    other = services.regimen_create_from_template(
        patient=outsider_patient, template=regimen.template, start_date=dt.date(2026, 11, 24),
        time_of_day=dt.time(7, 0), created_by=clinician, now=NOW)
    foreign = PlannedDose.objects.filter(regimen=other).first()
    for dose_id in ("", "abc", "-1", str(foreign.pk)):
        assert entry.dose_to_log(patient, dose_id=dose_id).dose == first_open, dose_id


@pytest.mark.django_db
def test_a_patient_without_a_regimen_logs_an_extra_dose(patient):
    target = entry.dose_to_log(patient, dose_id="1")
    assert (target.dose, target.phase, target.phases) == (None, None, [])


@pytest.mark.django_db
def test_readiness_is_read_only_for_an_entry_that_says_self(patient,
                                                            django_assert_num_queries):
    with django_assert_num_queries(0):
        assert entry.readiness_for_choice(patient, "nurse") is None
        assert entry.readiness_for_choice(patient, None) is None
    assert entry.readiness_for_choice(patient, "self").ready is False


@pytest.mark.django_db
def test_the_log_page_shows_the_next_dose_and_avoids_the_last_used_site(regimen, patient,
                                                                        clinician):
    services.injection_record(patient=patient, recorded_by=clinician,
                              now=NOW, **injection_values(site="left_vastus_lateralis",
                                                          taken_at=NOW - dt.timedelta(days=1)))
    page = entry.log_page(patient, now=NOW)
    assert page.dose_row["label"] == "induction dose 1 of 6"
    assert page.suggestion.site == page.initial["site"] == "right_vastus_lateralis"
    assert page.initial["administered_by"] == "nurse"
    assert page.self_reason.endswith("ask Alex Jones.")
    assert (page.initial["product"], page.initial["dose"]) == ("hydroxocobalamin", Decimal("1"))


@pytest.mark.django_db
def test_the_log_page_uses_the_readiness_the_caller_already_read(patient):
    ready = readiness(True)
    page = entry.log_page(patient, now=NOW, readiness=ready)
    assert page.readiness is ready and page.initial["administered_by"] == "self"
    assert page.dose_row is None
