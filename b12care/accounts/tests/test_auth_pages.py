"""Sign-in, sign-out and password reset through allauth; no open sign-up."""

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_a_patient_signs_in_with_email_and_lands_on_their_home(client, patient):
    response = client.post(
        "/accounts/login/",
        {"login": "PAT@example.org", "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/me/"


def test_a_wrong_password_is_refused_with_a_message(client, patient):
    response = client.post("/accounts/login/", {"login": "pat@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content or b"closed" in response.content.lower()
    client.post("/accounts/signup/", {"email": "x@example.org", "password1": "abcdefghijk1",
                                      "password2": "abcdefghijk1"})
    from b12care.accounts.models import User

    assert not User.objects.filter(email="x@example.org").exists()


def test_sign_out_needs_a_post(patient_client):
    patient_client.get("/accounts/logout/")
    assert "_auth_user_id" in patient_client.session
    patient_client.post("/accounts/logout/")
    assert "_auth_user_id" not in patient_client.session


def test_password_reset_sends_an_email(client, patient):
    client.post("/accounts/password/reset/", {"email": "pat@example.org"})
    assert mail.outbox and mail.outbox[0].to == ["pat@example.org"]


def test_pages_need_sign_in(client):
    assert client.get("/me/")["Location"].startswith("/accounts/login/")
    assert client.get("/clinic/")["Location"].startswith("/accounts/login/")


def test_repeated_wrong_passwords_are_rate_limited(client, patient):
    for _ in range(5):
        client.post("/accounts/login/", {"login": "pat@example.org", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"login": "pat@example.org", "password": "correct-horse-battery"}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
