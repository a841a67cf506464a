"""What a viewer may do with each entry of the injection history (injections/history.py)."""

import datetime as dt

import pytest
import time_machine

from injections import services
from injections.history import history_page

from .conftest import NOW, injection_values

pytestmark = pytest.mark.django_db


def record(patient, by, *, at=NOW, **values):
    with time_machine.travel(at, tick=False):
        return services.injection_record(patient=patient, recorded_by=by, now=at,
                                         **injection_values(taken_at=at, **values)).injection


def allowed(page):
    return [(inj.pk, inj.can_edit, inj.can_delete) for inj in page.object_list]


def test_a_patient_may_change_their_entry_for_24_hours_and_not_after(patient):
    entry = record(patient, patient.user)
    for now, may in ((NOW, True), (NOW + dt.timedelta(hours=23, minutes=59), True),
                     (NOW + dt.timedelta(hours=24, minutes=1), False)):
        page = history_page(patient, viewer=patient.user, now=now)
        assert allowed(page) == [(entry.pk, may, may)], now


def test_only_the_entries_of_the_last_24_hours_are_changeable_by_the_patient(patient):
    old = record(patient, patient.user, at=NOW - dt.timedelta(days=3))
    new = record(patient, patient.user, at=NOW - dt.timedelta(hours=2))
    page = history_page(patient, viewer=patient.user, now=NOW)
    assert allowed(page) == [(new.pk, True, True), (old.pk, False, False)]


def test_an_entry_the_clinician_recorded_is_read_only_for_the_patient_at_once(patient, clinician):
    theirs = record(patient, clinician, at=NOW - dt.timedelta(minutes=10))
    mine = record(patient, patient.user, at=NOW - dt.timedelta(hours=2))
    assert allowed(history_page(patient, viewer=patient.user, now=NOW)) == [
        (theirs.pk, False, False), (mine.pk, True, True)]
    assert allowed(history_page(patient, viewer=clinician, now=NOW)) == [
        (theirs.pk, True, True), (mine.pk, True, True)]


def test_a_clinician_may_change_any_entry_at_any_time(patient, clinician):
    entry = record(patient, patient.user)
    page = history_page(patient, viewer=clinician, now=NOW + dt.timedelta(days=400))
    assert allowed(page) == [(entry.pk, True, True)]


def test_the_history_page_costs_the_same_queries_whatever_its_length(
    patient, clinician, django_assert_num_queries
):
    record(patient, clinician)
    with django_assert_num_queries(2) as first:  # count, then the page's rows
        history_page(patient, viewer=patient.user, now=NOW)
    for days in range(1, 25):
        record(patient, clinician, at=NOW - dt.timedelta(days=days))
    with django_assert_num_queries(len(first.captured_queries)):
        page = history_page(patient, viewer=patient.user, now=NOW)
    assert len(page.object_list) == 20 and page.paginator.num_pages == 2
