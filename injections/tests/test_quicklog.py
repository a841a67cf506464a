"""The home's one-tap "Taken now": the defaults it offers (a plain function) and that a tap
goes through the full form's guard rails and service."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.http import QueryDict
from django.urls import reverse

from injections import quicklog, services
from injections.models import Injection, Phase, Site

from .conftest import NOW, injection_values

TODAY = dt.date(2026, 11, 24)


def phase(**overrides):
    values = {"product": "hydroxocobalamin", "dose": Decimal("1.00"), "unit": "mg"}
    values.update(overrides)
    return Phase(**values)


def last(**overrides):
    values = {"product": "hydroxocobalamin", "dose": Decimal("1.00"), "unit": "mg",
              "lot_number": "AB123", "expiry_date": dt.date(2027, 6, 30),
              "administered_by": "carer", "site": Site.LEFT_THIGH}
    values.update(overrides)
    return Injection(**values)


def defaults(**overrides):
    values = {"phase": phase(), "last": last(), "suggested_site": Site.RIGHT_THIGH,
              "avoid": {}, "ready_for_self": True, "today": TODAY}
    values.update(overrides)
    return quicklog.quick_log(**values)


# --- The defaults (no database) ---------------------------------------------------------------

def test_the_batch_and_who_gave_it_are_remembered_from_the_last_injection():
    q = defaults()
    assert (q.product, q.dose_value, q.unit) == ("hydroxocobalamin", "1", "mg")
    assert (q.lot_number, q.expiry_date, q.batch_remembered) == (
        "AB123", dt.date(2027, 6, 30), True)
    assert q.administered_by == "carer"
    assert q.site == Site.RIGHT_THIGH and q.site_label == "Right thigh"
    assert q.dose_text == "1 mg" and q.product_label == "Hydroxocobalamin"


def test_a_batch_that_has_expired_by_today_is_not_offered_again():
    q = defaults(last=last(expiry_date=TODAY - dt.timedelta(days=1)))
    assert (q.lot_number, q.expiry_date, q.batch_remembered) == ("", None, False)
    assert defaults(last=last(expiry_date=TODAY)).lot_number == "AB123"  # expires today: usable


def test_the_prescribed_product_and_dose_win_over_a_different_last_injection():
    q = defaults(phase=phase(product="cyanocobalamin", dose=Decimal("1000"), unit="microgram"))
    assert (q.product, q.dose_value, q.unit) == ("cyanocobalamin", "1000", "microgram")
    assert q.dose_text == "1000 µg"
    assert q.lot_number == "" and not q.batch_remembered  # another product: another box
    q = defaults(phase=phase(dose=Decimal("0.5")))
    assert q.dose_value == "0.5" and q.lot_number == "AB123"  # same box, new prescribed dose


def test_without_a_last_injection_the_phase_gives_everything_and_no_batch():
    q = defaults(last=None)
    assert (q.product, q.dose_value, q.lot_number) == ("hydroxocobalamin", "1", "")
    assert q.administered_by == "self"
    assert defaults(last=None, ready_for_self=False).administered_by == "nurse"


def test_myself_is_not_offered_to_a_patient_no_longer_cleared_to_self_inject():
    assert defaults(last=last(administered_by="self")).administered_by == "self"
    assert defaults(last=last(administered_by="self"),
                    ready_for_self=False).administered_by == "nurse"


def test_sore_sites_are_left_out_of_the_chips_and_no_site_means_no_one_tap():
    q = defaults(avoid={Site.LEFT_THIGH: "sore"})
    assert [v for v, _ in q.sites] == [Site.RIGHT_THIGH, Site.LEFT_VENTROGLUTEAL,
                                       Site.RIGHT_VENTROGLUTEAL, Site.LEFT_DELTOID,
                                       Site.RIGHT_DELTOID]
    assert defaults(suggested_site=None) is None


def test_taken_now_sets_the_time_to_the_minute_of_saving_in_the_patients_zone():
    posted = QueryDict("taken_now=1&site=left_deltoid&taken_at=2020-01-01T00:00")
    data = quicklog.with_taken_now(posted, now=dt.datetime(2026, 7, 1, 8, 5, 59, tzinfo=dt.UTC),
                                   tz=dt.timezone(dt.timedelta(hours=1)))
    assert data["taken_at"] == "2026-07-01T09:05" and "taken_now" not in data
    assert data["site"] == "left_deltoid"
    plain = QueryDict("taken_at=2020-01-01T00:00")
    assert quicklog.with_taken_now(plain, now=NOW, tz=dt.UTC) is plain


# --- On the home, through the full form's service -----------------------------------------


def quick_form(html: str) -> dict:
    """The one-tap form's posted values, read from the home page as a browser would."""
    form = re.search(r'<form[^>]*data-testid="quick-log".*?</form>', html, re.S).group(0)
    values = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))
    for name in ("site", "administered_by"):  # the chips ticked by default
        values[name] = re.search(rf'name="{name}" id="[^"]+" value="([^"]+)" '
                                 r'autocomplete="off" checked', form).group(1)
    values["action"] = re.search(r'action="([^"]+)"', form).group(1).replace("&amp;", "&")
    return values


