"""The main pages of every role work in chromium under the Content-Security-Policy: no
violation, no console error, and the menus, chart tables, print button and sign-out behave."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from b12care.accounts.models import PatientProfile, User
from b12care.core.tests.browser import click_and_wait, login_as
from injections.models import Injection
from labs.models import LabResult

pytestmark = pytest.mark.browser

# Every CSP violation of the page, whatever its kind (script, style attribute, image...).
LISTEN = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
          "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))")


@pytest.fixture
def demo(transactional_db):
    with override_settings(DEBUG=True):  # demo data is created only in DEBUG runs
        call_command("seed_demo", stdout=io.StringIO())
    liam = PatientProfile.objects.get(user__email="liam@b12care.example")
    return {"patient": liam.pk, "user": liam.user_id,
            "injection": Injection.objects.filter(patient=liam).latest("taken_at").pk,
            "key": LabResult.objects.filter(patient=liam).values_list("analyte__key",
                                                                       flat=True)[0]}


@pytest.fixture
def page(browser_page):
    browser_page.context.add_init_script(LISTEN)
    browser_page.errors = []
    browser_page.on("console", lambda m: m.type == "error" and browser_page.errors.append(m.text))
    browser_page.on("pageerror", lambda e: browser_page.errors.append(str(e)))
    return browser_page


def visit_all(page, base: str, paths: list[str]) -> dict[str, object]:
    problems = {}
    for path in paths:
        page.errors.clear()
        response = page.goto(base + path)
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__csp") + page.errors
        if response.status != 200 or found:
            problems[path] = (response.status, found)
    return problems


def test_patient_pages_run_without_csp_violations(page, live_server, demo):
    login_as(page, live_server, "liam@b12care.example", settings.DEMO_PASSWORD)
    paths = ["/me/", "/injections/", "/injections/log/", "/injections/supply/", "/diary/",
             "/diary/history/", "/diary/trends/", "/labs/", f"/labs/tests/{demo['key']}/",
             "/labs/add/", "/alerts/messages/", "/alerts/preferences/", "/alerts/now/",
             "/accounts/password/change/"]
    assert visit_all(page, live_server.url, paths) == {}

    page.goto(f"{live_server.url}/diary/trends/")
    assert page.locator("svg.trend-chart").count() >= 1
    table = page.locator("details").first
    table.locator("summary").click()
    assert table.evaluate("e => e.open")

    page.goto(f"{live_server.url}/injections/log/")
    page.get_by_text("Where have I injected recently?").click()
    assert page.locator("figure.body-map svg").is_visible()
    legend = page.locator(".legend-suggested")
    # The legend's colour comes from the stylesheet now, not a style attribute.
    assert legend.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(25, 135, 84)"


def test_the_phone_menu_opens_and_signing_out_leaves_nothing_behind(page, live_server, demo):
    login_as(page, live_server, "liam@b12care.example", settings.DEMO_PASSWORD)
    page.evaluate("localStorage.setItem('draft', 'numb feet')")
    page.get_by_role("button", name="Open menu").click()
    click_and_wait(page, page.get_by_role("button", name="Sign out"))
    assert page.url.endswith("/accounts/login/?signed_out=1")
    assert page.get_by_text("You have signed out.").is_visible()
    assert page.evaluate("localStorage.getItem('draft')") is None  # Clear-Site-Data ran
    assert "sessionid" not in {c["name"] for c in page.context.cookies()}
    assert page.evaluate("window.__csp") == [] and page.errors == []


def test_clinician_pages_run_without_csp_violations(page, live_server, demo):
    login_as(page, live_server, "clinician@b12care.example", settings.DEMO_PASSWORD)
    pid = demo["patient"]
    paths = ["/clinic/", f"/clinic/patients/{pid}/", f"/injections/patients/{pid}/",
             f"/injections/patients/{pid}/history/", f"/injections/patients/{pid}/readiness/",
             f"/injections/patients/{pid}/log/", f"/diary/patients/{pid}/",
             f"/labs/patients/{pid}/", f"/labs/patients/{pid}/plan/add/",
             f"/alerts/patients/{pid}/", "/clinic/patients/new/", "/alerts/messages/"]
    assert visit_all(page, live_server.url, paths) == {}

    page.goto(f"{live_server.url}/clinic/patients/{pid}/")
    page.evaluate("window.print = () => { window.printed = true }")  # no dialog in a test
    page.get_by_role("button", name="Print summary").click()
    assert page.evaluate("window.printed") is True

    page.goto(f"{live_server.url}/clinic/")
    page.get_by_role("searchbox", name="Search").fill("Liam")
    click_and_wait(page, page.get_by_role("button", name="Apply"))
    assert "Liam" not in page.url
    assert page.locator(".triage-row").count() == 1


def test_admin_pages_run_without_csp_violations(page, live_server, demo):
    login_as(page, live_server, "admin@b12care.example", settings.DEMO_PASSWORD)
    user, pid, injection = demo["user"], demo["patient"], demo["injection"]
    paths = ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{user}/change/",
             f"/admin/accounts/user/{user}/history/", "/admin/injections/protocoltemplate/",
             f"/admin/injections/injection/{injection}/change/",
             f"/admin/injections/injection/{injection}/history/",  # django-simple-history's
             "/admin/injections/protocoltemplate/add/", "/admin/labs/labresult/add/",
             "/admin/alerts/alertrule/", f"/admin/accounts/patientprofile/{pid}/change/"]
    assert User.objects.get(pk=user).email == "liam@b12care.example"
    assert visit_all(page, live_server.url, paths) == {}


def test_the_policy_really_blocks_injected_script_and_style(page, live_server, demo):
    """The listener above sees violations: markup an attacker slipped in is refused."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""document.body.insertAdjacentHTML('beforeend',
        '<img src="x" onerror="window.hacked = 1"><b style="color: red">x</b>')""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.hacked") is None
    violated = {entry.split()[0] for entry in page.evaluate("window.__csp")}
    assert {"script-src-attr", "style-src-attr"} <= violated
