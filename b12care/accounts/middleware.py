"""Thin middleware over the session and MFA rules (b12care/accounts/sessions.py and mfa.py)."""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import mfa, sessions


class SessionLimitsMiddleware:
    """Signs out a session idle for too long or older than the absolute lifetime, with a
    message on the sign-in page that says why. Every other request counts as activity,
    except the status check that the warning script makes."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            ended = self._enforce(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> HttpResponse | None:
        now = timezone.now()
        instants = sessions.read_instants(request.session)
        if instants is None:
            sessions.start(request.session, now=now)
            return None
        started_at, seen_at = instants
        limits = sessions.limits_for(request.user)
        reason = sessions.ended(started_at=started_at, seen_at=seen_at, now=now, limits=limits)
        if reason is not None:
            return self._sign_out(request, sessions.signed_out_message(reason, limits))
        if request.path_info != reverse("session_status") and sessions.needs_touch(
            seen_at=seen_at, now=now
        ):
            sessions.touch(request.session, now=now)
            sessions.record_activity(request.session.session_key, now=now)
        return None

    def _sign_out(self, request: HttpRequest, message: str) -> HttpResponse | None:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
        logout(request)
        messages.info(request, message)
        if request.path_info == reverse("session_status") or _wants_json(request):
            return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
        if request.path_info == reverse("account_login"):
            return None  # already on the sign-in page: show it, or sign in with what was posted
        return redirect_to_login(request.get_full_path())


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


class MfaRequiredMiddleware:
    """Holds a clinician or admin without an authenticator app at the MFA setup page: no page
    outside /accounts/ (so none with patient data, nor the Django admin) renders until then."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and not mfa.is_exempt(request.path_info)
                and mfa.setup_needed(user, request.session)):
            messages.info(request, "Clinicians and administrators sign in with a code from an "
                                   "authenticator app. Set one up to continue.")
            return redirect(mfa.setup_url())
        return self.get_response(request)
