"""Delivery channels: one small module per channel, each with ``send(notification)``.

A channel raises ``DeliveryError(permanent=True)`` when retrying cannot help (no address) and
``DeliveryError`` / any other exception for a transient failure (retried with backoff).
"""

from __future__ import annotations

from importlib import import_module


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


CHANNEL_MODULES = {
    "email": "b12care.alerts.channels.email",
    "in_app": "b12care.alerts.channels.in_app",
    "sms": "b12care.alerts.channels.sms",
}


def send(notification) -> None:
    import_module(CHANNEL_MODULES[notification.channel]).send(notification)
