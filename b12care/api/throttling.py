"""Rate limits per user and per anonymous address. DRF's own classes read the rates once at
import; these read them at each request, so settings (and tests) can change them."""

from __future__ import annotations

from rest_framework import views
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RatesFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    scope = "user"


class DeviceTokenThrottle(_RatesFromSettings, UserRateThrottle):
    """Creating tokens: a few an hour is plenty for a person with a new phone."""

    scope = "devices"


def exception_handler(exc, context):
    """DRF's handler, after counting failed or missing authentication against the anonymous
    rate: DRF checks credentials before rates, so without this a caller guessing tokens would
    never be slowed down."""
    if isinstance(exc, NotAuthenticated | AuthenticationFailed):
        throttle = AnonThrottle()
        if not throttle.allow_request(context["request"], context["view"]):
            exc = Throttled(throttle.wait())
    return views.exception_handler(exc, context)
