"""Patient pages of the questions asked after an injection (injections/followups.py): the
post-dose check-in and the injection's site page. Thin: the services decide; another
patient's injection, or one without a check-in, is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from b12care.accounts.access import own_patient_profile, patient_required, scoped
from b12care.core import events

from . import followups
from .models import FollowUpAnswer, Injection

ANSWER_MISSING = "Choose one of the buttons below."


def _own_injection(request: HttpRequest, pk: int) -> Injection:
    return get_object_or_404(scoped(Injection.objects.select_related("patient__user"),
                                    request.user), pk=pk)


def _answer(request: HttpRequest) -> str | None:
    answer = request.POST.get("answer", "")
    return answer if answer in FollowUpAnswer.values else None


@patient_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient_profile(request.user)
    injection = _own_injection(request, pk)
    followup = followups.checkin_of(injection)
    if followup is None:  # not self- or carer-given: nobody asks
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        answer = _answer(request)
        if answer is None:
            error, status = ANSWER_MISSING, 400
        else:
            findings = followups.checkin_answer(followup=followup, answer=answer,
                                                by=request.user, now=timezone.now())
            if answer == FollowUpAnswer.YES or events.needs_guidance(findings):
                return redirect("alerts:guidance")
            messages.success(request, "Thank you. If you feel unwell later, call "
                                      f"{patient.emergency_number} at once.")
            return redirect("patient_home")
    return render(request, "injections/checkin.html", {
        "patient": patient, "injection": injection, "followup": followup, "error": error,
    }, status=status)


@patient_required
@require_http_methods(["GET", "POST"])
def site(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient_profile(request.user)
    injection = _own_injection(request, pk)
    now = timezone.now()
    error, status = "", 200
    if request.method == "POST":
        answer = _answer(request)
        if answer is None:
            error, status = ANSWER_MISSING, 400
        else:
            try:
                followups.site_followup_answer(injection=injection,
                                               problem=answer == FollowUpAnswer.YES,
                                               by=request.user, now=now)
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
            else:
                _site_message(request, answer)
                return redirect("injections:site", pk=injection.pk)
    followup = followups.site_followup_of(injection)
    return render(request, "injections/site.html", {
        "patient": patient, "injection": injection, "followup": followup,
        "due": now >= followup.due_at, "error": error,
    }, status=status)


def _site_message(request: HttpRequest, answer: str) -> None:
    if answer == FollowUpAnswer.YES:
        messages.warning(request, "Do not inject into that site until it is better, and contact "
                                  "your clinic. Your care team has been told.")
    else:
        messages.success(request, "Thank you. We will suggest this site again in the rotation.")
