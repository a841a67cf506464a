"""Text messages through a pluggable backend (``B12_SMS_BACKEND``, a dotted path).

No real provider is wired in. Backends: ``ConsoleBackend`` (default with DEBUG off: sends
nothing and logs only that a text was due, never the number or the words, which are health
data) and ``FileBackend`` (default with DEBUG on: appends JSON lines to ``B12_SMS_FILE_PATH``;
tests and demos read it). A real provider implements ``send_sms(to, body, idempotency_key)``
and passes the key on so a retried send is not delivered twice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from . import DeliveryError

log = logging.getLogger(__name__)


class BaseBackend:
    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> None:
        log.info("SMS %s went to the console backend: no provider is configured (SMS_BACKEND), "
                 "so nothing was delivered", idempotency_key)


class FileBackend(BaseBackend):
    def __init__(self, path: str | None = None):
        default = Path(settings.BASE_DIR) / "var" / "sms.jsonl"
        self.path = Path(path or getattr(settings, "B12_SMS_FILE_PATH", default))

    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"to": to, "body": body, "key": idempotency_key}) + "\n")


def get_backend() -> BaseBackend:
    path = getattr(settings, "B12_SMS_BACKEND", "b12care.alerts.channels.sms.ConsoleBackend")
    return import_string(path)()


def send(notification) -> None:
    profile = getattr(notification.recipient, "patient_profile", None)
    phone = profile.phone if profile else ""
    if not phone:
        raise DeliveryError("recipient has no mobile number", permanent=True)
    get_backend().send_sms(
        to=phone, body=notification.body, idempotency_key=f"notification-{notification.pk}"
    )
