"""The notification centre: writes of a user's own in-app messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from b12care.accounts.models import User

from .models import InAppMessage


def inbox_mark_read(*, user: User, message_ids: Iterable[int] | None, now: dt.datetime) -> int:
    """Mark the user's own messages read (all unread when ``message_ids`` is None)."""
    qs = InAppMessage.objects.filter(user=user, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=list(message_ids))
    return qs.update(read_at=now)
