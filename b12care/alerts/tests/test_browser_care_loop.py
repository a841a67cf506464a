"""Browser journey (390×844 phone), issue G1: a patient logs a reaction and the emergency
instruction is the first thing on the page; the clinician's dashboard shows them first with the
reason; the clinician acknowledges, shares a note and writes to the patient from the alert; the
patient sees that their team saw it, the clinic's number, and reads the message."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from b12care.accounts.models import Clinic
from b12care.accounts.tests.factories import CareTeamFactory, PatientFactory
from b12care.alerts import delivery, lifecycle
from b12care.alerts.models import Notification
from b12care.alerts.rules import Finding
from b12care.alerts.tests.test_browser import shot
from b12care.core.tests.browser import click_and_wait, login_as

pytestmark = pytest.mark.browser


def test_a_reaction_reaches_the_clinician_first_and_the_patient_sees_the_team_response(
    browser_page, live_server, patient, clinician
):
    page = browser_page
    for user in (patient.user, clinician):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    clinic = Clinic.objects.create(name="Haematology clinic", phone="+44 20 7946 0000",
                                   hours="Monday to Friday, 8am to 6pm",
                                   out_of_hours="Call NHS 111, or 999 in an emergency")
    patient.care_team.update(clinic=clinic)
    now = timezone.now()
    lifecycle.findings_record(patient=patient, now=now - dt.timedelta(minutes=10), findings=[
        Finding("neuro_worsening", "urgent", "neuro_worsening", "Phone your clinic today.",
                "Balance rose from 2 to 6/10.")])
    # Another patient of the same clinician, with an older urgent alert (and a surname that
    # sorts first): a reaction minutes ago must still come first on the dashboard.
    zoe = PatientFactory(user__first_name="Zoe", user__last_name="Adams")
    CareTeamFactory(patient=zoe, clinician=clinician)
    lifecycle.findings_record(patient=zoe, now=now - dt.timedelta(days=2), findings=[Finding(
        "neuro_worsening", "urgent", "neuro_worsening", "Phone your clinic today.",
        "Numbness in both feet worse.")])

    # The patient logs an injection with breathing difficulty: the emergency comes first.
    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/injections/log/")
    page.get_by_label("Difficulty breathing or wheeze").check()
    page.get_by_role("button", name="Save injection").click()
    page.wait_for_url(f"{live_server.url}/alerts/now/")
    headings = page.locator("section.urgent-guidance h2").all_inner_texts()
    assert headings[0] == "Call emergency services now: 999", headings
    assert len(headings) == 2  # then the urgent advice of the nerve-symptoms alert
    emergency = page.get_by_role("heading", name="Call emergency services now: 999")
    saved = page.get_by_text("Injection recorded")
    assert emergency.bounding_box()["y"] < saved.bounding_box()["y"]
    shot(page, "patient-emergency-first")
    page.context.clear_cookies()

    login_as(page, live_server, clinician.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/clinic/")
    first_row = page.locator(".triage-row").first
    assert "Pat Lee" in first_row.inner_text()
    assert "Possible allergic reaction" in first_row.inner_text()
    assert "Nerve symptoms worse" in page.locator(".triage-row", has_text="Zoe Adams").inner_text()
    shot(page, "clinician-dashboard-emergency-first")
    page.goto(f"{live_server.url}/alerts/patients/{patient.pk}/")
    alert = page.locator("li[data-testid^='alert-']", has_text="Systemic reaction")
    alert.get_by_label("Note (needed to resolve)").fill("I will phone you this afternoon")
    alert.get_by_label("Share this note with the patient").check()
    click_and_wait(page, alert.get_by_role("button", name="Acknowledge"))
    assert "Acknowledged" in alert.inner_text()
    click_and_wait(page, alert.get_by_role("link", name="Write to the patient about this"))
    assert page.get_by_label("Subject").input_value().startswith("About: ")
    page.get_by_label("Message").fill("Please rest today; I will phone you at 2pm.")
    click_and_wait(page, page.get_by_role("button", name="Send"))
    assert page.get_by_text("Message sent to the patient.").is_visible()
    shot(page, "clinician-thread")
    page.context.clear_cookies()

    # The worker delivers the content-free notice to the patient's notification centre.
    for pk in Notification.objects.filter(recipient=patient.user).values_list("pk", flat=True):
        delivery.notification_deliver(notification_id=pk, now=timezone.now())

    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/me/")
    assert page.get_by_text("Alex Jones's team saw this at").first.is_visible()
    assert page.get_by_text("Their note for you: I will phone you this afternoon").is_visible()
    call = page.get_by_role("link", name="Call +44 20 7946 0000")
    assert call.get_attribute("href") == "tel:+442079460000"
    box = call.bounding_box()
    assert box and box["height"] >= 44
    shot(page, "patient-home-team-response")
    page.goto(f"{live_server.url}/alerts/messages/")
    assert page.get_by_text("You have a new message in B12 Care").first.is_visible()
    click_and_wait(page, page.get_by_test_id("conversations-link"))
    conversation = page.get_by_role("link", name="About: ")
    assert "1 unread" in conversation.inner_text()
    click_and_wait(page, conversation)
    assert page.get_by_text("Please rest today; I will phone you at 2pm.").is_visible()
    shot(page, "patient-thread")
    page.goto(f"{live_server.url}/alerts/conversations/")
    assert "unread" not in page.get_by_role("link", name="About: ").inner_text()
    assert page.get_by_test_id("unread-badge").count() == 0
