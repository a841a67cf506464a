"""Email through Django's configured email backend (EMAIL_URL)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from . import DeliveryError


def message_id(notification) -> str:
    # A stable Message-ID per outbox row: if a retry re-sends after a crash between sending and
    # recording, mail systems and the recipient can see it is the same message.
    domain = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "b12care"
    return f"<notification-{notification.pk}@{domain}>"


def send(notification) -> None:
    address = notification.recipient.email
    if not address:
        raise DeliveryError("recipient has no email address", permanent=True)
    link = f"{settings.SITE_URL}{notification.link}" if notification.link else settings.SITE_URL
    body = f"{notification.body}\n\n{link}\n\nB12 Care"
    EmailMessage(
        subject=notification.subject,
        body=body,
        to=[address],
        headers={"Message-ID": message_id(notification)},
    ).send(fail_silently=False)
