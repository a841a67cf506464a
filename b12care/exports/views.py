"""Downloads of a patient's data. Thin: the modules per format build the files.

Every patient is fetched through ``b12care.accounts.access``: a patient gets their own data
(URLs without an id), a clinician only their patients' (URLs with the id; the read is written
to the access log); anything else is 404. The calendar feed is the one page without sign-in:
its secret address is the key (``services.feed_patient``).
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from b12care.accounts.access import access_patient, own_patient_profile, patient_required
from b12care.accounts.models import PatientProfile, Role

from . import archive, csv_export, fhir, ical, pdf, report, services, throttle
from .data import today_of
from .forms import PeriodForm
from .models import CalendarFeed


def _patient(request: HttpRequest, patient_id: int | None, action: str) -> PatientProfile:
    """The signed-in patient (no id), or a patient the signed-in clinician may see (id)."""
    if patient_id is None:
        return own_patient_profile(request.user)
    if request.user.role not in (Role.CLINICIAN, Role.ADMIN):
        raise Http404("Not found.")
    return access_patient(request.user, patient_id, action=f"exports.{action}")


def _urls(patient: PatientProfile, patient_id: int | None) -> dict:
    args = [] if patient_id is None else [patient.pk]
    prefix = "exports:my_" if patient_id is None else "exports:patient_"
    names = ("report", "report_pdf", "fhir")
    urls = {name: reverse(prefix + name, args=args) for name in names}
    urls["back"] = reverse("exports:mine" if patient_id is None else "exports:patient", args=args)
    urls["csv"] = {kind: reverse(prefix + "csv", args=[*args, kind])
                   for kind in csv_export.KINDS}
    return urls


def _download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_GET
def downloads(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    """The list of downloads; for the patient also their calendar feed settings."""
    patient = _patient(request, patient_id, "downloads")
    form = PeriodForm(today=today_of(patient, timezone.now()))
    return render(request, "exports/downloads.html", {
        "patient": patient, "clinician": patient_id is not None, "form": form,
        "urls": _urls(patient, patient_id),
        "feed": CalendarFeed.objects.filter(patient=patient).first() if patient_id is None
        else None,
    })


def _report_context(request: HttpRequest, patient: PatientProfile, now) -> dict:
    form = PeriodForm(request.GET or None, today=today_of(patient, now))
    context = report.build(patient, period=form.period(), now=now)
    context["form"] = form
    return context


@never_cache
@login_required
@require_GET
def report_html(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    patient = _patient(request, patient_id, "report")
    context = _report_context(request, patient, timezone.now())
    context["urls"] = _urls(patient, patient_id)
    return render(request, "exports/report.html", context)


@never_cache
@login_required
@require_GET
def report_pdf(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    patient = _patient(request, patient_id, "report_pdf")
    context = _report_context(request, patient, timezone.now())
    html = render_to_string("exports/report.html",
                            {**context, "for_pdf": True, "report_css": report.stylesheet()})
    period = context["period"]
    footer = f"{patient.display_name} · report {period.start:%-d %b %Y} to {period.end:%-d %b %Y}"
    try:
        content = pdf.html_to_pdf(html, footer_text=footer)
    except pdf.PdfUnavailable:
        return render(request, "exports/pdf_unavailable.html",
                      {"patient": patient, "urls": _urls(patient, patient_id)}, status=503)
    return _download(content, "application/pdf",
                     f"b12care-report-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.pdf")


@never_cache
@login_required
@require_GET
def fhir_json(request: HttpRequest, patient_id: int | None = None) -> HttpResponse:
    patient = _patient(request, patient_id, "fhir")
    now = timezone.now()
    body = json.dumps(fhir.bundle(patient, now=now), ensure_ascii=False, indent=1)
    return _download(body.encode(), "application/fhir+json; charset=utf-8",
                     f"b12care-fhir-{today_of(patient, now):%Y-%m-%d}.json")


@never_cache
@login_required
@require_GET
def csv_file(request: HttpRequest, kind: str, patient_id: int | None = None) -> HttpResponse:
    if kind not in csv_export.KINDS:
        raise Http404("No such file.")
    patient = _patient(request, patient_id, f"csv_{kind}")
    text = csv_export.export(patient, kind)
    return _download(text.encode("utf-8"), "text/csv; charset=utf-8",
                     f"b12care-{kind}-{today_of(patient, timezone.now()):%Y-%m-%d}.csv")


@never_cache
@patient_required
@require_GET
def archive_zip(request: HttpRequest) -> HttpResponse:
    """All the signed-in patient's data in one ZIP: their own only (no patient id exists here)."""
    patient = own_patient_profile(request.user)
    now = timezone.now()
    return _download(archive.archive(patient, now=now), "application/zip",
                     f"b12care-all-my-data-{today_of(patient, now):%Y-%m-%d}.zip")


@never_cache
@patient_required
@require_POST
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Create or rotate (``action=create``) or revoke (``action=revoke``) the feed address.
    A new address is shown on this response only: it is not stored anywhere readable."""
    patient = own_patient_profile(request.user)
    token = None
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(patient=patient)
    else:
        token = services.calendar_feed_create(patient=patient, now=timezone.now())
    feed_url = (request.build_absolute_uri(reverse("exports:feed", args=[token]))
                if token else None)
    webcal_url = "webcal://" + feed_url.split("://", 1)[1] if feed_url else None
    return render(request, "exports/downloads.html", {
        "patient": patient, "clinician": False, "urls": _urls(patient, None),
        "form": PeriodForm(today=today_of(patient, timezone.now())),
        "feed": CalendarFeed.objects.filter(patient=patient).first(), "feed_url": feed_url,
        "webcal_url": webcal_url, "revoked": token is None,
    })


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar (no sign-in: calendar apps cannot). Unknown addresses: 404, rate-limited."""
    now = timezone.now()
    if throttle.blocked(request, now=now):
        return HttpResponse("Too many requests.", status=429, content_type="text/plain")
    patient = services.feed_patient(token)
    if patient is None:
        throttle.count_miss(request, now=now)
        raise Http404("No such calendar.")
    response = HttpResponse(ical.calendar(patient, now=now),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="b12care.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
