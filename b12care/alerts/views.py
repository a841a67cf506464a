"""Alerts pages. Thin: reads via selectors, writes via services; every patient query is scoped
by b12care.accounts.access (wrong role or someone else's data -> 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from b12care.accounts import mfa
from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
)
from b12care.accounts.clinics import patient_clinic
from b12care.accounts.models import Role
from b12care.accounts.reauth import phone_change_requested, reauthentication_required
from b12care.accounts.services import patient_settings_update
from b12care.core import validation

from . import selectors
from .escalation import ladder_state
from .forms import AlertNoteForm, PreferencesForm, SnoozeForm
from .guidance import action_for
from .inbox import inbox_mark_read
from .lifecycle import alert_acknowledge, alert_resolve, may_handle_alerts
from .models import Alert, InAppMessage
from .reminder_plans import reminder_snooze

PAGE_SIZE = 20


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Patient pages --------------------------------------------------------------------------------
@patient_required
def guidance(request: HttpRequest) -> HttpResponse:
    """What to do now, for urgent findings the patient just triggered (other apps redirect
    here after saving). Rendered from the database only: works with the broker down."""
    patient = own_patient_profile(request.user)
    alerts = selectors.guidance_alerts(patient, now=timezone.now())
    actions = [
        {"alert": a, **action_for(a.rule.code, emergency_number=patient.emergency_number)}
        for a in alerts
    ]
    return render(request, "alerts/guidance.html", {
        "patient": patient, "actions": actions,
        "emergency": any(a["call"] for a in actions),
        "clinic": patient_clinic(patient),
    })


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notification centre (their own rows only)."""
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # Times in the zone of the patient the message is about (core.clock.local_text): the
    # patient's own; for staff, each message's patient's, named (the template's ``when``).
    profile = (getattr(request.user, "patient_profile", None)
               if request.user.role == Role.PATIENT else None)
    for message in page.object_list:
        note = message.notification
        about = note.alert or note.reminder or (note.message.thread if note.message else None)
        message.patient = profile or (about.patient if about else None)
    return render(request, "alerts/inbox.html", {
        "page": page, "snooze_form": SnoozeForm(),
        "unread": selectors.unread_count(request.user),
        "care_team_messages": _care_team_messages(request.user),
    })


def _care_team_messages(user) -> dict:
    """The way to the secure messages from the notification centre, with an unread count:
    the patient's conversations with their team, or a clinician's patients' unread ones."""
    if user.role == "patient":
        patient = own_patient_profile(user)
        threads = selectors.threads(patient, for_patient=True)
        return {"url": reverse("alerts:threads"),
                "unread": sum(t.unread for t in threads), "clinic": patient_clinic(patient)}
    if user.role == "clinician":
        return {"url": reverse("alerts:team_unread"),
                "unread": selectors.team_unread_messages(user), "clinic": None}
    return {}


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    ids = None
    if request.POST.get("message"):
        message_id = validation.bounded_int(request.POST["message"], low=1)  # 10^23: no id
        if message_id is None:
            raise Http404("No such message.")
        ids = [message_id]
    inbox_mark_read(user=request.user, message_ids=ids, now=timezone.now())
    return redirect("alerts:inbox")


@patient_required
@require_POST
def snooze(request: HttpRequest, message_id: int) -> HttpResponse:
    patient = own_patient_profile(request.user)
    message = get_object_or_404(
        InAppMessage.objects.select_related("notification__reminder"),
        pk=message_id, user=request.user, notification__reminder__isnull=False,
    )
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to snooze for.")
        return redirect("alerts:inbox")
    now = timezone.now()
    step = message.notification.reminder
    try:
        reminder_snooze(patient=patient, subject=step.subject, subject_id=step.subject_id,
                        until=now + dt.timedelta(hours=form.cleaned_data["hours"]), now=now)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        inbox_mark_read(user=request.user, message_ids=[message.pk], now=now)
        messages.success(request, f"Snoozed. We will remind you again in "
                                  f"{form.cleaned_data['hours']} hour(s) if it is still due.")
    return redirect("alerts:inbox")


@patient_required
@reauthentication_required(enabled=phone_change_requested)
def preferences(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    form = PreferencesForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        patient_settings_update(
            patient=patient, now=timezone.now(),
            values={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(request, "Your settings are saved.")
        return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {
        "form": form, "patient": patient, "mfa_on": mfa.has_second_factor(request.user),
    })


# --- Clinician pages ------------------------------------------------------------------------------
@clinician_required
def patient_alerts(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="alerts.patient_alerts")
    alerts = list(selectors.active_alerts(patient))
    for alert, rungs in zip(alerts, ladder_state(alerts).values(), strict=True):
        alert.ladder = rungs  # the escalation ladder's state, shown on the alert
    return render(request, "alerts/patient_alerts.html", {
        "patient": patient,
        "ctx": {"patient": patient, "alerts": alerts,
                "resolved": selectors.recent_resolved(patient), "form": AlertNoteForm(),
                "can_handle": may_handle_alerts(request.user)},
    })


def _alert_of(request: HttpRequest, patient_id: int, alert_id: int, action: str) -> Alert:
    patient = access_patient(request.user, patient_id, action=action)
    return get_object_or_404(Alert.objects.select_related("patient"), pk=alert_id,
                             patient=patient)


def _note_of(form: AlertNoteForm) -> tuple[str, bool]:
    """The note and whether to share it with the patient ("" and False if the form is bad)."""
    if not form.is_valid():
        return "", False
    return form.cleaned_data["note"], form.cleaned_data["share"]


def _back(request: HttpRequest, patient_id: int) -> HttpResponse:
    return redirect("alerts:patient_alerts", patient_id=patient_id)


@clinician_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, patient_id: int, alert_id: int) -> HttpResponse:
    alert = _alert_of(request, patient_id, alert_id, "alerts.acknowledge")
    form = AlertNoteForm(request.POST)
    note, share = _note_of(form)
    try:
        alert_acknowledge(alert=alert, by=request.user, now=timezone.now(), note=note,
                          share_note=share)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Alert acknowledged. Other alerts stay open.")
    return _back(request, patient_id)


@clinician_required
@require_POST
def alert_resolve_view(request: HttpRequest, patient_id: int, alert_id: int) -> HttpResponse:
    alert = _alert_of(request, patient_id, alert_id, "alerts.resolve")
    form = AlertNoteForm(request.POST)
    note, share = _note_of(form)
    try:
        alert_resolve(alert=alert, by=request.user, now=timezone.now(), note=note,
                      share_note=share)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Alert resolved.")
    return _back(request, patient_id)
