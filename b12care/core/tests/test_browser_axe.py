"""Accessibility in CI: axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every page of every
role, at phone (390×844) and desktop (1280×900) size; any ``serious`` or ``critical`` finding
fails the run, listing page, rule and the elements it found.

The pages are not listed by hand: every named URL pattern of the resolver (``named_patterns``,
shared with the security-header walk) must be walked by one role or skipped below with a
reason, and ``test_every_url_pattern_is_walked_or_skipped`` fails the day a new pattern is
neither. The Django admin is walked from its registry: every changelist, plus one add form,
change form and history page. Path parameters are filled with the demo data's objects.

axe-core comes from ``node_modules`` (npm devDependency) and is injected by the test only;
nothing of it is served to users. The context bypasses the Content-Security-Policy for that
injection alone (``bypass_csp``); ``test_browser_csp.py`` checks the policy itself.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from b12care.accounts.models import PatientProfile
from b12care.alerts.messaging import thread_start
from b12care.alerts.models import MessageThread
from injections.models import FollowUpKind, Injection, InjectionFollowUp
from labs.models import LabResult

from .browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, login_as
from .test_security_headers import demo_ids, kwargs_for, named_patterns

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}

PATIENT_EMAIL = "liam@b12care.example"
CLINICIAN_EMAIL = "clinician@b12care.example"
ADMIN_EMAIL = "admin@b12care.example"

# Who walks which named page. A page several roles see (the inbox, account pages) is walked by
# each role whose version differs (the patient's inbox has snooze forms, the clinician's not).
ANONYMOUS_PAGES = {
    "account_login", "account_signup", "account_inactive", "account_reset_password",
    "account_reset_password_done", "account_reset_password_from_key",
    "account_reset_password_from_key_done", "invite_accept", "api:docs",
}
PATIENT_PAGES = {
    "patient_home", "record_views", "usersessions_list", "account_security", "account_closure",
    "account_logout", "account_reauthenticate", "account_email", "account_change_password",
    "mfa_index", "mfa_list_webauthn", "devices",
    "injections:overview", "injections:log", "injections:supply", "injections:site",
    "injections:checkin", "symptoms:checkin", "symptoms:history", "symptoms:trends",
    "labs:overview", "labs:add", "labs:add_result", "labs:analyte", "labs:result_delete",
    "alerts:guidance", "alerts:inbox", "alerts:threads", "alerts:thread", "alerts:preferences",
    "exports:mine", "exports:my_report",
}
CLINICIAN_PAGES = {
    "clinic:dashboard", "clinic:patient_invite", "clinic:patient_detail", "clinic:record_views",
    "account_closure_review", "mfa_reauthenticate",
    "injections:patient_regimen", "injections:patient_history", "injections:regimen_new",
    "injections:phase_add", "injections:phase_edit", "injections:phase_end",
    "injections:readiness", "injections:log_for_patient", "injections:edit", "injections:delete",
    "symptoms:patient_diary",
    "labs:patient_overview", "labs:patient_add", "labs:patient_add_result",
    "labs:patient_analyte", "labs:patient_result_delete", "labs:plan_add", "labs:plan_edit",
    "labs:plan_cancel",
    "alerts:patient_alerts", "alerts:patient_threads", "alerts:patient_thread",
    "alerts:team_unread", "exports:patient", "exports:patient_report",
}
# Walked twice: the clinician's version differs from the patient's.
CLINICIAN_PAGES |= {"alerts:inbox", "account_security", "mfa_index", "account_change_password"}

POST_ONLY = "POST only: an action behind a button on a walked page, no page of its own"
DOWNLOAD = "a download (PDF, ZIP, CSV, ICS or JSON), not a page"
API = "the JSON API (api/v1/, its schema): no HTML"
REDIRECT = "only redirects (to the reauthentication or sign-in page, which are walked)"
SKIPPED = {
    "home": "redirects to the role's home page (walked)",
    "healthz": "JSON health report for monitors",
    "session_status": "JSON polled by the session-timeout script",
    "session_keep_alive": POST_ONLY,
    "clinic:note_add": POST_ONLY,
    "clinic:invite_resend": POST_ONLY,
    "alerts:inbox_read": POST_ONLY,
    "alerts:snooze": POST_ONLY,
    "alerts:acknowledge": POST_ONLY,
    "alerts:resolve": POST_ONLY,
    "device_revoke": POST_ONLY,
    "exports:calendar": POST_ONLY + " (makes or stops the calendar address)",
    "exports:my_report_pdf": DOWNLOAD, "exports:patient_report_pdf": DOWNLOAD,
    "exports:archive": DOWNLOAD, "exports:my_csv": DOWNLOAD, "exports:patient_csv": DOWNLOAD,
    "exports:my_fhir": DOWNLOAD, "exports:patient_fhir": DOWNLOAD, "exports:feed": DOWNLOAD,
    "mfa_download_recovery_codes": DOWNLOAD + " (recovery codes as text)",
    "account_set_password": "redirects to the password change page (walked)",
    "account_email_verification_sent": "redirects to the email page (walked)",
    "account_confirm_login_code": "login by code is off: redirects to sign-in",
    "mfa_authenticate": "the code step of sign-in: walked by every staff login_as",
    "mfa_activate_totp": REDIRECT, "mfa_deactivate_totp": REDIRECT,
    "mfa_view_recovery_codes": "404 until recovery codes exist; same layout as mfa_index",
    "mfa_generate_recovery_codes": REDIRECT, "mfa_add_webauthn": REDIRECT,
    "mfa_reauthenticate_webauthn": REDIRECT, "mfa_remove_webauthn": REDIRECT,
    "mfa_edit_webauthn": REDIRECT,
}
API_PREFIX = "api:"  # every api:* name except api:docs (walked) is skipped as API

# Django admin: every changelist is walked; these Django admin URL kinds are represented by
# one model each (same Django template for every model) or are not pages.
ADMIN_KINDS_WALKED_ONCE = {"add", "change", "history", "delete", "app_list", "password_change",
                          "password_change_done", "user_password_change"}
ADMIN_KINDS_SKIPPED = {
    "autocomplete": "JSON for select widgets",
    "jsi18n": "JavaScript catalogue",
    "view_on_site": "redirects to the object's page",
    "login": "the admin signs in through allauth (walked)",
    "logout": POST_ONLY,
}

# Findings in markup that is not ours (Django's admin widgets, the vendored swagger-ui), which we
# cannot change without forking it. Narrow: a rule, a page and a selector. In docs/testing.md.
EXCLUDED = [
    # (rule, path regex, selector regex, why)
    ("aria-input-field-name", r"^/admin/", r"select2",
     "Django's autocomplete widget (its bundled select2) names its combobox by the chosen "
     "value only; an empty row's box has no name"),
    # The API's documentation page is swagger-ui (static/vendor), for developers only.
    ("color-contrast", r"^/api/docs/", r".", "swagger-ui's own colours"),
    ("nested-interactive", r"^/api/docs/", r"opblock-summary", "swagger-ui's operation rows"),
    ("target-size", r"^/api/docs/", r".", "swagger-ui's operation links"),
]


def _admin_names(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or prefix:
                yield from _admin_names(entry, "admin:")
        elif prefix and entry.name:
            yield entry.name


def admin_kind(name: str) -> str:
    if name.endswith("_password_change"):  # the user admin's "set this user's password"
        return "user_password_change"
    for kind in sorted(ADMIN_KINDS_WALKED_ONCE | set(ADMIN_KINDS_SKIPPED) | {"changelist"},
                       key=len, reverse=True):
        if name == kind or name.endswith("_" + kind):
            return kind
    return "index" if name == "index" else name


def admin_paths(ids: dict) -> list[str]:
    paths = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    injection = ids["injections:pk"]
    paths += [reverse("admin:injections_injection_change", args=[injection]),
              reverse("admin:injections_injection_history", args=[injection]),
              reverse("admin:accounts_patientprofile_change", args=[ids["patient_id"]]),
              reverse("admin:injections_protocoltemplate_add"),
              reverse("admin:injections_injection_delete", args=[injection]),  # GET: confirm
              reverse("admin:app_list", args=["injections"]),
              reverse("admin:auth_user_password_change", args=[ids["user"]]),
              reverse("admin:password_change"), reverse("admin:password_change_done")]
    return paths


def walk_ids() -> dict:
    """The demo objects behind each parameter; what the demo data lacks (a conversation) is
    made, so that each page is walked as a page and not as "not found"."""
    ids = demo_ids()
    liam = PatientProfile.objects.get(user__email=PATIENT_EMAIL)
    thread = MessageThread.objects.filter(patient=liam).first() or thread_start(
        patient=liam, author=liam.user, subject="My feet", body="Numb again since Monday.",
        now=timezone.now())
    ids["thread_id"] = thread.pk
    ids["user"] = liam.user_id
    checkin = InjectionFollowUp.objects.filter(injection__patient=liam,
                                               kind=FollowUpKind.CHECKIN).first()
    if checkin is None:  # Liam's nurse gives his injections: ask as if a carer had
        injection = Injection.objects.filter(patient=liam).latest("taken_at")
        checkin = InjectionFollowUp.objects.create(
            injection=injection, patient_id=liam.pk, kind=FollowUpKind.CHECKIN,
            due_at=injection.taken_at + dt.timedelta(minutes=30))
    own_result = LabResult.objects.filter(patient=liam, source="patient").first()
    ids["by_name"] = {
        "injections:checkin": {"pk": checkin.injection_id},
        "labs:result_delete": {"pk": own_result.pk} if own_result else {},
        "account_reset_password_from_key": {"uidb36": "1", "key": "not-a-key"},
    }
    return ids


def paths_for(names: set[str], ids: dict) -> list[str]:
    params = dict(named_patterns())
    return [reverse(name, kwargs={**kwargs_for(name, params[name], ids),
                                  **ids["by_name"].get(name, {})})
            for name in sorted(names)]


AXE_RUN = """async ([tags]) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact,
      targets: v.nodes.map(n => n.target.join(' '))}));
}"""


def excluded(rule: str, path: str, target: str) -> bool:
    return any(rule == r and re.search(p, path) and re.search(s, target)
               for r, p, s, _ in EXCLUDED)


def audit(page, path: str) -> list[str]:
    """Serious and critical findings of the page now open, at phone and desktop size."""
    found = []
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        for v in page.evaluate(AXE_RUN, [TAGS]):
            if v["impact"] not in FAILING_IMPACTS:
                continue
            targets = [t for t in v["targets"] if not excluded(v["id"], path, t)]
            if targets:
                found.append(f"{size} {v['id']} ({v['impact']}): {', '.join(targets[:6])}"
                             + (f" and {len(targets) - 6} more" if len(targets) > 6 else ""))
    return found


def walk(page, base: str, paths: list[str], problems: dict) -> None:
    for path in paths:
        response = page.goto(base + path)
        if response is None or response.status >= 400:
            # A walked page must be a page: a 404 here means the demo object is wrong.
            problems[path] = [f"answered {response and response.status}, not a page"]
            continue
        found = audit(page, path)
        if found:
            problems[path] = found


@pytest.fixture
def demo(transactional_db):
    with override_settings(DEBUG=True):  # demo data is created only in DEBUG runs
        call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def browser(transactional_db, live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        from django.db import connections

        connections.close_all()


def new_page(browser, **options):
    # bypass_csp: only so that the test can inject axe-core's script into our pages.
    context = browser.new_context(viewport=PHONE, locale="en-GB", bypass_csp=True, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_every_url_pattern_is_walked_or_skipped():
    names = {name for name, _ in named_patterns()}
    walked = ANONYMOUS_PAGES | PATIENT_PAGES | CLINICIAN_PAGES
    skipped = set(SKIPPED) | {n for n in names if n.startswith(API_PREFIX) and n != "api:docs"}
    assert names - walked - skipped == set(), "new page: walk it in test_browser_axe or skip it"
    assert walked - names == set() and set(SKIPPED) - names == set()  # no stale entries
    assert walked & set(SKIPPED) == set()
    kinds = {admin_kind(name) for name in _admin_names()}
    assert kinds <= {"index", "changelist"} | ADMIN_KINDS_WALKED_ONCE | set(ADMIN_KINDS_SKIPPED)


@pytest.mark.browser
def test_every_page_of_every_role_passes_axe_at_phone_and_desktop_size(browser, live_server,
                                                                       demo):
    ids = walk_ids()
    problems: dict[str, list[str]] = {}
    page = new_page(browser)
    walk(page, live_server.url, paths_for(ANONYMOUS_PAGES, ids), problems)
    for email, names in ((PATIENT_EMAIL, PATIENT_PAGES), (CLINICIAN_EMAIL, CLINICIAN_PAGES)):
        page.context.close()
        page = new_page(browser)
        login_as(page, live_server, email, settings.DEMO_PASSWORD)
        walk(page, live_server.url, paths_for(names - {"account_logout"}, ids), problems)
        if "account_logout" in names:  # last: the page is only a confirmation, but be safe
            walk(page, live_server.url, [reverse("account_logout")], problems)
    page.context.close()
    page = new_page(browser)
    login_as(page, live_server, ADMIN_EMAIL, settings.DEMO_PASSWORD)
    walk(page, live_server.url, admin_paths(ids), problems)
    page.context.close()
    report = "\n".join(f"{path}\n  " + "\n  ".join(found) for path, found in problems.items())
    assert not problems, f"axe found serious or critical problems:\n{report}"


def _focus_visible(page) -> bool:
    """The focused element shows a focus indicator: an outline or a box-shadow ring."""
    return page.evaluate("""() => {
      const e = document.activeElement;
      if (!e || e === document.body) return false;
      const s = getComputedStyle(e);
      const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
      return outline || (s.boxShadow && s.boxShadow !== 'none');
    }""")


FOCUSED = """() => { const e = document.activeElement;
    const l = e.labels && e.labels[0] ? e.labels[0].innerText : '';
    return {text: ((e.getAttribute('aria-label') || '') + ' ' + (e.innerText || '') + ' ' + l)
                  .trim(), type: e.type || '', checked: !!e.checked, name: e.name || '',
            html: e.outerHTML.slice(0, 200)}; }"""


def _tab_to(page, accessible_name: str, limit: int = 120, tick: bool = False) -> None:
    """Press Tab until the focused element's text or label contains ``accessible_name``,
    checking at every stop that the focus can be seen. With ``tick``, Space answers on the way
    what the page asks: the first radio of an unanswered group, an unticked confirmation."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert _focus_visible(page), f"focus not visible on {focused['html']}"
        if accessible_name.lower() in focused["text"].lower():
            return
        if tick and not focused["checked"] and (
                (focused["type"] == "radio" and not page.evaluate(
                    "n => !!document.querySelector(`input[name='${n}']:checked`)",
                    focused["name"])) or
                (focused["type"] == "checkbox" and focused["name"] == "confirm")):
            page.keyboard.press("Space")
    raise AssertionError(f"Tab never reached {accessible_name!r}")


@pytest.mark.browser
def test_a_dose_can_be_logged_with_the_keyboard_alone_and_focus_always_shows(browser,
                                                                             live_server, demo):
    """From the patient's home to a saved injection with Tab, Space and Enter only."""
    # Reduced motion: the focus ring is read the instant focus lands, not mid-transition.
    page = new_page(browser, reduced_motion="reduce")
    login_as(page, live_server, PATIENT_EMAIL, settings.DEMO_PASSWORD)
    assert page.url.endswith("/me/")
    injections = Injection.objects.filter(patient__user__email=PATIENT_EMAIL)
    before = injections.count()
    _tab_to(page, "Log ")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/injections/log/" in page.url
    for _ in range(3):  # the guard rails may ask (timing, "log it anyway?") before saving
        _tab_to(page, "Save injection", tick=True)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if injections.count() > before:
            break
    assert injections.count() == before + 1
    assert page.get_by_text("Injection recorded").first.is_visible()
    page.context.close()
