"""Clinician pages. Every patient query goes through b12care.accounts.access."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from b12care.accounts.access import access_patient, clinician_required, visible_patients
from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.services import PatientDetails, patient_invite
from b12care.core.sections import review_sections

PAGE_SIZE = 25


@clinician_required
def dashboard(request: HttpRequest) -> HttpResponse:
    patients = visible_patients(request.user).order_by(
        "user__last_name", "user__first_name", "pk"
    )
    query = request.GET.get("q", "").strip()
    if query:
        patients = patients.filter(
            Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(user__email__icontains=query)
        )
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/dashboard.html", {"page": page, "query": query})


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
