"""In a real browser: a patient connects a phone on the Devices page, the phone's token reads
their data, and the API docs page (Swagger UI from our own static files) calls the API with
the signed-in session."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from b12care.core.tests.browser import login_as

pytestmark = pytest.mark.browser


def test_a_patient_connects_a_phone_and_tries_the_api_in_the_docs(browser_page, live_server,
                                                                   patient):
    page = browser_page
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    patient.user.set_password(settings.DEMO_PASSWORD)
    patient.user.save()
    login_as(page, live_server, patient.user.email, settings.DEMO_PASSWORD)

    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="Devices").click()
    page.get_by_label("Device name").fill("My phone")
    page.get_by_role("button", name="Connect a device").click()
    token = page.get_by_label("Key").input_value()
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert phone.get("/api/v1/me/").json()["id"] == patient.pk

    page.get_by_role("link", name="the API documentation").click()
    operation = page.locator("#operations-me-me_retrieve")
    operation.locator("button.opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    assert status.inner_text().strip() == "200"

    page.goto(f"{live_server.url}/devices/")
    page.get_by_role("button", name="Disconnect “My phone”").click()
    assert "is disconnected" in page.get_by_role("status").first.inner_text()
    assert phone.get("/api/v1/me/").status_code == 401
    assert failed == []
