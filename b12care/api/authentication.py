"""DRF authentication by device token: ``Authorization: Bearer b12_...``."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from . import services


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """Accepts an active device token; a revoked or unknown one is a 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: session authentication may still apply
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as: Authorization: Bearer <token>.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = services.device_token_authenticate(raw=raw, now=timezone.now())
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
