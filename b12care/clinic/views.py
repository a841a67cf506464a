"""Clinician pages. Every patient query goes through b12care.accounts.access."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from b12care.accounts.access import access_patient, clinician_required
from b12care.accounts.forms import InvitePatientForm
from b12care.accounts.services import PatientDetails, patient_invite
from b12care.core import fragments
from b12care.core.forms import add_service_errors
from b12care.core.sections import page_sections

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
    now = timezone.now()
    board = triage.dashboard(request.user, now=now, page_number=request.GET.get("page"),
                             **params)
    rows = _triage_rows(board.patients, now=now)
    names = {"query": "q", "group": "group", "phase": "phase", "sort": "sort"}
    querystring = urlencode({names[k]: v for k, v in params.items() if v and v != "triage"})
    return render(request, "clinic/dashboard.html", {
        "board": board, "page": board.page, "params": params, "querystring": querystring,
        "groups": [(title, [rows[p.pk] for p in patients]) for title, patients in board.groups],
        "group_titles": triage.GROUP_TITLES, "group_keys": triage.GROUP_KEYS,
    })


def _triage_rows(patients, *, now) -> dict[int, str]:
    """Each patient's dashboard row as HTML, cached under the patient's data version and the
    live ranking flags (so a row never disagrees with the group it is listed under); the facts
    of the rows not in the cache are fetched together (``triage.build_rows``)."""
    by_key = {f"{p.pk}-{p.triage_rank}{p.has_overdue_dose:d}{p.has_overdue_lab:d}": p
              for p in patients}

    def render_rows(keys: list[str]) -> dict[str, str]:
        built = triage.build_rows([by_key[k] for k in keys], now=now)
        return {key: render_to_string("clinic/_triage_row.html", {"row": row})
                for key, row in zip(keys, built, strict=True)}

    html = fragments.cached_many("triage-row", [(k, p) for k, p in by_key.items()], now=now,
                                 render_missing=render_rows)
    return {p.pk: mark_safe(html[k]) for k, p in by_key.items()}


@clinician_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient review page: actions, each app's section, one timeline, clinician notes."""
    patient = access_patient(request.user, patient_id, action="clinic.patient_detail")
    return _review(request, patient, NoteForm())


def _review(request: HttpRequest, patient, note_form: NoteForm) -> HttpResponse:
    now = timezone.now()

    def render_timeline(_keys: list[str]) -> dict[str, dict[str, str]]:
        timeline = patient_timeline_and_notes(patient)
        context = {"patient": patient, "timeline": timeline.events, "notes": timeline.notes}
        return {"timeline": {"timeline": render_to_string("clinic/_timeline.html", context),
                             "notes": render_to_string("clinic/_notes.html", context)}}

    cached = fragments.cached_many("review-timeline", [("timeline", patient)], now=now,
                                   render_missing=render_timeline)["timeline"]
    return render(request, "clinic/patient_detail.html", {
        "patient": patient,
        "sections": page_sections(request, patient, page="review", now=now, viewer=request.user),
        "timeline_html": mark_safe(cached["timeline"]),
        "notes_html": mark_safe(cached["notes"]),
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
