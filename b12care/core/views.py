"""The health endpoint."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report

# Set by a reverse proxy on every request it forwards: such a request came from outside,
# even though it reaches us from 127.0.0.1.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED",
                 "HTTP_X_REAL_IP")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"status": "ok" | "degraded"}`` (200 or 503) for anyone; which part is down, versions
    and the worker's last beat only for staff and for probes on this machine."""
    ok, report = health_report()
    body = report if may_see_health_details(request) else {"status": report["status"]}
    return JsonResponse(body, status=200 if ok else 503)


def may_see_health_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return is_local_probe(request)


def is_local_probe(request: HttpRequest) -> bool:
    """A request from this machine that no proxy forwarded (e.g. ``curl 127.0.0.1:8000``)."""
    if any(name in request.META for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the Django admin's)."""
    return redirect(static("img/icon.svg"))

