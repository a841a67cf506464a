"""The append-only audit log: a row for each kind of event, rows nobody can change or remove,
rows that outlive the people they name, and the "who looked at my record" pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.mfa import signals
from allauth.mfa.models import Authenticator
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from b12care.accounts import audit
from b12care.accounts.models import AccessLog, AppendOnly, User
from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory
from injections import services as injection_services
from injections.models import Injection
from injections.tests.conftest import injection_values

from .signin import ATTACKER, HOME, post_password, sign_in

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
BROWSER = "Mozilla/5.0 (iPhone) test"


# --- A row for each kind of event ------------------------------------------------------------

def test_a_clinicians_page_read_records_who_whose_where_and_which_request(client, clinician,
                                                                           patient):
    client.force_login(clinician)
    response = client.get(reverse("clinic:patient_detail", args=[patient.pk]),
                          REMOTE_ADDR=HOME, HTTP_USER_AGENT=BROWSER,
                          HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789"
    row = AccessLog.objects.get(kind="read")
    assert (row.user, row.user_label, row.role) == (clinician, clinician.email, "clinician")
    assert (row.patient, row.patient_label) == (patient, patient.user.email)
    assert (row.action, row.object_type, row.object_id) == (
        "clinic.patient_detail", "accounts.patientprofile", str(patient.pk))
    assert (row.address, row.user_agent, row.request_id) == (HOME, BROWSER, "req-0123456789")


def test_a_request_without_a_sane_id_gets_a_fresh_one(client, clinician, patient):
    client.force_login(clinician)
    response = client.get(reverse("clinic:patient_detail", args=[patient.pk]),
                          HTTP_X_REQUEST_ID="<script>")
    row = AccessLog.objects.get(kind="read")
    assert len(row.request_id) == 32 and row.request_id == response["X-Request-ID"]


def test_a_patient_reading_their_own_record_writes_no_read_row(patient_client, patient):
    assert patient_client.get(reverse("patient_home")).status_code == 200
    assert not AccessLog.objects.filter(kind="read").exists()


def test_the_admin_list_and_change_pages_are_reads_of_the_patients_shown(client, admin_user,
                                                                         patient):
    injection_services.injection_record(patient=patient, recorded_by=patient.user,
                                        now=NOW, **injection_values(taken_at=NOW))
    client.force_login(admin_user)
    assert client.get("/admin/injections/injection/").status_code == 200
    listed = AccessLog.objects.get(kind="read", action__startswith="admin listed")
    assert (listed.user, listed.patient) == (admin_user, patient)
    injection = Injection.objects.get()
    assert client.get(f"/admin/injections/injection/{injection.pk}/change/").status_code == 200
    opened = AccessLog.objects.get(kind="read", action__startswith="admin opened")
    assert (opened.patient, opened.object_type, opened.object_id) == (
        patient, "injections.injection", str(injection.pk))


def test_every_clinical_write_is_a_write_row_with_its_object(patient, clinician):
    with time_machine.travel(NOW, tick=False):
        injection = injection_services.injection_record(
            patient=patient, recorded_by=clinician, now=NOW,
            **injection_values(taken_at=NOW)).injection
        injection_services.injection_update(injection=injection, by=clinician, now=NOW, pain=4)
        injection_id = injection.pk
        injection_services.injection_delete(injection=injection, by=clinician, now=NOW)
    rows = AccessLog.objects.filter(kind="write", object_type="injections.injection")
    assert sorted(r.action for r in rows) == ["changed injection", "created injection",
                                             "deleted injection"]
    assert {(r.patient_id, r.object_id) for r in rows} == {(patient.pk, str(injection_id))}


def test_sign_in_sign_out_and_a_failed_sign_in_are_recorded(client, patient):
    post_password(client, patient.user.email, "wrong-password", addr=ATTACKER)
    failed = AccessLog.objects.get(kind="sign_in_failed")
    assert (failed.user, failed.user_label, failed.address) == (
        None, patient.user.email, ATTACKER)
    assert "wrong-password" not in str(vars(failed))
    sign_in(client, patient.user.email, addr=HOME)
    assert AccessLog.objects.get(kind="sign_in").user == patient.user
    client.post(reverse("account_logout"))
    assert AccessLog.objects.get(kind="sign_out").user == patient.user


def test_a_failed_sign_in_for_an_unknown_address_keeps_nothing_that_was_typed(client, patient):
    post_password(client, "hunter2@example.org", "x", addr=ATTACKER)
    row = AccessLog.objects.get(kind="sign_in_failed")
    assert (row.user_label, row.object_id) == ("", "")


def test_a_throttled_sign_in_is_recorded(client, patient):
    for n in range(6):
        post_password(client, patient.user.email, f"guess-{n}", addr=ATTACKER)
    row = AccessLog.objects.filter(kind="throttled").first()
    assert row is not None and row.object_id == str(patient.user.pk)
    assert row.address == ATTACKER


def test_adding_and_removing_a_second_factor_is_recorded(rf, patient):
    authenticator = Authenticator.objects.create(user=patient.user, type="totp", data={})
    request = rf.get("/", REMOTE_ADDR=HOME)
    signals.authenticator_added.send(Authenticator, request=request, user=patient.user,
                                     authenticator=authenticator)
    signals.authenticator_removed.send(Authenticator, request=request, user=patient.user,
                                       authenticator=authenticator)
    assert list(AccessLog.objects.filter(kind="mfa").order_by("id")
                .values_list("action", "address")) == [
        ("added authenticator app", HOME), ("removed authenticator app", HOME)]


def test_a_refusal_from_the_access_helper_is_recorded(client, outsider_clinician, patient):
    client.force_login(outsider_clinician)
    url = reverse("clinic:patient_detail", args=[patient.pk])
    assert client.get(url).status_code == 404
    row = AccessLog.objects.get(kind="denied")
    assert (row.user, row.patient, row.object_id) == (outsider_clinician, None, str(patient.pk))
    assert not AccessLog.objects.filter(kind="read").exists()


def test_a_wrong_role_refusal_is_recorded(patient_client, patient):
    assert patient_client.get(reverse("clinic:dashboard")).status_code == 404
    row = AccessLog.objects.get(kind="denied")
    assert row.user == patient.user and "dashboard" in row.action


# --- Nobody changes or removes a row ---------------------------------------------------------

def test_the_model_refuses_to_change_or_delete_a_row(clinician):
    row = audit.record(kind="read", action="test", user=clinician)
    row.action = "rewritten"
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        AccessLog.objects.filter(pk=row.pk).update(action="rewritten")
    with pytest.raises(AppendOnly):
        AccessLog.objects.all().delete()
    assert AccessLog.objects.get(pk=row.pk).action == "test"


def test_the_admin_shows_the_log_read_only_without_delete(client, admin_user, clinician):
    row = audit.record(kind="read", action="test", user=clinician)
    client.force_login(admin_user)
    listing = client.get("/admin/accounts/accesslog/")
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    page = client.get(f"/admin/accounts/accesslog/{row.pk}/change/")
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()
    assert client.post(f"/admin/accounts/accesslog/{row.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.post("/admin/accounts/accesslog/", {
        "action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert AccessLog.objects.filter(pk=row.pk, action="test").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_a_trigger_refuses_update_and_delete_from_any_client(clinician):
    row = audit.record(kind="read", action="test", user=clinician)
    for sql in ("UPDATE accounts_accesslog SET action = 'x' WHERE id = %s",
                "DELETE FROM accounts_accesslog WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(sql, [row.pk])
    assert AccessLog.objects.get(pk=row.pk).action == "test"


# --- Rows outlive the people they name -------------------------------------------------------

def test_deleting_a_patient_and_a_clinician_keeps_their_rows_ids_and_labels(client, clinician,
                                                                          patient):
    client.force_login(clinician)
    client.get(reverse("clinic:patient_detail", args=[patient.pk]))
    patient_pk, patient_user_pk, clinician_pk = patient.pk, patient.user.pk, clinician.pk
    User.objects.filter(pk__in=[patient_user_pk, clinician_pk]).delete()
    row = AccessLog.objects.get(kind="read")
    assert (row.user_id, row.patient_id) == (clinician_pk, patient_pk)
    assert (row.user_label, row.patient_label) == ("dr.jones@example.org", "pat@example.org")


# --- "Who looked at my record" ----------------------------------------------------------------

def test_the_patient_sees_who_looked_in_their_own_time_zone(client, clinician):
    patient = PatientFactory(timezone="America/New_York", user__email="ny@example.org")
    CareTeamFactory(patient=patient, clinician=clinician)
    client.force_login(clinician)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("clinic:patient_detail", args=[patient.pk]))
    client.force_login(patient.user)
    page = client.get(reverse("record_views")).content.decode()
    assert "<strong>Alex Jones</strong>" in page and "(clinician)" in page
    assert "opened your record" in page
    assert "Tue 24 Nov 2026, 04:30" in page  # 09:30 UTC is 04:30 in New York
    assert "America/New_York" in page


def test_the_patient_sees_only_their_own_record_views(client, clinician, patient,
                                                      outsider_patient):
    client.force_login(clinician)
    client.get(reverse("clinic:patient_detail", args=[patient.pk]))
    client.force_login(outsider_patient.user)
    page = client.get(reverse("record_views")).content.decode()
    assert "Nobody else has looked at your record yet." in page


def test_the_clinician_sees_who_looked_at_their_patient_and_outsiders_get_404(
        client, clinician, patient, outsider_clinician, admin_user):
    client.force_login(admin_user)
    client.get(f"/admin/accounts/patientprofile/{patient.pk}/change/")
    client.force_login(clinician)
    url = reverse("clinic:record_views", args=[patient.pk])
    page = client.get(url).content.decode()
    assert "looked at your data in the administration pages" in page
    client.force_login(outsider_clinician)
    assert client.get(url).status_code == 404
    client.force_login(patient.user)
    assert client.get(url).status_code == 404


def test_the_record_views_page_is_paged_and_survives_any_page_number(client, clinician, patient):
    audit.record_reads(clinician, [patient] * 1, action="clinic.dashboard")
    for _ in range(30):
        audit.record(kind="read", action="labs.overview", user=clinician, patient=patient)
    client.force_login(patient.user)
    first = client.get(reverse("record_views")).content.decode()
    assert "Page 1 of 2" in first and first.count("looked at your lab results") == 25
    for number in ("2", "0", "-1", "abc", "1" + "0" * 23):
        assert client.get(reverse("record_views"), {"page": number}).status_code == 200
    assert reverse("record_views") in client.get(reverse("account_security")).content.decode()


# --- The admin's history pages: any id gives 404, never 500; a real one is a read ------------

def test_admin_history_pages_answer_404_for_any_bad_id_and_audit_a_real_one(client, admin_user,
                                                                           patient):
    injection = injection_services.injection_record(
        patient=patient, recorded_by=patient.user, now=NOW,
        **injection_values(taken_at=NOW)).injection
    client.force_login(admin_user)
    base = "/admin/injections/injection"
    for path in (f"{base}/abc/history/", f"{base}/{injection.pk}/change/history/",
                 f"{base}/1{'0' * 23}/history/", f"{base}/-1/history/",
                 f"{base}/{injection.pk}/history/abc/", f"{base}/abc/history/1/",
                 "/admin/alerts/alertrule/abc/history/", "/admin/labs/labresult/x/change/history/"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"{base}/{injection.pk}/history/").status_code == 200
    row = AccessLog.objects.get(kind="read", action__contains="history")
    assert (row.patient, row.object_id) == (patient, str(injection.pk))
    version = Injection.history.get(id=injection.pk).history_id
    assert client.get(f"{base}/{injection.pk}/history/{version}/").status_code == 200
