"""Every page, for every role, carries the security headers: a strict Content-Security-Policy,
no caching, the browser's powerful features switched off. The URL resolver is walked, so a new
page is covered the day it is added."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from b12care.accounts.models import PatientProfile, User
from b12care.alerts.models import Alert, InAppMessage
from injections.models import Injection, Phase
from labs.models import LabResult, PlannedLab, PlanStatus

pytestmark = pytest.mark.django_db

# Whose demo data the walk opens: Liam (five days into induction) has injections, labs, open
# planned labs, an alert and a clinician (C1).
PATIENT_EMAIL = "liam@b12care.example"
CLINICIAN_EMAIL = "clinician@b12care.example"
ADMIN_EMAIL = "admin@b12care.example"
# The admin's own pages are Django's; a few stand for all of them.
ADMIN_PAGES = ("admin:index", "admin:accounts_user_changelist",
               "admin:accounts_patientprofile_changelist")


def _params(pattern) -> tuple[str, ...]:
    return tuple(getattr(pattern, "converters", None) or pattern.regex.groupindex)


def named_patterns(resolver=None, namespace="", outer=()):
    """(name, parameter names) of every named URL outside the Django admin; parameters of
    enclosing includes count too (allauth nests its security-key pages under keys/<pk>/)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, prefix, outer + _params(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", outer + _params(entry.pattern)


def demo_ids() -> dict[str, object]:
    """Real objects of the demo patient for every parameter the URLs take."""
    liam = PatientProfile.objects.get(user__email=PATIENT_EMAIL)
    noah = User.objects.get(email="noah@b12care.example")  # invited, no password yet
    result = LabResult.objects.filter(patient=liam).select_related("analyte").first()
    message = InAppMessage.objects.filter(user=liam.user).first()
    return {
        "patient_id": liam.pk,
        "phase_id": Phase.objects.filter(regimen__patient=liam).values_list("pk", flat=True)[0],
        "alert_id": Alert.objects.filter(patient=liam).values_list("pk", flat=True)[0],
        "message_id": message.pk if message else 999_999,
        "key": result.analyte.key,
        "uidb64": urlsafe_base64_encode(force_bytes(noah.pk)),
        "token": default_token_generator.make_token(noah),
        "uidb36": "1",
        # ``pk`` names a different object in each app.
        "injections:pk": Injection.objects.filter(patient=liam).latest("taken_at").pk,
        "labs:pk": result.pk,
        "labs:plan:pk": PlannedLab.objects.filter(patient=liam, status=PlanStatus.OPEN)
        .values_list("pk", flat=True)[0],
    }


def kwargs_for(name: str, params: tuple[str, ...], ids: dict[str, object]) -> dict[str, object]:
    kwargs = {}
    for param in params:
        if param == "pk":
            app = name.split(":")[0]
            kwargs[param] = ids.get(f"{app}:plan:pk" if "plan" in name else f"{app}:pk", 999_999)
        else:
            # A parameter no page had when this test was written: a value that resolves. The
            # page may answer 404, and its headers are checked all the same.
            kwargs[param] = ids.get(param, "1")
    return kwargs


def walk(client) -> dict[str, object]:
    ids = demo_ids()
    responses = {}
    for name, params in named_patterns():
        responses[name] = client.get(reverse(name, kwargs=kwargs_for(name, params, ids)))
    for name in ADMIN_PAGES:
        responses[name] = client.get(reverse(name))
    return responses


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def header_problems(response) -> list[str]:
    problems = []
    csp = directives(response.get("Content-Security-Policy", ""))
    for directive, sources in csp.items():
        for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*"):
            if unsafe in sources:
                problems.append(f"{directive} allows {unsafe}")
    expected_csp = {"default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
                    "frame-ancestors": ["'none'"], "object-src": ["'none'"],
                    "base-uri": ["'none'"], "form-action": ["'self'"]}
    for directive, sources in expected_csp.items():
        if csp.get(directive) != sources:
            problems.append(f"CSP {directive} is {csp.get(directive)}")
    if "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"Cache-Control is {response.get('Cache-Control')!r}")
    policy = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        if feature not in policy:
            problems.append(f"Permissions-Policy lacks {feature}")
    expected = {"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
                "Cross-Origin-Opener-Policy": "same-origin", "X-Frame-Options": "DENY"}
    for header, value in expected.items():
        if response.get(header) != value:
            problems.append(f"{header} is {response.get(header)!r}")
    return problems


@pytest.fixture
def demo():
    with override_settings(DEBUG=True):  # demo data is created only in DEBUG runs
        call_command("seed_demo", stdout=io.StringIO())


# Pages each role must really reach (not a redirect or 404), so the walk checks real pages.
REACHED = {
    "anonymous": {"account_login", "account_reset_password", "account_signup", "healthz"},
    PATIENT_EMAIL: {"patient_home", "injections:overview", "injections:log", "injections:supply",
                    "symptoms:checkin", "symptoms:trends", "labs:overview", "labs:analyte",
                    "alerts:inbox", "alerts:preferences", "account_change_password"},
    CLINICIAN_EMAIL: {"clinic:dashboard", "clinic:patient_detail", "clinic:patient_invite",
                      "injections:patient_regimen", "injections:phase_edit",
                      "symptoms:patient_diary", "labs:patient_overview", "labs:plan_edit",
                      "alerts:patient_alerts"},
    ADMIN_EMAIL: set(ADMIN_PAGES),
}


@pytest.mark.parametrize("who", list(REACHED), ids=["anonymous", "patient", "clinician", "admin"])
def test_every_page_carries_the_security_headers_for_every_role(client, demo, who):
    if who != "anonymous":
        client.force_login(User.objects.get(email=who))
    responses = walk(client)
    problems = {name: p for name, r in responses.items() if (p := header_problems(r))}
    assert problems == {}
    not_reached = {name: responses[name].status_code for name in REACHED[who]
                   if responses[name].status_code != 200}
    assert not_reached == {}


def test_the_invitation_page_behind_the_one_time_link_carries_the_headers(client, demo):
    noah = User.objects.get(email="noah@b12care.example")
    link = reverse("invite_accept", args=[urlsafe_base64_encode(force_bytes(noah.pk)),
                                          default_token_generator.make_token(noah)])
    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0].endswith("/set-password/")
    assert response.status_code == 200
    assert header_problems(response) == []


