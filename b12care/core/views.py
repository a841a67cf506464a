"""The health endpoint and the server-error page."""

from __future__ import annotations

import ipaddress
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
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
    """``{"status": ...}`` for anyone: ``degraded`` (503) when the database or broker is down,
    else ``ok``, ``starting`` or ``stale`` (200) by when a worker was last seen (health.py);
    which part is down and the worker's last beat only for staff and probes on this machine."""
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



# Raised by the database driver when PostgreSQL is down or restarting (connection refused,
# server closed the connection, connection already closed).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage answers 503 "Nothing was saved. Please try again in a
    minute." (a form sent again carries its token and is recorded once); anything else the
    usual 500 page. Both render without the request: no context processor touches the
    database."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "60"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))
