"""The one seam through which a lower floor says "this patient's data changed".

Domain apps (injections, symptoms, labs) and alerts call ``patient_data_changed`` inside the
transaction that wrote the data. Apps on the floors above (alerts, clinic) and domain apps that
react to another's change (labs starts a monitoring plan when treatment starts) subscribe in
their ``AppConfig.ready``; nobody imports upwards.

Subscribers run in stages, in this order, all in the caller's transaction:

- ``DOMAIN``: a domain app's own reaction (e.g. labs creates the default plan);
- ``RULES``: red-flag rules (alerts) — they return findings the writer shows the patient;
- ``READ_MODELS``: read models built from several apps (clinic's triage state). They run last
  because they lock the patient's profile row; that lock is always the last one a
  transaction takes (deadlock-free ordering).

A subscriber may announce further changes (labs' new plan, alerts' new alerts): they join the
batch being dispatched and reach the subscribers of the current and later stages.

``batch()`` groups the announcements of nested services (a new regimen ends the old one,
creates doses and a plan) into one dispatch when the outermost block ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .reads import PatientReadAdminMixin

# What changed ("kinds"). A subscriber says which kinds it reacts to.
INJECTIONS = "injections"          # the injection log
DOSES = "doses"                    # planned doses (schedule, regimen, phases)
TREATMENT_STARTED = "treatment_started"  # detail: {"treatment_start": date}
SYMPTOMS = "symptoms"              # diary check-ins
LABS = "labs"                      # lab results
LAB_PLAN = "lab_plan"              # planned labs
ALERTS = "alerts"                  # alerts opened, acknowledged, resolved
PROFILE = "profile"                # the patient's profile and account
TIMEZONE = "timezone"              # the patient's time zone (doses move with it)
CARE = "care"                      # readiness, supply, clinicians' notes

DOMAIN, RULES, READ_MODELS = "domain", "rules", "read_models"
STAGES = (DOMAIN, RULES, READ_MODELS)

# Severities of findings that send the patient straight to "what to do now" guidance.
GUIDANCE_SEVERITIES = frozenset({"emergency", "urgent"})


@dataclass(frozen=True)
class Change:
    patient_ids: frozenset[int]
    kinds: frozenset[str]
    now: dt.datetime
    by: Any = None  # the user who made the change, when there is one
    detail: Mapping[str, Any] = field(default_factory=dict)


Subscriber = Callable[[list[Change]], Iterable[Any] | None]


@dataclass(frozen=True)
class _Subscription:
    handler: Subscriber
    kinds: frozenset[str]
    stage: str


_subscriptions: list[_Subscription] = []
_pending: ContextVar[list[Change] | None] = ContextVar("patient_changes_pending", default=None)


def subscribe(handler: Subscriber, *, kinds: Iterable[str], stage: str) -> None:
    """Register ``handler(changes)`` for changes of any of ``kinds`` (call from
    ``AppConfig.ready``; registering the same handler again is a no-op)."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}; use one of {STAGES}.")
    subscription = _Subscription(handler, frozenset(kinds), stage)
    if subscription not in _subscriptions:
        _subscriptions.append(subscription)


def patient_data_changed(patient_ids: Iterable[int], kinds: Iterable[str], *,
                         now: dt.datetime, by: Any = None,
                         detail: Mapping[str, Any] | None = None) -> list:
    """Announce a change, inside the writing transaction. Returns what the subscribers report
    back (the red-flag findings), or ``[]`` when the change joins an enclosing ``batch()``."""
    change = Change(frozenset(int(pk) for pk in patient_ids), frozenset(kinds), now, by,
                    detail or {})
    if not change.patient_ids:
        return []
    pending = _pending.get()
    if pending is not None:
        pending.append(change)
        return []
    return _dispatch([change])


@contextmanager
def batch() -> Iterator[None]:
    """Collect the announcements made inside the block and dispatch them once at its end (use
    inside the caller's transaction). Nested blocks join the outermost one."""
    if _pending.get() is not None:
        yield
        return
    changes: list[Change] = []
    token = _pending.set(changes)
    try:
        yield
    finally:
        _pending.reset(token)
    if changes:
        _dispatch(changes)


def _dispatch(changes: list[Change]) -> list:
    results: list = []
    token = _pending.set(changes)  # announcements made by subscribers join this batch
    try:
        for stage in STAGES:
            for subscription in [s for s in _subscriptions if s.stage == stage]:
                relevant = [c for c in changes if c.kinds & subscription.kinds]
                if relevant:
                    results.extend(subscription.handler(relevant) or ())
    finally:
        _pending.reset(token)
    return results


def patient_ids(changes: Iterable[Change], kinds: Iterable[str] | None = None) -> set[int]:
    """Every patient in ``changes`` (only those of changes of ``kinds``, when given)."""
    wanted = None if kinds is None else frozenset(kinds)
    return {pk for c in changes if wanted is None or c.kinds & wanted for pk in c.patient_ids}


def needs_guidance(findings: Iterable[Any]) -> bool:
    """Whether the writer should show the patient the "what to do now" page."""
    return any(getattr(f, "severity", None) in GUIDANCE_SEVERITIES for f in findings)


class PatientDataAdminMixin(PatientReadAdminMixin):
    """For ModelAdmins of patient data: an admin's save or delete is announced through the
    seam in the same transaction (after the inlines are saved), so read models follow at once;
    reads are reported to the audit (reads.PatientReadAdminMixin).
    ``patient_ids_of`` says whose data a row is; ``change_kinds`` what kind of data it is."""

    change_kinds: tuple[str, ...] = (PROFILE,)

    def _announce(self, patient_ids: Iterable[int], request) -> None:
        patient_data_changed(patient_ids, self.change_kinds, now=timezone.now(),
                             by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._announce(self.patient_ids_of(form.instance), request)

    def delete_model(self, request, obj):
        patient_ids = self.patient_ids_of(obj)
        super().delete_model(request, obj)
        self._announce(patient_ids, request)

    def delete_queryset(self, request, queryset):
        patient_ids = {pk for obj in queryset for pk in self.patient_ids_of(obj)}
        super().delete_queryset(request, queryset)
        self._announce(patient_ids, request)
