"""The health endpoint."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    ok, report = health_report()
    return JsonResponse(report, status=200 if ok else 503)


@login_required
def bench_baseline(request: HttpRequest) -> HttpResponse:
    """The benchmarks' yardstick: a signed-in page that renders 50 plain rows (no patient data)."""
    from b12care.accounts.models import User

    rows = User.objects.order_by("pk").only("pk", "email", "role", "date_joined")[:50]
    return render(request, "core/bench_baseline.html", {"rows": rows})