def test_the_walk_covers_every_app(client, demo):
    names = {name.split(":")[0] for name, _ in named_patterns() if ":" in name}
    assert {"clinic", "injections", "symptoms", "labs", "alerts"} <= names
    assert len(list(named_patterns())) >= 60


def test_signing_out_clears_the_browsers_cache_cookies_and_storage(client, patient):
    client.force_login(patient.user)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "_auth_user_id" not in client.session


def test_the_signed_out_notice_travels_in_the_address_not_in_a_cookie(client, patient):
    # The browser drops every cookie on sign-out, so a message cookie would never arrive.
    client.force_login(patient.user)
    response = client.post(reverse("account_logout"))
    assert response["Location"] == "/accounts/login/?signed_out=1"
    assert "messages" not in response.cookies
    page = client.get(response["Location"])
    assert "You have signed out." in page.content.decode()
    assert "You have signed out." not in client.get("/accounts/login/").content.decode()


def test_other_pages_do_not_clear_site_data(client, patient):
    client.force_login(patient.user)
    assert "Clear-Site-Data" not in client.get(reverse("patient_home"))
    assert "Clear-Site-Data" not in client.get(reverse("account_logout"))  # the confirm page


def test_errors_and_redirects_carry_the_headers_too(client, patient):
    client.force_login(patient.user)
    for response in (client.get("/no-such-page/"), client.get("/clinic"),
                     client.post(reverse("clinic:dashboard"))):
        assert response.status_code in (301, 302, 404), response.status_code
        assert header_problems(response) == []


def test_static_files_stay_cacheable_and_carry_no_cookie(client):
    response = client.get("/static/css/b12care.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert not response.cookies


def test_the_admin_history_template_is_simple_historys_without_its_inline_style():
    import simple_history

    ours = (settings.BASE_DIR / "templates/simple_history/object_history_list.html").read_text()
    upstream = (Path(simple_history.__file__).parent
                / "templates/simple_history/object_history_list.html").read_text()
    assert ours.split("{% endcomment %}\n", 1)[1] == upstream.replace(' style="border-top: 0"', "")
