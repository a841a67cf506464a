"""Web pages of the API app: Devices (connect and revoke apps) and the API docs. Thin: the
services in b12care.api.services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView

from b12care.accounts.models import Role
from b12care.core.forms import add_service_errors

from . import services
from .forms import DeviceForm
from .models import DeviceToken

schema_view = SpectacularAPIView.as_view()


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 (``handler404``): API paths answer in JSON as the API does (e.g. an id
    that is not a number matches no URL); other pages keep the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


@ensure_csrf_cookie  # "Try it out" sends it back on writes (static/js/api-docs.js)
def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI over /api/schema/, from our own static files (no CDN, no inline script)."""
    return render(request, "api/docs.html")


@login_required
@require_http_methods(["GET", "POST"])
def devices(request: HttpRequest) -> HttpResponse:
    """The user's connected devices; a new one's token is shown on this response only."""
    form = DeviceForm(request.POST or None)
    created = raw = None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = services.device_token_create(
                user=request.user, name=form.cleaned_data["name"], now=timezone.now())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = DeviceForm()
    tokens = DeviceToken.objects.filter(user=request.user)
    # Times in the patient's own zone; a clinician's devices have no patient's zone: UTC, named.
    patient = (getattr(request.user, "patient_profile", None)
               if request.user.role == Role.PATIENT else None)
    response = render(request, "api/devices.html",
                      {"form": form, "tokens": tokens, "created": created, "raw_token": raw,
                       "patient": patient})
    response["Cache-Control"] = "no-store"  # the page may carry a token
    return response


@login_required
@require_POST
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(DeviceToken, pk=pk, user=request.user)
    services.device_token_revoke(token=token, by=request.user, now=timezone.now())
    messages.success(request, f"“{token.name}” is disconnected. Its token no longer works.")
    return redirect("devices")