@pytest.mark.django_db
def test_a_due_dose_is_logged_from_the_home_with_one_tap(patient_client, patient, regimen,
                                                        clinician):
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        services.injection_record(patient=patient, recorded_by=clinician,
                                  now=NOW - dt.timedelta(days=3),
                                  **injection_values(taken_at=NOW - dt.timedelta(days=3),
                                                     lot_number="LOT7",
                                                     expiry_date=dt.date(2027, 1, 31),
                                                     administered_by="carer"))
    with time_machine.travel(NOW, tick=False):
        home = patient_client.get(reverse("patient_home")).content.decode()
        assert "Taken now" in home
        log = patient_client.get(reverse("injections:log")).content.decode()
        assert re.search(r'<details class="form-disclosure[^"]*">', log)  # folded
        form = quick_form(home)
        assert (form["lot_number"], form["administered_by"]) == ("LOT7", "carer")
        action = form.pop("action")
    with time_machine.travel(NOW + dt.timedelta(minutes=7), tick=False):
        response = patient_client.post(action, form)
        assert response.status_code == 302
        again = patient_client.post(action, form)  # a double tap: the same token
    assert again.status_code == 302
    taken = Injection.objects.filter(patient=patient).latest("taken_at")
    assert Injection.objects.filter(patient=patient).count() == 2
    assert taken.taken_at == NOW + dt.timedelta(minutes=7)
    assert (taken.lot_number, taken.expiry_date, taken.administered_by, taken.site) == (
        "LOT7", dt.date(2027, 1, 31), "carer", form["site"])
    assert taken.site != "left_vastus_lateralis"  # the last site is not suggested again
    assert taken.planned_dose is not None


@pytest.mark.django_db
def test_a_guard_rail_question_opens_the_full_form_instead_of_saving(patient_client, patient,
                                                                    regimen, clinician):
    with time_machine.travel(NOW, tick=False):
        form = quick_form(patient_client.get(reverse("patient_home")).content.decode())
        action = form.pop("action")
        form["dose"] = "2"  # twice the prescribed 1 mg: the guard rails ask first
        response = patient_client.post(action, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="dose-check"' in page and "Save injection" in page
    # "Product and batch", folded on a new form, is open to correct the dose.
    assert re.search(r'<details class="form-disclosure[^"]*" open>', page)
    assert 'value="2"' in page  # what was sent is kept
    assert not Injection.objects.filter(patient=patient).exists()


def test_who_gave_it_is_offered_as_chips_with_me_only_when_cleared():
    cleared = defaults(ready_for_self=True)
    assert [value for value, _ in cleared.givers] == ["self", "carer", "nurse"]
    assert [value for value, _ in defaults(ready_for_self=False).givers] == ["carer", "nurse"]
