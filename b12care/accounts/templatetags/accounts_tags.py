from allauth.mfa.models import Authenticator
from django import template

from b12care.accounts.mfa import is_required
from b12care.accounts.sessions import describe_browser

register = template.Library()


@register.filter
def browser_name(user_agent: str) -> str:
    return describe_browser(user_agent or "")


@register.filter
def has_security_key(user) -> bool:
    """Whether the person signing in has a WebAuthn key (offer it on the code page)."""
    return bool(user) and Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.WEBAUTHN).exists()


@register.filter
def must_use_mfa(user) -> bool:
    """Clinicians and admins may not switch their second factor off."""
    return is_required(user)
