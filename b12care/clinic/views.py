"""Clinician pages. Every patient query goes through b12care.accounts.access."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12care.accounts.access import access_patient, clinician_required
from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.services import PatientDetails, patient_invite
from b12care.core.forms import add_service_errors
from b12care.core.sections import review_sections

from . import triage
from .forms import NoteForm
from .services import note_add
from .timeline import patient_timeline_and_notes


@clinician_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Triage: urgent alerts first, then review alerts, overdue doses, overdue labs, the rest."""
    params = {
        "query": request.GET.get("q", "").strip()[:100],
        "group": request.GET.get("group", ""),
        "phase": request.GET.get("phase", ""),
        "sort": request.GET.get("sort", "triage"),
    }
    board = triage.dashboard(request.user, now=timezone.now(),
                             page_number=request.GET.get("page"), **params)
    names = {"query": "q", "group": "group", "phase": "phase", "sort": "sort"}
    querystring = urlencode({names[k]: v for k, v in params.items() if v and v != "triage"})
    return render(request, "clinic/dashboard.html", {
        "board": board, "page": board.page, "params": params, "querystring": querystring,
        "group_titles": triage.GROUP_TITLES, "group_keys": triage.GROUP_KEYS,
    })


@clinician_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient review page: actions, each app's section, one timeline, clinician notes."""
    patient = access_patient(request.user, patient_id, action="clinic.patient_detail")
    return _review(request, patient, NoteForm())


def _review(request: HttpRequest, patient, note_form: NoteForm) -> HttpResponse:
    now = timezone.now()
    timeline = patient_timeline_and_notes(patient)
    return render(request, "clinic/patient_detail.html", {
        "patient": patient,
        "sections": review_sections(patient, now=now, viewer=request.user),
        "timeline": timeline.events,
        "notes": timeline.notes,
        "note_form": note_form,
        "printed_at": now,
    })


@clinician_required
@require_POST
def note_add_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="clinic.note_add")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(patient=patient, author=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc.message_dict.get("text", exc.messages))
        else:
            messages.success(request, "Note saved.")
            return redirect(reverse("clinic:patient_detail", args=[patient.pk]) + "#notes")
    return _review(request, patient, form)


@clinician_required
def patient_invite_view(request: HttpRequest) -> HttpResponse:
    form = InvitePatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = patient_invite(
                invited_by=request.user, details=PatientDetails(**form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{profile.display_name} was added. We emailed {profile.user.email} a link "
                "to choose a password.",
            )
            return redirect("clinic:patient_detail", patient_id=profile.pk)
    return render(request, "clinic/patient_invite.html", {"form": form})
