"""Secure-message pages. Thin: the patient comes from the access helper (outsiders get 404 and
a clinician's read is written to the access log), writes go through ``messaging.py``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from b12care.accounts.access import (
    access_patient,
    clinician_required,
    own_patient_profile,
    patient_required,
)
from b12care.accounts.models import PatientProfile

from . import selectors
from .forms import MessageForm, ThreadStartForm
from .messaging import may_write, message_send, thread_mark_read, thread_start
from .models import Alert, MessageThread

MESSAGES_PER_PAGE = 20


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _thread_page(request: HttpRequest, thread: MessageThread):
    """A page of the conversation: the newest page unless another one is asked for."""
    paginator = Paginator(selectors.thread_messages(thread), MESSAGES_PER_PAGE)
    return paginator.get_page(request.GET.get("page") or paginator.num_pages)


def _thread(request: HttpRequest, patient: PatientProfile, thread: MessageThread,
            *, staff: bool) -> HttpResponse:
    """Show a conversation and take a reply (GET marks the other side's messages read)."""
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_send(thread=thread, author=request.user, body=form.cleaned_data["body"],
                         now=timezone.now())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Message sent.")
            return redirect(request.path)
    can_write = may_write(patient=patient, user=request.user)
    if request.method == "GET" and can_write:  # an admin looking does not mark it read
        thread_mark_read(thread=thread, reader=request.user, now=timezone.now())
    return render(request, "alerts/thread.html", {
        "patient": patient, "thread": thread, "page": _thread_page(request, thread),
        "form": form, "staff": staff, "can_write": can_write,
    })


# --- Patient --------------------------------------------------------------------------------------
@patient_required
def patient_threads(request: HttpRequest) -> HttpResponse:
    """The patient's conversations with their care team, and a form to start one."""
    patient = own_patient_profile(request.user)
    form = ThreadStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = thread_start(patient=patient, author=request.user, now=timezone.now(),
                                  subject=form.cleaned_data["subject"],
                                  body=form.cleaned_data["body"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Message sent to your care team.")
            return redirect("alerts:thread", thread_id=thread.pk)
    page = Paginator(selectors.threads(patient, for_patient=True), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "alerts/threads.html", {
        "patient": patient, "page": page, "form": form, "staff": False,
        "can_write": may_write(patient=patient, user=request.user),
    })


@patient_required
def patient_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    patient = own_patient_profile(request.user)
    return _thread(request, patient, selectors.thread_of(patient, thread_id), staff=False)


# --- Care team ------------------------------------------------------------------------------------
@clinician_required
def team_threads(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's conversations; a clinician on the care team may start one, also from an
    alert (``?alert=<id>``: subject prefilled, the thread linked to the alert)."""
    patient = access_patient(request.user, patient_id, action="alerts.threads")
    alert = _alert_param(request, patient)
    initial = {"subject": f"About: {alert.rule.name}"[:120]} if alert else {}
    form = ThreadStartForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            thread = thread_start(patient=patient, author=request.user, now=timezone.now(),
                                  subject=form.cleaned_data["subject"],
                                  body=form.cleaned_data["body"], alert=alert)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Message sent to the patient.")
            return redirect("alerts:patient_thread", patient_id=patient.pk, thread_id=thread.pk)
    page = Paginator(selectors.threads(patient, for_patient=False), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "alerts/threads.html", {
        "patient": patient, "page": page, "form": form, "staff": True, "alert": alert,
        "can_write": may_write(patient=patient, user=request.user),
    })


def _alert_param(request: HttpRequest, patient: PatientProfile) -> Alert | None:
    raw = request.GET.get("alert") or request.POST.get("alert") or ""
    if not raw.isdigit() or len(raw) > 18:
        return None
    return Alert.objects.select_related("rule").filter(pk=int(raw), patient=patient).first()


@clinician_required
def team_thread(request: HttpRequest, patient_id: int, thread_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id, action="alerts.thread")
    return _thread(request, patient, selectors.thread_of(patient, thread_id), staff=True)


@clinician_required
def team_unread(request: HttpRequest) -> HttpResponse:
    """Conversations with unread patient messages across the clinician's own patients."""
    return render(request, "alerts/team_unread.html", {
        "threads": selectors.patients_with_unread_messages(request.user),
    })
