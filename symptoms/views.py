"""Diary pages. Thin: the form validates, services write, selectors read. Every patient-data
query goes through b12care.accounts.access (outsiders get 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
)
from b12care.accounts.models import PatientProfile
from b12care.core import charts, clock, events, providers

from . import selectors, services
from .forms import CheckInForm

PAGE_SIZE = 15


def trend_charts(patient: PatientProfile, *, today: dt.date,
                 days: int) -> tuple[list[charts.Chart], list[str]]:
    """One 0-10 chart per symptom scored above 0 in the period, and the names of symptoms
    recorded only as 0 (listed in a sentence instead of flat charts)."""
    since = charts.period_start(today, days)
    data = selectors.series(patient, since=since, until=today)
    markers = providers.injection_days(patient, since=since, until=today) if data else []
    result, quiet = [], []
    for symptom in selectors.active_symptoms():
        points = data.get(symptom.code)
        if not points:
            continue
        if not any(value for _, value in points):
            quiet.append(symptom.name)
            continue
        result.append(charts.line_chart(
            title=f"{symptom.name} (0 = none, 10 = worst)", points=points,
            start=since, end=today, y_min=0, y_max=10, unit="/10", markers=markers,
        ))
    return result, quiet


@patient_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    now = timezone.now()
    today = clock.local_day(now, patient.tz)
    symptoms = selectors.active_symptoms()
    todays = selectors.checkin_for_day(patient, today)
    previous = selectors.previous_checkin(patient, today)
    today_scores = selectors.scores_by_code(todays)
    initial = {"notes": todays.notes if todays else ""}
    for code, score in today_scores.items():
        initial[f"s_{code}"] = str(score.severity)
        initial[f"loc_{code}"] = score.location
    form = CheckInForm(request.POST or None, initial=initial, symptoms=symptoms)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.checkin_save(patient=patient, scores=form.scores(),
                                          notes=form.cleaned_data["notes"], by=request.user,
                                          now=now)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                target = f"s_{name}" if f"s_{name}" in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            done = reverse("symptoms:trends")
            messages.success(request, "Today's diary is saved." if saved.created
                             else "Today's diary is updated.")
            if events.needs_guidance(saved.findings):
                return redirect("alerts:guidance")
            return redirect(done)
    context = {
        "patient": patient, "form": form, "today": today, "todays": todays,
        "previous": previous,
        "rows": list(form.rows(selectors.scores_by_code(previous), today_scores)),
    }
    return render(request, "symptoms/checkin.html", context)


def _history(request: HttpRequest, patient: PatientProfile, template: str, extra: dict):
    page = selectors.history_page(patient, request.GET.get("page"), per_page=PAGE_SIZE)
    return render(request, template, {"patient": patient, "page": page, **extra})


@patient_required
def history(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    return _history(request, patient, "symptoms/history.html", {})


@patient_required
def trends(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    days = charts.period_from(request.GET.get("days"))
    today = clock.local_day(timezone.now(), patient.tz)
    found, quiet = trend_charts(patient, today=today, days=days)
    return render(request, "symptoms/trends.html", {
        "patient": patient, "days": days, "periods": charts.PERIODS, "charts": found,
        "quiet": quiet,
    })


@clinician_required
def patient_diary(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="symptoms.diary")
    days = charts.period_from(request.GET.get("days"))
    today = clock.local_day(timezone.now(), patient.tz)
    found, quiet = trend_charts(patient, today=today, days=days)
    return _history(request, patient, "symptoms/patient_diary.html", {
        "days": days, "periods": charts.PERIODS, "charts": found, "quiet": quiet,
    })
