"""Signing in through the real allauth pages in tests, as a person would (password, then the
code from the authenticator app), from a chosen address."""

from __future__ import annotations

import time

from django.urls import reverse

from b12care.accounts.mfa import totp_code

from .factories import TEST_TOTP_SECRET

PASSWORD = "correct-horse-battery"
HOME = "198.51.100.7"  # the account owner's address
ATTACKER = "203.0.113.66"


def post_password(client, email: str, password: str = PASSWORD, *, addr: str = HOME):
    return client.post(reverse("account_login"), {"login": email, "password": password},
                       REMOTE_ADDR=addr)


def post_code(client, code: str | None = None, *, addr: str = HOME):
    code = code or totp_code(TEST_TOTP_SECRET, at=time.time())
    return client.post(reverse("mfa_authenticate"), {"code": code}, REMOTE_ADDR=addr)


def sign_in(client, email: str, password: str = PASSWORD, *, addr: str = HOME,
            with_code: bool = True):
    """Password, then (when asked) the current code; returns the last response."""
    response = post_password(client, email, password, addr=addr)
    if with_code and response.status_code == 302 and response.url == reverse("mfa_authenticate"):
        response = post_code(client, addr=addr)
    return response


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session
