"""allauth adapter: B12 Care is a clinical service, so there is no open sign-up.

Patients are invited by their clinician (see services.patient_invite); staff are created by
admins. Changes to allauth's defaults, explained in docs/security.md:

- failed sign-ins are counted per (address, account), so nobody can lock an account owner out
  by guessing from elsewhere (allauth's per-account key alone would let them);
- a password or MFA code entered at sign-in counts as re-authentication for the next
  ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds, as a re-entered one does;
- signing out answers with ``Clear-Site-Data: "cache", "cookies", "storage"``
  (core.middleware): the browser then forgets every cookie of the site, including the one that
  would carry allauth's "You have signed out." message. So that message is not stored; the
  redirect to the sign-in page says it in its address (``?signed_out=1``) instead.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.core.exceptions import ValidationError

from . import audit

AUTHENTICATED_AT_KEY = "b12.authenticated_at"
SIGNED_OUT_PARAM = "signed_out"


def note_authentication_step(request, user) -> None:
    """Remember when ``user`` last proved who they are in this session (password or MFA, at
    sign-in or re-authentication); connected to allauth's ``authentication_step_completed``."""
    request.session[AUTHENTICATED_AT_KEY] = [str(user.pk), time.time()]


def authenticated_recently(request, *, now: float) -> bool:
    user = getattr(request, "user", None)
    stored = request.session.get(AUTHENTICATED_AT_KEY) if user is not None else None
    if not stored or not user.is_authenticated or stored[0] != str(user.pk):
        return False
    return now - stored[1] < account_settings.REAUTHENTICATION_TIMEOUT


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of allauth's per-key ``login_failed`` limits: (address, account), so a
        limit reached from one address does not stop the owner signing in from another."""
        account_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self.get_client_ip(request)}|{account_key}"

    def pre_authenticate(self, request, **credentials) -> None:
        """allauth's limits; a sign-in they hold back is written to the audit log."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            audit.sign_in_throttled(request, email=credentials.get("email", ""))
            raise

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = context.request
        return request is None or not authenticated_recently(request, now=time.time())

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        if message_template == "account/messages/logged_out.txt":
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def get_logout_redirect_url(self, request) -> str:
        url = super().get_logout_redirect_url(request)
        if request.user.is_authenticated:  # asked before signing out: someone is signing out
            url += ("&" if "?" in url else "?") + f"{SIGNED_OUT_PARAM}=1"
        return url
