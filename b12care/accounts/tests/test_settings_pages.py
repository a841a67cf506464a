"""Every role reaches its account settings from the menu, and allauth's pages look like ours:
sentence case, a way back, destructive actions in red outline, nothing grey that looks off."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav(body: str) -> str:
    return body.split('id="main-nav"')[1].split("</nav>")[0]


@pytest.mark.parametrize("who", ["patient", "clinician", "admin_user"])
def test_every_role_has_a_settings_link_in_the_menu(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    body = client.get(reverse("account_security"), follow=True).content.decode()
    assert f'href="{reverse("account_security")}">Settings</a>' in nav(body)


def test_the_settings_link_is_marked_current_on_the_settings_page(patient_client):
    body = patient_client.get(reverse("account_security")).content.decode()
    assert re.search(r'active" aria-current="page" href="/accounts/security/">Settings<', body)


def test_the_password_page_is_in_sentence_case_with_a_way_back(patient_client):
    body = patient_client.get(reverse("account_change_password")).content.decode()
    assert "<h1 class=\"h3 mb-3\">Change password</h1>" in body
    assert "Change Password" not in body
    assert f'href="{reverse("account_security")}">Back to sign-in and security' in body
    assert 'class="btn btn-primary' in body  # the one action


def test_two_step_pages_show_removal_as_a_red_outline_and_other_actions_in_colour(
    patient_client, patient
):
    from b12care.accounts import mfa

    mfa.totp_activate(patient.user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    body = patient_client.get(reverse("mfa_index")).content.decode().split('id="main"')[1]
    buttons = re.findall(r'class="btn ([\w-]+)[^"]*"[^>]*>\s*([^<]+?)\s*<', body)
    assert buttons, body
    for cls, text in buttons:
        if any(word in text.lower() for word in ("turn off", "remove", "deactivate")):
            assert cls == "btn-outline-danger", (cls, text)
        else:
            assert cls in ("btn-primary", "btn-outline-primary"), (cls, text)


def test_the_settings_page_offers_each_action_in_colour_and_closing_in_red(patient_client):
    body = patient_client.get(reverse("account_security")).content.decode().split('id="main"')[1]
    buttons = dict((text.strip(), cls) for cls, text in
                   re.findall(r'class="btn ([\w-]+)[^"]*"[^>]*>([^<]+)<', body))
    assert buttons["Close my account"] == "btn-outline-danger"
    assert buttons["Change password"] == buttons["See and end sessions"] == "btn-outline-primary"
