"""The audit log: who did what to whose data, from where (docs/security.md, Audit).

``record`` writes one append-only ``AccessLog`` row. The request being answered (set by
``AuditContextMiddleware``) gives the address, user agent and request id; outside a request
(Celery, management commands) they stay empty. Callers:

- reads of a patient's data by anyone but the patient: ``access.access_patient`` (pages,
  exports, API), ``record_reads`` (lists such as the dashboard), ``AuditedAdminMixin`` (admin);
- refusals: ``access.access_patient`` and ``access.role_required`` (their 404s);
- writes of clinical data: every history row simple-history writes (``on_history_row``);
- sign-in, sign-out, failed sign-ins, throttled sign-ins and second-factor changes: signal
  receivers connected in ``AccountsConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import AccessLog, AuditKind, PatientProfile, Role, User

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# An id a trusted proxy set is kept when it looks like one (letters, digits, - _ .).
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class AuditContextMiddleware:
    """Gives each request an id (the proxy's ``X-Request-ID`` when sane, else a new one), makes
    the request known to ``record`` and answers with the id so logs can be matched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.audit_request_id = given if _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response.setdefault(REQUEST_ID_HEADER, request.audit_request_id)
        return response


def _address(request: HttpRequest) -> str | None:
    # allauth's reading of the address honours ALLAUTH_TRUSTED_PROXY_COUNT, as its limits do.
    try:
        raw = get_adapter(request).get_client_ip(request)
        return str(ipaddress.ip_address(raw.strip()))
    except (ImproperlyConfigured, PermissionDenied, ValueError, AttributeError):
        return None


def _context(request: HttpRequest | None) -> dict:
    request = request if request is not None else _request.get()
    if request is None:
        return {}
    return {
        "address": _address(request),
        "user_agent": request.headers.get("User-Agent", "")[:300],
        "request_id": getattr(request, "audit_request_id", "")[:64],
    }


def _user_fields(user) -> dict:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"user": user, "user_label": (user.email or "")[:254], "role": user.role}


def _patient_fields(patient: PatientProfile | None, patient_id: int | None) -> dict:
    if patient is not None:
        return {"patient": patient, "patient_label": patient.user.email[:254]}
    if patient_id is not None:
        return {"patient_id": patient_id}
    return {}


def record(*, kind: str, action: str, user: User | None = None,
           patient: PatientProfile | None = None, patient_id: int | None = None,
           object_type: str = "", object_id: object = "", user_label: str = "",
           request: HttpRequest | None = None) -> AccessLog:
    """Append one audit row. ``user_label`` names someone who is not (or not yet) a signed-in
    user, e.g. the address typed at a failed sign-in."""
    fields = {**_context(request), **_user_fields(user), **_patient_fields(patient, patient_id)}
    if user_label and "user_label" not in fields:
        fields["user_label"] = user_label[:254]
    return AccessLog.objects.create(
        kind=kind, action=action[:80], object_type=object_type[:100],
        object_id=str(object_id)[:64], at=timezone.now(), **fields)


def record_reads(user: User, patients: Iterable[PatientProfile | int], *, action: str,
                 object_type: str = "accounts.patientprofile", object_id: object = "") -> None:
    """One read row per patient shown at once (a dashboard or admin list), written in one
    query. ``patients`` are profiles (with their user loaded) or ids (their labels are then
    read in one query)."""
    patients = list(patients)
    ids = [p if isinstance(p, int) else p.pk for p in patients]
    labels = {p.pk: p.user.email for p in patients if isinstance(p, PatientProfile)}
    missing = [pk for pk in ids if pk not in labels]
    if missing:
        labels.update(PatientProfile.objects.filter(pk__in=missing)
                      .values_list("pk", "user__email"))
    own = getattr(getattr(user, "patient_profile", None), "pk", None) \
        if getattr(user, "role", None) == Role.PATIENT else None
    base = {**_context(None), **_user_fields(user)}
    now = timezone.now()
    rows = [AccessLog(kind=AuditKind.READ, action=action[:80], at=now,
                      object_type=object_type[:100], object_id=str(object_id or pk)[:64],
                      patient_id=pk, patient_label=labels.get(pk, "")[:254], **base)
            for pk in dict.fromkeys(ids) if pk != own]
    if rows:
        AccessLog.objects.bulk_create(rows)


def on_admin_read(user, patient_ids, *, action, object_type, object_id) -> None:
    """Listener of core.reads: the admin showed these patients' rows."""
    record_reads(user, patient_ids, action=action, object_type=object_type, object_id=object_id)


# --- Writes of clinical data: one row per history row -----------------------------------------

_HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _patient_id_of(instance) -> int | None:
    if isinstance(instance, PatientProfile):
        return instance.pk
    for path in ("patient_id", "regimen.patient_id", "checkin.patient_id", "alert.patient_id"):
        value = instance
        for attr in path.split("."):
            value = getattr(value, attr, None)
            if value is None:
                break
        if value is not None:
            return value
    return None


def on_history_row(sender, instance, history_instance, **kwargs) -> None:
    """simple-history wrote a history row: the same write goes into the audit log. Users' own
    rows are left to the sign-in events (every sign-in saves ``last_login``)."""
    if isinstance(instance, User):
        return
    model = type(instance)._meta
    user = history_instance.history_user
    record(kind=AuditKind.WRITE,
           action=f"{_HISTORY_ACTIONS.get(history_instance.history_type, 'wrote')} "
                  f"{model.verbose_name}",
           user=user, patient_id=_patient_id_of(instance),
           object_type=model.label_lower, object_id=instance.pk)


# --- Sign-in events and second factors --------------------------------------------------------

def on_signed_in(sender, request, user, **kwargs) -> None:
    record(kind=AuditKind.SIGN_IN, action="signed in", user=user, request=request)


def on_signed_out(sender, request, user, **kwargs) -> None:
    record(kind=AuditKind.SIGN_OUT, action="signed out", user=user, request=request)


def on_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django's ``user_login_failed``. The account, when it exists, is named by its id and
    address; what was typed is never stored beyond that (it might be a password)."""
    typed = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email=typed).first() if typed else None
    record(kind=AuditKind.SIGN_IN_FAILED, action="sign-in failed",
           object_type="accounts.user" if user else "",
           object_id=user.pk if user else "", user_label=user.email if user else "",
           request=request)


def sign_in_throttled(request, *, email: str) -> None:
    user = User.objects.filter(email=(email or "").strip().lower()).first()
    record(kind=AuditKind.THROTTLED, action="sign-in held back by the limits",
           object_type="accounts.user" if user else "", object_id=user.pk if user else "",
           user_label=user.email if user else "", request=request)


_FACTOR_WORDS = {"totp": "authenticator app", "recovery_codes": "recovery codes",
                 "webauthn": "security key or passkey"}


def _mfa_receiver(verb: str) -> Callable:
    def receiver(sender, request, user, authenticator, **kwargs) -> None:
        factor = _FACTOR_WORDS.get(authenticator.type, authenticator.type)
        record(kind=AuditKind.MFA, action=f"{verb} {factor}",
               user=user, object_type="mfa.authenticator", object_id=authenticator.pk,
               request=request)
    return receiver


on_authenticator_added = _mfa_receiver("added")
on_authenticator_removed = _mfa_receiver("removed")
on_authenticator_reset = _mfa_receiver("renewed")


# --- Refusals ---------------------------------------------------------------------------------

def denied(user: User, *, action: str, object_type: str = "", object_id: object = "") -> None:
    """A signed-in user asked for something outside their scope and got 404."""
    record(kind=AuditKind.DENIED, action=action, user=user, object_type=object_type,
           object_id=object_id)


# --- "Who looked at my record": the reads of one patient's data, for them and their clinician --

LOOKS_PER_PAGE = 25
# What a read was, in the patient's words, by the start of its action name (first match).
_READ_WORDS = (
    ("clinic.dashboard", "saw you in their list of patients"),
    ("clinic.", "opened your record"),
    ("exports.", "downloaded a report of your data"),
    ("api.", "read your data through a connected app"),
    ("admin ", "looked at your data in the administration pages"),
    ("injections.", "looked at your injections"),
    ("symptoms.", "looked at your symptom diary"),
    ("labs.", "looked at your lab results"),
    ("alerts.", "looked at your alerts"),
    ("messages.", "read your messages"),
)


def read_in_words(action: str) -> str:
    for prefix, words in _READ_WORDS:
        if action.startswith(prefix):
            return words
    return "looked at your record"


@dataclass(frozen=True)
class Look:
    at: dt.datetime  # in the patient's zone
    who: str
    role: str
    what: str


def who_looked_page(patient: PatientProfile, *, number: object = None,
                    per_page: int = LOOKS_PER_PAGE) -> Page:
    """Page ``number`` (newest first) of the reads of ``patient``'s data by anyone else, as
    ``Look`` rows with times in the patient's zone. The caller has checked access."""
    reads = (AccessLog.objects.filter(patient_id=patient.pk, kind=AuditKind.READ)
             .select_related("user").order_by("-at", "-id"))
    page = Paginator(reads, per_page).get_page(number)
    zone = patient.tz
    page.object_list = [
        Look(at=row.at.astimezone(zone),
             who=(row.user.get_full_name() or row.user.email) if row.user else
             (row.user_label or "Someone no longer registered"),
             role=Role(row.role).label if row.role in Role.values else "",
             what=read_in_words(row.action))
        for row in page.object_list
    ]
    return page
