"""Signal receivers of the accounts app, connected in ``AccountsConfig.ready``.

Sessions start their clocks at sign-in and end everywhere on deactivation and password reset
(everywhere else on a password change); every user has a verified primary email address, so a
new address must be verified before it can replace it.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.utils import timezone

from . import mfa, sessions
from .adapter import note_authentication_step


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Start the session's clocks, look up once whether MFA is in place (pages then read the
    answer from the session instead of asking the database every time), and list the session
    on the sessions page whichever way it began (allauth lists only its own sign-ins)."""
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session, now=timezone.now())
        mfa.setup_needed(user, request.session)
        if getattr(request, "user", None) is not None:  # test clients' bare requests have none
            UserSession.objects.create_from_request(request)


def on_authentication_step(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        note_authentication_step(request, user)


def on_password_changed(sender, request, user, **kwargs) -> None:
    """Someone who changes their password wants everyone else out (Django's session hash
    already refuses those sessions; this removes them from the sessions list too)."""
    keep = request.session.session_key if request is not None else None
    sessions.end_other_sessions(user, keep_session_key=keep)


def on_password_reset(sender, request, user, **kwargs) -> None:
    sessions.end_all_sessions(user)


def on_user_saved(sender, instance, created, **kwargs) -> None:
    if created and instance.email:
        # Created by an admin or an inviting clinician, who vouch for the address.
        EmailAddress.objects.get_or_create(
            user=instance, email=instance.email.lower(),
            defaults={"verified": True, "primary": True},
        )
    if not created and not instance.is_active:
        sessions.end_all_sessions(instance)
