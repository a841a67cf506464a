"""The in-app notification centre: a row the user sees after signing in."""

from __future__ import annotations

from b12care.alerts.models import InAppMessage


def send(notification) -> None:
    # get_or_create on the one-to-one key: a re-delivery of the same row adds nothing.
    InAppMessage.objects.get_or_create(
        notification=notification,
        defaults={
            "user_id": notification.recipient_id,
            "title": notification.subject,
            "body": notification.body,
            "link": notification.link,
            "created_at": notification.created_at,
        },
    )
