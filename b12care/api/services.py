"""Writes and checks of device tokens: create (the raw token is returned once), revoke, and
authenticate a presented token. ``now`` comes from the caller."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from b12care.accounts.models import User
from b12care.core import validation

from . import tokens
from .models import DeviceToken

ACTIVE_TOKENS_PER_USER = 20
# last_used_at is for people ("used 3 minutes ago"): refreshing it at most this often keeps a
# busy device from writing a row on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


@transaction.atomic
def device_token_create(*, user: User, name: str, now: dt.datetime) -> tuple[DeviceToken, str]:
    """A new token for one of ``user``'s devices and the raw token, to show once."""
    name = validation.strip_bidi(name).strip()  # shown in lists: no direction controls
    if not name:
        raise ValidationError({"name": "Name the device, e.g. “My phone”."})
    active = DeviceToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= ACTIVE_TOKENS_PER_USER:
        raise ValidationError(f"You already have {active} connected devices. Revoke one you "
                              "no longer use first.")
    for _ in range(5):  # a prefix collision (1 in 4 billion) just draws again
        prefix, raw = tokens.new_token()
        token = DeviceToken(user=user, name=name, prefix=prefix, digest=tokens.digest(raw),
                            created_at=now)
        token.full_clean(exclude=["user"], validate_unique=False)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            continue
        return token, raw
    raise RuntimeError("Could not draw a unique token prefix.")


def device_token_revoke(*, token: DeviceToken, by: User, now: dt.datetime) -> DeviceToken:
    """Revoke one of ``by``'s own tokens; the device gets 401 from its next request on."""
    if token.user_id != by.pk:
        raise PermissionDenied("Only the owner can revoke a device.")
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def device_token_authenticate(*, raw: str, now: dt.datetime) -> DeviceToken | None:
    """The active token ``raw`` is, with its user, or None (unknown, revoked, inactive user)."""
    prefix = tokens.prefix_of(raw)
    if prefix is None:
        return None
    token = (DeviceToken.objects.select_related("user")
             .filter(prefix=prefix, revoked_at__isnull=True, user__is_active=True).first())
    if token is None or not tokens.matches(raw, token.digest):
        return None
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at <= stale:
        DeviceToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale),
                                   pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
