"""Pages of the injections app. Thin: forms validate input, services write, selectors read.
Every patient-data query goes through b12care.accounts.access (outsiders get 404)."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
    scoped,
)
from b12care.accounts.models import PatientProfile, Role
from b12care.core import clock, events
from b12care.core.forms import add_service_errors

from . import drafts, entry, quicklog, scheduling, selectors, services
from .forms import (
    AssessmentForm,
    InjectionForm,
    PhaseEndForm,
    PhaseForm,
    RegimenFromTemplateForm,
    SupplyForm,
    TrainingForm,
)
from .history import history_page
from .models import Injection, Phase, Supply
from .sections import body_map_sites

# --- Patient pages ----------------------------------------------------------------------------

@patient_required
def overview(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    now = timezone.now()
    context = {
        "patient": patient,
        "summary": selectors.schedule_summary(patient, now=now, upcoming=12),
        "page": history_page(patient, viewer=request.user, now=now,
                             number=request.GET.get("page")),
        "sites": body_map_sites(patient, now=now),
    }
    return render(request, "injections/overview.html", context)


def _log(request: HttpRequest, patient: PatientProfile, *, done_url: str,
         cancel_url: str) -> HttpResponse:
    now = timezone.now()
    form = readiness = None
    if request.method == "POST":
        # The home's one-tap "Taken now" posts here too: same form, guard rails and service.
        data = quicklog.with_taken_now(request.POST, now=now, tz=patient.tz)
        readiness = entry.readiness_for_choice(patient, data.get("administered_by"))
        form = InjectionForm(data, patient=patient,
                             allow_self=readiness.ready if readiness else True,
                             checker=functools.partial(entry.log_verdict, patient,
                                                       on_behalf=request.user.role != Role.PATIENT))
        recorded = _record(request, form, patient, now=now)
        if recorded is not None:
            return _logged(request, recorded, done_url)
    page = entry.log_page(patient, now=now, dose_id=request.GET.get("dose", ""),
                          readiness=readiness)
    on_behalf = request.user.role != Role.PATIENT
    # The clinician logging for the patient is told about the patient, not asked to ask.
    self_reason = (f"Not offered: {patient.display_name} is not cleared for self-injection yet."
                   if on_behalf and not page.readiness.ready else page.self_reason)
    if form is None:
        form = InjectionForm(initial=page.initial, patient=patient,
                             allow_self=page.readiness.ready, self_reason=self_reason)
    else:  # shown again with its errors: offer "self" only to a patient who is ready
        form.offer_self(page.readiness.ready, self_reason)
    return render(request, "injections/log.html", {
        "patient": patient, "form": form, "suggestion": page.suggestion,
        "readiness": page.readiness, "dose_row": page.dose_row, "cancel_url": cancel_url,
        "on_behalf": on_behalf, "sites": body_map_sites(patient, now=now),
    })


def _record(request: HttpRequest, form: InjectionForm, patient: PatientProfile, *,
            now: dt.datetime) -> services.Recorded | None:
    """Record a valid entry; None when the form or the service refused it (its errors are
    then on the form)."""
    if not form.is_valid():
        return None
    try:
        return services.injection_record(
            patient=patient, recorded_by=request.user, now=now,
            form_token=form.cleaned_data.get("form_token") or None, **form.service_values(),
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def _logged(request: HttpRequest, recorded: services.Recorded, done_url: str) -> HttpResponse:
    # The save's confirmation and warnings go with it, also to the guidance page (shown
    # there after what to do now).
    for warning in recorded.warnings:
        messages.warning(request, warning)
    if recorded.created:
        what = ("for " + selectors.phase_label(recorded.planned_dose.phase,
                                               recorded.planned_dose.sequence)
                if recorded.planned_dose else "as an extra dose")
        if recorded.planned_dose and recorded.injection.timing == "early":
            what += ", taken early"
        # A mis-tap (one-tap logging, numb fingers) is put right from here: the entry's own
        # page lets its author change or remove it for 24 hours.
        messages.success(request, format_html(
            'Injection recorded {}. <a href="{}">Wrong? Change or remove it</a>', what,
            reverse("injections:edit", args=[recorded.injection.pk])))
    else:
        messages.info(request, "This injection was already recorded.")
    if events.needs_guidance(recorded.findings):
        return redirect("alerts:guidance")
    return redirect(done_url)


@patient_required
@require_http_methods(["GET", "POST"])
def log(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    return _log(request, patient, done_url=reverse("patient_home"),
                cancel_url=reverse("patient_home"))


@patient_required
@require_http_methods(["GET", "POST"])
def supply(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    now = timezone.now()
    current = Supply.objects.filter(patient=patient).first()
    form = SupplyForm(request.POST or None,
                      initial={"ampoules_on_hand": current.ampoules_on_hand if current else 0})
    if request.method == "POST" and form.is_valid():
        try:
            services.supply_set(patient=patient, ampoules=form.cleaned_data["ampoules_on_hand"],
                                by=request.user, now=now)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your ampoule count is saved.")
            return redirect("injections:overview")
    regimen = services.active_regimen(patient)
    forecast = selectors.supply_forecast(
        patient, regimen, services.phases_of(regimen) if regimen else [], now=now
    )
    return render(request, "injections/supply.html",
                  {"form": form, "forecast": forecast, "patient": patient})


# --- Editing and deleting an entry (patient within 24 h, clinician any time) -----------------

def _injection_for(request: HttpRequest, pk: int) -> Injection:
    if request.user.role not in (Role.PATIENT, Role.CLINICIAN, Role.ADMIN):
        raise Http404
    queryset = scoped(Injection.objects.select_related("patient__user"), request.user)
    injection = get_object_or_404(queryset, pk=pk)
    if request.user.role != Role.PATIENT:
        access_patient(request.user, injection.patient_id, action="injections.edit")
    return injection


def _after_change_url(request: HttpRequest, injection: Injection) -> str:
    if request.user.role == Role.PATIENT:
        return reverse("injections:overview")
    return reverse("injections:patient_regimen", args=[injection.patient_id])


@require_http_methods(["GET", "POST"])
def injection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    injection = _injection_for(request, pk)
    now = timezone.now()
    back = _after_change_url(request, injection)
    refusal = services.change_refusal(injection, request.user, now=now)
    if refusal:
        # A form opened in time may be sent a little late (told why); any other refused POST
        # was never offered by a page: a crafted request.
        if request.method == "POST" and refusal != services.TOO_OLD_TO_CHANGE:
            raise PermissionDenied(refusal)
        messages.info(request, refusal)
        return redirect(back)
    patient = injection.patient
    readiness = services.self_injection_readiness(patient)
    form = InjectionForm(request.POST or None, instance=injection, patient=patient,
                         allow_self=readiness.ready,
                         checker=functools.partial(
                             entry.log_verdict, patient, exclude_pk=injection.pk,
                             on_behalf=request.user.role != Role.PATIENT))
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        injection.refresh_from_db()  # the form wrote into the instance; the service decides
        try:
            recorded = services.injection_update(injection=injection, by=request.user, now=now,
                                                 **values)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                messages.error(request, str(exc))
                return redirect(back)
            add_service_errors(form, exc)
        else:
            for warning in recorded.warnings:
                messages.warning(request, warning)
            messages.success(request, "The entry is updated. Earlier versions are kept.")
            if events.needs_guidance(recorded.findings):
                return redirect("alerts:guidance")
            return redirect(back)
    return render(request, "injections/injection_edit.html",
                  {"form": form, "injection": injection, "patient": patient,
                   "cancel_url": back, "suggestion": None, "readiness": readiness,
                   "on_behalf": request.user.role != Role.PATIENT})


@require_http_methods(["GET", "POST"])
def injection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    injection = _injection_for(request, pk)
    now = timezone.now()
    back = _after_change_url(request, injection)
    refusal = services.change_refusal(injection, request.user, now=now)
    if refusal:
        # A form opened in time may be sent a little late (told why); any other refused POST
        # was never offered by a page: a crafted request.
        if request.method == "POST" and refusal != services.TOO_OLD_TO_CHANGE:
            raise PermissionDenied(refusal)
        messages.info(request, refusal)
        return redirect(back)
    if request.method == "POST":
        services.injection_delete(injection=injection, by=request.user, now=now)
        messages.success(request, "The entry is deleted. Your clinic can still see its history.")
        return redirect(back)
    return render(request, "injections/injection_confirm_delete.html",
                  {"injection": injection, "cancel_url": back,
                   "local": injection.taken_at.astimezone(injection.patient.tz)})


# --- Clinician pages --------------------------------------------------------------------------

@clinician_required
def patient_regimen(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="injections.regimen")
    now = timezone.now()
    summary = selectors.schedule_summary(patient, now=now, upcoming=8, recent=10)
    spans = (scheduling.phase_spans([p.plan for p in summary["phases"]])
             if summary["phases"] else [])
    today = clock.local_day(now, patient.tz)  # the patient's calendar, not UTC's
    phase_rows = [
        {"phase": p, "span": s, "can_end": p.ended_on is None and s.anchor is not None
         and (p.end_kind == "open" or s.end is None or s.end >= today)}
        for p, s in zip(summary["phases"], spans, strict=True)
    ]
    return render(request, "injections/patient_regimen.html", {
        "patient": patient, "summary": summary, "phase_rows": phase_rows,
        "readiness": services.self_injection_readiness(patient, audience="clinician"),
        "sites": body_map_sites(patient, now=now),
    })


@clinician_required
def patient_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="injections.history")
    page = history_page(patient, viewer=request.user, now=timezone.now(),
                        number=request.GET.get("page"))
    return render(request, "injections/patient_history.html", {"patient": patient, "page": page})


@clinician_required
@require_http_methods(["GET", "POST"])
def regimen_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="injections.regimen_new")
    now = timezone.now()
    today = scheduling.local_day(now, patient.tz)
    form = RegimenFromTemplateForm(request.POST or None, initial={"start_date": today})
    rows = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "save" in request.POST:
            try:
                services.regimen_create_from_template(
                    patient=patient, template=data["template"], start_date=data["start_date"],
                    time_of_day=data["time_of_day"], created_by=request.user, now=now,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{patient.display_name} now has the regimen "
                                          f"“{data['template'].name}”.")
                return redirect("injections:patient_regimen", patient_id=patient.pk)
        phases = services.template_phases(data["template"], start_date=data["start_date"],
                                          time_of_day=data["time_of_day"], today=today)
        try:
            rows = services.preview(phases, patient=patient, now=now)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "injections/regimen_new.html", {
        "patient": patient, "form": form, "preview": rows,
        "has_active": services.active_regimen(patient) is not None,
    })


def _phase_for(request, patient_id: int, phase_id: int) -> tuple[PatientProfile, Phase]:
    patient = access_patient(request.user, patient_id, action="injections.phase")
    phase = get_object_or_404(
        Phase.objects.select_related("regimen"), pk=phase_id, regimen__patient=patient,
        regimen__status="active",
    )
    return patient, phase


def _phase_to_edit(request: HttpRequest, patient_id: int,
                   phase_id: int | None) -> tuple[PatientProfile, Phase | None]:
    """The stored phase to change, or a draft of a new one (None: no active regimen)."""
    if phase_id is not None:
        return _phase_for(request, patient_id, phase_id)
    patient = access_patient(request.user, patient_id, action="injections.phase_add")
    regimen = services.active_regimen(patient)
    return patient, drafts.new_phase(regimen) if regimen else None


@clinician_required
@require_http_methods(["GET", "POST"])
def phase_edit(request: HttpRequest, patient_id: int, phase_id: int | None = None) -> HttpResponse:
    patient, phase = _phase_to_edit(request, patient_id, phase_id)
    if phase is None:
        messages.info(request, "Create a regimen first.")
        return redirect("injections:regimen_new", patient_id=patient.pk)
    now = timezone.now()
    form = PhaseForm(request.POST or None, instance=drafts.draft_of(phase),
                     saving="save" in request.POST)
    rows = None
    if request.method == "POST" and form.is_valid():
        values = form.phase_values()
        if "save" in request.POST and _save_phase(request, form, phase, values, now=now):
            messages.success(request, "The phase is saved. Future doses follow the new "
                                      "schedule; doses already taken are unchanged.")
            return redirect("injections:patient_regimen", patient_id=patient.pk)
        if not form.errors:
            try:
                rows = drafts.draft_preview(phase=phase, draft=form.instance, values=values,
                                            patient=patient, now=now)
            except ValidationError as exc:
                add_service_errors(form, exc)
    return render(request, "injections/phase_form.html", {
        "patient": patient, "form": form, "phase": phase, "preview": rows,
    })


def _save_phase(request: HttpRequest, form: PhaseForm, phase: Phase, values: dict, *,
                now: dt.datetime) -> bool:
    """Save the change; False with the service's errors on the form when it was refused."""
    try:
        drafts.phase_save(phase=phase, values=values, by=request.user, now=now)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


