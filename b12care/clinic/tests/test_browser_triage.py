"""The triage journey: the clinician sees the demo patient whose numbness is worsening at the
top, opens her urgent alert, acknowledges it, and she leaves the urgent group."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from b12care.core.tests.browser import click_and_wait, login_as

pytestmark = pytest.mark.browser


def test_the_clinician_acknowledges_the_worsening_numbness_alert_from_the_top_of_the_list(
    browser_page, live_server
):
    with override_settings(DEBUG=True):  # demo data exists only in DEBUG runs
        call_command("seed_demo", stdout=io.StringIO())
    page = browser_page
    login_as(page, live_server, "clinician@b12care.example", settings.DEMO_PASSWORD)

    # The demo's emergency (Sam's reaction minutes ago) comes first, with its reason.
    assert page.locator("h2", has_text="Emergency alerts").is_visible()
    first_row = page.locator(".triage-row").first
    assert "Sam Taylor" in first_row.inner_text()
    assert "Possible allergic reaction" in first_row.inner_text()
    urgent = page.locator("h2", has_text="Urgent alerts")
    assert urgent.is_visible()
    maria_row = page.locator(".triage-row", has_text="Maria Garcia")
    assert "1 urgent" in maria_row.inner_text()
    assert "Nerve symptoms worse" in maria_row.inner_text()

    maria_row.get_by_role("link", name="Maria Garcia").click()
    alert = page.locator("li[data-testid^='alert-']",
                         has_text="New or rapidly worsening neurological symptoms")
    assert "numbness" in alert.inner_text().lower()
    alert.get_by_label("Note (needed to resolve)").fill("Phoned Maria; neurology review today.")
    click_and_wait(page, alert.get_by_role("button", name="Acknowledge"))
    assert "Acknowledged" in alert.inner_text()

    page.goto(f"{live_server.url}/clinic/")
    assert "Maria Garcia" not in page.locator(".triage-1").all_inner_texts().__str__()
    assert page.get_by_role("link", name="Urgent 0").is_visible()
    assert page.get_by_role("link", name="Maria Garcia").is_visible()  # still listed, lower
