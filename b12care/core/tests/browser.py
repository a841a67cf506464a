"""Helpers for browser journeys: Playwright driving Debian's chromium (no browser download).

Fixtures live in the root conftest.py (``browser_page``); journeys are marked
``@pytest.mark.browser``. A failing journey saves a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Flags for a sandboxed, offline machine: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is not None


def click_and_wait(page, locator) -> None:
    """Click something that navigates (a form's button, a link) and return once the new page
    has loaded. ``wait_for_load_state`` after a click can return before the navigation has
    even begun, and the next assertion then reads the old page."""
    with page.expect_navigation():
        locator.click()


def login_as(page, live_server, email: str, password: str) -> None:
    """Sign in through the real allauth form, as a person would; when asked for the code of
    an authenticator app (clinicians, admins), type what the user's app would show now."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    click_and_wait(page, page.get_by_role("button", name="Sign in"))
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code").fill(current_code(email))
        click_and_wait(page, page.get_by_role("button", name="Sign in"))


def current_code(email: str) -> str:
    """The code the authenticator app of ``email`` shows now (tests and demo data only)."""
    import time

    from allauth.mfa.models import Authenticator

    from b12care.accounts.mfa import decrypt_secret, totp_code

    totp = Authenticator.objects.get(user__email=email, type=Authenticator.Type.TOTP)
    return totp_code(decrypt_secret(totp.data["secret"]), at=time.time())