@clinician_required
@require_http_methods(["GET", "POST"])
def phase_end(request: HttpRequest, patient_id: int, phase_id: int) -> HttpResponse:
    patient, phase = _phase_for(request, patient_id, phase_id)
    now = timezone.now()
    form = PhaseEndForm(request.POST or None,
                        initial={"end_date": scheduling.local_day(now, patient.tz)})
    if request.method == "POST" and form.is_valid():
        try:
            services.phase_end(phase=phase, end_date=form.cleaned_data["end_date"],
                               by=request.user, now=now)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The {phase.get_kind_display().lower()} phase ended on "
                                      f"{form.cleaned_data['end_date']:%-d %b %Y}.")
            return redirect("injections:patient_regimen", patient_id=patient.pk)
    following = [p for p in services.phases_of(phase.regimen) if p.order > phase.order]
    return render(request, "injections/phase_end.html", {
        "patient": patient, "phase": phase, "form": form,
        "next_phase": following[0] if following else None,
    })


# The service that records each of the readiness page's two forms.
READINESS_RECORDS = {"assessment": services.assessment_record,
                     "training": services.training_record}


@clinician_required
@require_http_methods(["GET", "POST"])
def readiness(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="injections.readiness")
    now = timezone.now()
    today = scheduling.local_day(now, patient.tz)
    which = request.POST.get("which") if request.method == "POST" else None
    assessment_form = AssessmentForm(request.POST if which == "assessment" else None,
                                     initial={"assessed_on": today}, prefix="a")
    training_form = TrainingForm(request.POST if which == "training" else None,
                                 initial={"observed_on": today}, prefix="t")
    form = {"assessment": assessment_form, "training": training_form}.get(which)
    if form is not None and form.is_valid():
        try:
            READINESS_RECORDS[which](patient=patient, by=request.user, **form.service_values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("injections:readiness", patient_id=patient.pk)
    return render(request, "injections/readiness.html", {
        "patient": patient, "assessment_form": assessment_form, "training_form": training_form,
        "readiness": services.self_injection_readiness(patient, audience="clinician"),
    })


@clinician_required
@require_http_methods(["GET", "POST"])
def log_for_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="injections.log")
    url = reverse("injections:patient_regimen", args=[patient.pk])
    return _log(request, patient, done_url=url, cancel_url=url)
