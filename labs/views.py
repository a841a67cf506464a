"""Lab pages for patients (their own results) and clinicians (their patients'). Thin: forms
validate, services write, selectors read; every patient-data query goes through
b12care.accounts.access (outsiders get 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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
from b12care.core import charts, events, providers
from b12care.core.forms import add_service_errors

from . import preferences, selectors, services, units
from .forms import PlannedLabForm, ResultForm
from .models import Analyte, LabResult, PlannedLab, PlanStatus

PAGE_SIZE = 20


def _today(patient: PatientProfile) -> dt.date:
    return timezone.now().astimezone(patient.tz).date()


class Urls:
    """Where links point: the patient's own pages or the clinician's pages about them."""

    def __init__(self, patient: PatientProfile, clinician: bool):
        self.patient, self.clinician = patient, clinician

    def _r(self, name: str, *args) -> str:
        if self.clinician:
            return reverse(f"labs:patient_{name}", args=[self.patient.pk, *args])
        return reverse(f"labs:{name}", args=args)

    @property
    def overview(self) -> str:
        return self._r("overview")

    @property
    def add(self) -> str:
        return self._r("add")

    def add_result(self, key: str) -> str:
        return self._r("add_result", key)

    def analyte(self, key: str) -> str:
        return self._r("analyte", key)

    def result_delete(self, pk: int) -> str:
        return self._r("result_delete", pk)


# --- Shared page bodies ------------------------------------------------------------------------

def _overview(request, patient: PatientProfile, clinician: bool) -> HttpResponse:
    today = _today(patient)
    page = Paginator(selectors.results(patient), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "labs/overview.html", {
        "patient": patient, "clinician": clinician, "urls": Urls(patient, clinician),
        "latest": selectors.latest(patient), "page": page,
        "plan": selectors.plan(patient, today=today), "today": today,
    })


def _choose(request, patient: PatientProfile, clinician: bool) -> HttpResponse:
    urls = Urls(patient, clinician)
    analytes = Analyte.objects.filter(is_active=True)
    return render(request, "labs/add_choose.html", {
        "patient": patient, "clinician": clinician, "urls": urls,
        "analytes": [(a, urls.add_result(a.key)) for a in analytes],
    })


def _add_result(request, patient: PatientProfile, key: str, clinician: bool) -> HttpResponse:
    analyte = selectors.analyte_by_key(key)
    if analyte is None:
        raise Http404("No such test.")
    urls = Urls(patient, clinician)
    accepted = [u.unit for u in analyte.units.all()]
    form = ResultForm(request.POST or None, analyte=analyte,
                      default_unit=preferences.default_unit(patient, analyte, accepted),
                      initial={"sampled_on": _today(patient)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = services.result_record(
                patient=patient, analyte=analyte, sampled_on=data["sampled_on"],
                sampled_time=data.get("sampled_time"), value=data.get("value"),
                unit=data.get("unit", ""), qualitative=data.get("qualitative", ""),
                lab_name=data["lab_name"], notes=data["notes"], by=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = urls.analyte(analyte.key)
            result = recorded.result
            text = f"{analyte.short_name} {result.entered_text} saved"
            if result.was_converted:
                text += f" (= {result.display_value})"
            text += f". {result.flag_label}."
            if result.band:
                text += f" {result.band}."
            messages.success(request, text)
            for planned in recorded.fulfilled:
                messages.info(request, f"This completes the planned test: {planned.label}.")
            if events.needs_guidance(recorded.findings):
                return redirect("alerts:guidance")  # what was saved is shown after what to do
            return redirect(done)
    return render(request, "labs/add_result.html", {
        "patient": patient, "clinician": clinician, "urls": urls, "analyte": analyte,
        "form": form, "range_text": analyte.range_text(patient.sex),
    })


def _analyte(request, patient: PatientProfile, key: str, clinician: bool) -> HttpResponse:
    analyte = selectors.analyte_by_key(key, with_units=False)
    if analyte is None:
        raise Http404("No such test.")
    days = charts.period_from(request.GET.get("days"), default=365)
    today = _today(patient)
    since = charts.period_start(today, days)
    ref = analyte.range_for(patient.sex)
    chart = None
    if not analyte.is_qualitative:
        chart = charts.line_chart(
            title=f"{analyte.name} ({units.display_unit(analyte.canonical_unit)})",
            points=selectors.series(patient, analyte, since=since, until=today),
            start=since, end=today, unit=units.display_unit(analyte.canonical_unit), band=ref,
            band_label="reference range",
            markers=providers.injection_days(patient, since=since, until=today),
        )
    rows = selectors.results(patient).filter(analyte=analyte)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "labs/analyte.html", {
        "patient": patient, "clinician": clinician, "urls": Urls(patient, clinician),
        "analyte": analyte, "chart": chart, "page": page, "days": days,
        "range_text": analyte.range_text(patient.sex),
        "periods": charts.PERIODS,
    })


def _result_delete(request, patient: PatientProfile, pk: int, clinician: bool) -> HttpResponse:
    """Confirm, then delete one result (a mistake); the change history keeps it."""
    result = get_object_or_404(LabResult.objects.select_related("analyte", "patient"), pk=pk,
                               patient=patient)
    urls = Urls(patient, clinician)
    now = timezone.now()
    if not services.can_delete_result(result, request.user, now=now):
        if request.method == "POST" and result.entered_by_id != request.user.pk:
            # No page offers this: a result the clinic entered is theirs (a crafted request).
            raise PermissionDenied("Only your clinic can remove a result they entered.")
        messages.info(request, "After 24 hours only your clinic can remove a result. "
                               "Ask them if this one is wrong.")
        return redirect(urls.analyte(result.analyte.key))
    if request.method == "POST":
        services.result_delete(result=result, by=request.user, now=now)
        day = f"{result.sampled_on.day} {result.sampled_on:%b %Y}"
        messages.success(request, f"The {result.analyte.short_name} result of {day} was removed.")
        return redirect(urls.analyte(result.analyte.key))
    return render(request, "labs/result_delete.html", {
        "patient": patient, "result": result, "cancel_url": urls.analyte(result.analyte.key),
    })


# --- Patient pages -----------------------------------------------------------------------------

@patient_required
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request, own_patient_profile(request.user), False)


@patient_required
def add(request: HttpRequest) -> HttpResponse:
    return _choose(request, own_patient_profile(request.user), False)


@patient_required
@require_http_methods(["GET", "POST"])
def add_result(request: HttpRequest, key: str) -> HttpResponse:
    return _add_result(request, own_patient_profile(request.user), key, False)


@patient_required
def analyte(request: HttpRequest, key: str) -> HttpResponse:
    return _analyte(request, own_patient_profile(request.user), key, False)


@patient_required
@require_http_methods(["GET", "POST"])
def result_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _result_delete(request, own_patient_profile(request.user), pk, False)


# --- Clinician pages ---------------------------------------------------------------------------

@clinician_required
def patient_overview(request: HttpRequest, patient_id: int) -> HttpResponse:
    return _overview(request, access_patient(request.user, patient_id, action="labs.view"), True)


@clinician_required
def patient_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    return _choose(request, access_patient(request.user, patient_id, action="labs.add"), True)


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_add_result(request: HttpRequest, patient_id: int, key: str) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.add")
    return _add_result(request, patient, key, True)


@clinician_required
def patient_analyte(request: HttpRequest, patient_id: int, key: str) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.view")
    return _analyte(request, patient, key, True)


@clinician_required
@require_http_methods(["GET", "POST"])
def patient_result_delete(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.result_delete")
    return _result_delete(request, patient, pk, True)


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.plan")
    form = PlannedLabForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.planned_lab_add(
                patient=patient, analyte=data["analyte"], label=data["label"],
                due_date=data["due_date"], days_before=data["days_before"],
                days_after=data["days_after"], note=data["note"], by=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Test added to the monitoring plan.")
            return redirect("labs:patient_overview", patient.pk)
    return render(request, "labs/plan_form.html",
                  {"patient": patient, "form": form, "planned": None,
                   "urls": Urls(patient, True)})


def _planned(patient: PatientProfile, pk: int) -> PlannedLab:
    return get_object_or_404(PlannedLab.objects.select_related("analyte"), pk=pk,
                             patient=patient)


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.plan")
    planned = _planned(patient, pk)
    if planned.status != PlanStatus.OPEN:
        messages.info(request, "This planned test is closed and can no longer be changed.")
        return redirect("labs:patient_overview", patient.pk)
    initial = {"label": planned.label, "due_date": planned.due_date, "note": planned.note,
               "days_before": (planned.due_date - planned.window_start).days,
               "days_after": (planned.window_end - planned.due_date).days}
    form = PlannedLabForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.planned_lab_update(
                planned=planned, label=data["label"], due_date=data["due_date"],
                days_before=data["days_before"], days_after=data["days_after"],
                note=data["note"], by=request.user, now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Planned test updated.")
            return redirect("labs:patient_overview", patient.pk)
    return render(request, "labs/plan_form.html",
                  {"patient": patient, "form": form, "planned": planned,
                   "urls": Urls(patient, True)})


@clinician_required
@require_http_methods(["GET", "POST"])
def plan_cancel(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="labs.plan")
    planned = _planned(patient, pk)
    if request.method == "POST":
        services.planned_lab_cancel(planned=planned, by=request.user, now=timezone.now())
        messages.success(request, f"“{planned.label}” was removed from the plan.")
        return redirect("labs:patient_overview", patient.pk)
    return render(request, "labs/plan_cancel.html", {"patient": patient, "planned": planned,
                                                      "urls": Urls(patient, True)})
