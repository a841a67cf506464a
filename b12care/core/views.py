"""Home pages and the health endpoint. Thin: data comes from each app's home module."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from b12care.accounts.access import own_patient_profile, patient_required
from b12care.accounts.models import Role

from .health import health_report
from .sections import page_sections


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    if request.user.role == Role.PATIENT:
        return redirect("patient_home")
    return redirect("clinic:dashboard")


@patient_required
def patient_home(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    patient.user = request.user  # the same object as the nav's, so per-request reads are shared
    context = {
        "patient": patient,
        "sections": page_sections(request, patient, page="home", now=timezone.now()),
    }
    return render(request, "core/patient_home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    ok, report = health_report()
    return JsonResponse(report, status=200 if ok else 503)

