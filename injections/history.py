"""A page of a patient's injection log, each entry saying what the viewer may do with it."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Page, Paginator

from b12care.accounts.models import PatientProfile, User

from . import selectors, services

PAGE_SIZE = 20


def history_page(patient: PatientProfile, *, viewer: User, now: dt.datetime,
                 number: str | int | None = None, per_page: int = PAGE_SIZE) -> Page:
    """Page ``number`` of ``patient``'s injections, newest first. Each entry carries
    ``can_edit`` and ``can_delete`` for ``viewer`` at ``now`` (services.can_change), so the
    template only reads them. ``viewer`` must already be allowed to see ``patient``."""
    page = Paginator(selectors.history(patient), per_page).get_page(number)
    page.object_list = list(page.object_list)
    for injection in page.object_list:
        injection.patient = patient  # already read: the rule needs its user, not a query a row
        allowed = services.can_change(injection, viewer, now=now)
        injection.can_edit = injection.can_delete = allowed
        # The patient may say how the site is at any time (injections/followups.py).
        injection.can_report_site = viewer.pk == patient.user_id
    return page
