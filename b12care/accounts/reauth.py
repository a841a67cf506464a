"""Changes that need the password (or an MFA code) entered in the last few minutes.

allauth asks for it before email, password and MFA changes; our own pages use
``reauthentication_required(enabled=...)`` with a predicate from here. allauth keeps the
submitted form while the person re-enters their password, then completes it.
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest

from .models import PatientProfile

__all__ = ["phone_change_requested", "reauthentication_required"]


def phone_change_requested(request: HttpRequest) -> bool:
    """True when a settings form posts a mobile number other than the one on file (adding,
    changing or removing it: text reminders go to that number)."""
    if request.method != "POST" or not request.user.is_authenticated:
        return False
    current = (PatientProfile.objects.filter(user_id=request.user.pk)
               .values_list("phone", flat=True).first())
    return (request.POST.get("phone") or "").strip() != (current or "").strip()
