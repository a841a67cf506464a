"""Account pages of our own; sign-in, sign-out, MFA, email and sessions pages are allauth's."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from allauth.usersessions.views import ListUserSessionsView
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import audit, forms, mfa, services, sessions
from .access import access_patient, clinician_required, own_patient_profile, patient_required


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """An invited patient chooses a password through a one-time link, then is signed in."""

    template_name = "accounts/invite_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Welcome to B12 Care.")
        return response


def _session_state(request: HttpRequest) -> dict:
    instants = sessions.read_instants(request.session)
    if instants is None:
        return {"signed_in": True, "seconds_left": None, "ends_by": None}
    started_at, seen_at = instants
    left, rule = sessions.seconds_left(
        started_at=started_at, seen_at=seen_at, now=timezone.now(),
        limits=sessions.limits_for(request.user),
    )
    return {"signed_in": True, "seconds_left": left, "ends_by": rule.value}


@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left; asking does not count as activity. An ended session
    is answered by SessionLimitsMiddleware (401) before this view runs."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    return JsonResponse(_session_state(request))


@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """'Stay signed in': a request like any other (it counts as activity). Without script
    the form posts here and comes back to the page it was on."""
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if not request.user.is_authenticated:
        if wants_json:
            return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
        return redirect_to_login(request.POST.get("next") or "/")
    sessions.touch(request.session, now=timezone.now())
    if wants_json:
        return JsonResponse(_session_state(request))
    target = request.POST.get("next", "")
    # Only a path of ours; redirect() would take "1e308" for a URL name and fail.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


class SessionsView(ListUserSessionsView):
    """allauth's sessions page, without the sessions our time limits have already closed."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        live = sessions.end_lapsed(context["sessions"], user=self.request.user,
                                   now=timezone.now())
        context.update(sessions=live, session_count=len(live))
        return context


sessions_list = SessionsView.as_view()


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """One page for sign-in settings: email, password, two-step sign-in, signed-in devices."""
    user = request.user
    return render(request, "accounts/security.html", {
        "has_mfa": mfa.has_second_factor(user),
        "mfa_required": mfa.is_required(user),
        "has_recovery_codes": Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).exists(),
        "session_count": UserSession.objects.filter(user_id=user.pk).count(),
    })


@patient_required
def record_views(request: HttpRequest) -> HttpResponse:
    """Who looked at my record: every read of the patient's data by someone else, newest
    first, in their own time zone."""
    patient = own_patient_profile(request.user)
    return render(request, "accounts/record_views.html", {
        "patient": patient, "own": True,
        "page": audit.who_looked_page(patient, number=request.GET.get("page")),
    })


# --- Account closure ----------------------------------------------------------------------------

@never_cache
@patient_required
def closure(request: HttpRequest) -> HttpResponse:
    """The patient asks for their account to be closed (or withdraws the request). The page
    says what is kept for the legal retention period before they ask."""
    patient = own_patient_profile(request.user)
    form = forms.ClosureRequestForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            services.closure_request_withdraw(patient=patient, now=timezone.now())
            messages.success(request, "Your request is withdrawn. Your account stays open.")
            return redirect("account_closure")
        if form.is_valid():
            services.closure_request_create(patient=patient, reason=form.cleaned_data["reason"],
                                            now=timezone.now())
            messages.success(request, "Your request is sent to your care team.")
            return redirect("account_closure")
    return render(request, "accounts/closure.html", {
        "form": form, "open_request": services.open_closure_request(patient), "patient": patient,
    })


@never_cache
@clinician_required
def closure_review(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A clinician of the care team (or an admin) reads the request and confirms it."""
    patient = access_patient(request.user, patient_id, action="accounts.closure")
    open_request = services.open_closure_request(patient)
    if request.method == "POST" and open_request is not None:
        services.closure_confirm(request=open_request, by=request.user, now=timezone.now())
        messages.success(request, f"{patient.display_name}'s account is closed.")
        return redirect("account_closure_review", patient_id=patient.pk)
    return render(request, "accounts/closure_review.html", {
        "patient": patient, "open_request": open_request,
        "history": patient.closure_requests.select_related("decided_by"),
    })
