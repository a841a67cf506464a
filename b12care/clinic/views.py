"""Clinician pages. Every patient query goes through b12care.accounts.access."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from b12care.accounts.access import access_patient, clinician_required
from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.services import PatientDetails, patient_invite
from b12care.core.sections import review_sections

from . import triage


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
    patient = access_patient(request.user, patient_id, action="clinic.patient_detail")
    sections = review_sections(patient, now=timezone.now(), viewer=request.user)
    return render(request, "clinic/patient_detail.html", {"patient": patient, "sections": sections})


@clinician_required
def patient_invite_view(request: HttpRequest) -> HttpResponse:
    form = InvitePatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = patient_invite(
                invited_by=request.user, details=PatientDetails(**form.cleaned_data)
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request,
                f"{profile.display_name} was added. We emailed {profile.user.email} a link "
                "to choose a password.",
            )
            return redirect("clinic:patient_detail", patient_id=profile.pk)
    return render(request, "clinic/patient_invite.html", {"form": form})
