"""The benchmarks' yardstick page (bench URLconf only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from b12care.accounts.models import User


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    """A signed-in page that renders 50 plain rows (no patient data): every benchmarked page is
    reported as a ratio of its throughput to this one's."""
    rows = User.objects.order_by("pk").only("pk", "email", "role", "date_joined")[:50]
    return render(request, "bench/baseline.html", {"rows": rows})
