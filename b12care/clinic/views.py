"""Pages composed from several apps: each role's start page, the patient home, the clinician's
dashboard and patient review. Every patient query goes through b12care.accounts.access."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12care.accounts import audit
from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
    role_required,
)
from b12care.accounts.clinics import age_on
from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.models import Role
from b12care.accounts.services import PatientDetails, invite_resend, patient_invite
from b12care.core.forms import add_service_errors

from . import search, triage
from .forms import NoteForm
from .pages import page_sections
from .services import note_add
from .timeline import KIND_LABELS, TimelineQuery, patient_timeline_and_notes


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own start page."""
    if request.user.role == Role.PATIENT:
        return redirect("patient_home")
    return redirect("clinic:dashboard")


@patient_required
def patient_home(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    patient.user = request.user  # the same object as the nav's, so per-request reads are shared
    context = {
        "patient": patient,
        "sections": page_sections(patient, page="home", now=timezone.now()),
    }
    return render(request, "core/patient_home.html", context)


@clinician_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Triage: urgent alerts first, then review alerts, overdue doses, overdue labs, the rest.

    The search form is POSTed and answered with a redirect whose address holds only a handle
    for the term (``search``): names and emails never appear in a URL."""
    if request.method == "POST":
        handle = search.remember(request.session, request.POST.get("q", ""))
        return redirect(_dashboard_url(handle, _filters(request.POST)))
    handle = request.GET.get("s", "")
    query = search.recall(request.session, handle)
    filters = _filters(request.GET)
    now = timezone.now()
    board = triage.dashboard(request.user, now=now, page_number=request.GET.get("page"),
                             query=query, **filters)
    rows = _triage_rows(board.patients, now=now)
    # Each patient listed is a read of their data (name, alerts, doses): one audit row each.
    audit.record_reads(request.user, board.patients, action="clinic.dashboard")
    return render(request, "clinic/dashboard.html", {
        "board": board, "page": board.page, "params": {"query": query, **filters},
        "querystring": _querystring(handle if query else "", filters),
        "groups": [(title, [rows[p.pk] for p in patients]) for title, patients in board.groups],
        "group_titles": triage.GROUP_TITLES, "group_keys": triage.GROUP_KEYS,
    })


def _filters(data) -> dict[str, str]:
    return {"group": data.get("group", ""), "phase": data.get("phase", ""),
            "sort": data.get("sort", "") or "triage"}


def _querystring(handle: str, filters: dict[str, str]) -> str:
    pairs = {"s": handle, **filters}
    return urlencode({k: v for k, v in pairs.items() if v and v != "triage"})


def _dashboard_url(handle: str, filters: dict[str, str]) -> str:
    querystring = _querystring(handle, filters)
    return reverse("clinic:dashboard") + (f"?{querystring}" if querystring else "")


def _triage_rows(patients, *, now) -> dict[int, object]:
    """Each patient's dashboard row facts, fetched together (``triage.build_rows``)."""
    return {p.pk: row for p, row in zip(patients, triage.build_rows(patients, now=now),
                                         strict=True)}


@clinician_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient review page: actions, each app's section, one timeline, clinician notes."""
    patient = access_patient(request.user, patient_id, action="clinic.patient_detail")
    return _review(request, patient, NoteForm())


def _review(request: HttpRequest, patient, note_form: NoteForm) -> HttpResponse:
    now = timezone.now()
    # ?kind=lab&kind=alert&page=2: some kinds only, older pages (bad values: the default).
    timeline = patient_timeline_and_notes(patient, query=TimelineQuery.from_params(request.GET))
    sections = page_sections(patient, page="review", now=now, viewer=request.user)
    injections = next((s["context"] for s in sections if s.get("name") == "injections"), None)
    return render(request, "clinic/patient_detail.html", {
        "patient": patient,
        "sections": sections,
        # No regimen yet: the header's first action is setting one up, not logging a dose.
        "has_regimen": bool(injections and injections["summary"]["regimen"]),
        "timeline": timeline.events,
        "timeline_page": timeline,
        "timeline_filters": [
            {"label": label, "params": timeline.query.params(kind=(kind,), page=1),
             "current": timeline.query.kinds == (kind,)}
            for kind, label in KIND_LABELS.items()
        ],
        "notes": timeline.notes,
        "note_form": note_form,
        "printed_at": now,
        # Age on the patient's own calendar day.
        "age": age_on(patient.date_of_birth, now.astimezone(patient.tz).date()),
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
def record_views(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Who looked at this patient's record (the same list the patient sees; opening it is
    itself a read)."""
    patient = access_patient(request.user, patient_id, action="clinic.record_views")
    return render(request, "accounts/record_views.html", {
        "patient": patient, "own": False,
        "page": audit.who_looked_page(patient, number=request.GET.get("page")),
    })


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


@role_required(Role.CLINICIAN)
@require_POST
def invite_resend_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """"Resend invitation" on the review page of a patient who has not chosen a password."""
    patient = access_patient(request.user, patient_id, action="clinic.invite_resend")
    try:
        invite_resend(patient=patient, by=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"We emailed {patient.user.email} a new link to choose a "
                                  "password. Links in earlier emails no longer work.")
    return redirect("clinic:patient_detail", patient_id=patient.pk)
