"""Questions asked after an injection (CLINICAL.md, "After an injection").

- The **post-dose check-in**: ~30 min (``FollowUpSettings``) after a self- or carer-given
  injection the patient is asked whether they have signs of a serious allergic reaction. A
  "yes" is read by the alerts' systemic-reaction rule (the anaphylaxis alert). An unanswered
  check-in lapses after ``CHECKIN_SHOWN_FOR``: it is never escalated (docs/alerts.md).
- The **site follow-up**: ~48 h after any injection the patient is asked whether the site is
  still painful, hot or swollen; later they can answer (or say it is fine again) from the
  injection's site page, even after the 24 h edit lock. A "yes" is read by the site rule and
  keeps site rotation away from that site until it is cleared.

Due times are stored rows (``InjectionFollowUp.due_at``) the home reads; no ETA tasks.
Writes take ``now`` and announce through ``core.events`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from b12care.accounts.models import PatientProfile, User
from b12care.core import events

from .models import (
    AdministeredBy,
    FollowUpAnswer,
    FollowUpKind,
    FollowUpSettings,
    Injection,
    InjectionFollowUp,
)

# How long an unanswered question stays on the home once due. A check-in is about the first
# hours after a dose; later the question no longer fits (and nobody chases it).
CHECKIN_SHOWN_FOR = dt.timedelta(hours=12)
SITE_SHOWN_FOR = dt.timedelta(days=7)
HOME_GIVEN = (AdministeredBy.SELF, AdministeredBy.CARER)


def wanted_followups(injection: Injection, settings: FollowUpSettings) -> dict[str, dt.datetime]:
    """Kind -> due time of the questions this injection should get."""
    wanted = {FollowUpKind.SITE.value: injection.taken_at
              + dt.timedelta(hours=settings.site_followup_hours)}
    if injection.administered_by in HOME_GIVEN:
        wanted[FollowUpKind.CHECKIN.value] = (
            injection.taken_at + dt.timedelta(minutes=settings.checkin_delay_minutes))
    return wanted


def followups_schedule(*, injection: Injection, created: bool) -> None:
    """Store the due questions of a newly logged or edited injection (in the caller's
    transaction). Answered questions are kept as they are; unanswered ones follow the edit
    (a new time, or no check-in once a nurse gave it)."""
    wanted = wanted_followups(injection, FollowUpSettings.current())
    if not created:
        InjectionFollowUp.objects.filter(injection=injection, answer="").delete()
    InjectionFollowUp.objects.bulk_create(
        [InjectionFollowUp(injection=injection, patient_id=injection.patient_id, kind=kind,
                           due_at=due) for kind, due in wanted.items()],
        ignore_conflicts=True,  # an answered one of the same kind stays
    )


# --- Reading ------------------------------------------------------------------------------------

def due_followups(patient: PatientProfile, *, now: dt.datetime) -> list[InjectionFollowUp]:
    """Unanswered questions to show on the home now, check-ins first (one indexed query)."""
    rows = (InjectionFollowUp.objects
            .filter(patient=patient, answer="", due_at__lte=now, due_at__gt=now - SITE_SHOWN_FOR)
            .select_related("injection").order_by("due_at"))
    checkins = [r for r in rows
                if r.kind == FollowUpKind.CHECKIN and r.due_at > now - CHECKIN_SHOWN_FOR]
    sites = [r for r in rows if r.kind == FollowUpKind.SITE]
    return checkins + sites


def checkin_of(injection: Injection) -> InjectionFollowUp | None:
    return InjectionFollowUp.objects.filter(injection=injection,
                                            kind=FollowUpKind.CHECKIN).first()


def site_followup_of(injection: Injection) -> InjectionFollowUp:
    """The injection's site follow-up; an unsaved one for entries logged before follow-ups
    existed (a GET never writes)."""
    row = InjectionFollowUp.objects.filter(injection=injection, kind=FollowUpKind.SITE).first()
    if row is None:
        due = wanted_followups(injection, FollowUpSettings.current())[FollowUpKind.SITE]
        row = InjectionFollowUp(injection=injection, patient_id=injection.patient_id,
                                kind=FollowUpKind.SITE, due_at=due)
    return row


# --- Answering ----------------------------------------------------------------------------------

@transaction.atomic
def checkin_answer(*, followup: InjectionFollowUp, answer: str, by: User,
                   now: dt.datetime) -> list:
    """Record the patient's answer. "yes" runs the red-flag rules at once (the anaphylaxis
    alert, once: a repeated "yes" changes nothing); "no" closes the check-in. A "yes" may
    follow a "no" (they felt unwell later); nothing follows a "yes". Returns the findings."""
    if followup.kind != FollowUpKind.CHECKIN:
        raise ValueError("Not a post-dose check-in.")
    if answer not in FollowUpAnswer.values:
        raise ValidationError("Choose yes or no.")
    row = InjectionFollowUp.objects.select_for_update().get(pk=followup.pk)
    if row.answer == FollowUpAnswer.YES or (answer == FollowUpAnswer.NO and row.answer):
        return []  # already answered: a double submit tells nobody twice
    row.answer, row.answered_at = answer, now
    row.save(update_fields=["answer", "answered_at"])
    if answer != FollowUpAnswer.YES:
        return []
    return events.patient_data_changed([row.patient_id], {events.INJECTIONS}, now=now, by=by)


@transaction.atomic
def site_followup_answer(*, injection: Injection, problem: bool, by: User,
                         now: dt.datetime) -> list:
    """``problem=True``: the site is still painful, hot or swollen now (the site rule reads
    how long after the injection this was said). ``problem=False``: it is fine (a first "no",
    or clearing an earlier "yes": site rotation may suggest it again). Asked from the due
    time on: earlier the answer says nothing about "> 48 h". Returns the findings."""
    due = wanted_followups(injection, FollowUpSettings.current())[FollowUpKind.SITE]
    row, _ = InjectionFollowUp.objects.select_for_update().get_or_create(
        injection=injection, kind=FollowUpKind.SITE,
        defaults={"patient_id": injection.patient_id, "due_at": due})
    if now < row.due_at:
        raise ValidationError("We will ask about the site two days after the injection.")
    if problem:
        if row.site_problem:
            return []
        row.answer, row.answered_at, row.cleared_at = FollowUpAnswer.YES, now, None
    elif row.answer == FollowUpAnswer.YES:
        if row.cleared_at is not None:
            return []
        row.cleared_at = now
    elif row.answer == FollowUpAnswer.NO:
        return []
    else:
        row.answer, row.answered_at = FollowUpAnswer.NO, now
    row.save(update_fields=["answer", "answered_at", "cleared_at"])
    return events.patient_data_changed([row.patient_id], {events.INJECTIONS}, now=now, by=by)
