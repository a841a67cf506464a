"""Multi-factor authentication rules on top of ``allauth.mfa``.

Clinicians and admins (``settings.MFA_REQUIRED_ROLES``, and any Django staff user) must have an
authenticator app before any page with patient data renders; ``MfaRequiredMiddleware`` sends
them to the setup page until they do. allauth then asks every sign-in for a code. Patients may
turn it on from their settings page.
"""

from __future__ import annotations

import base64

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.urls import reverse

from .models import User

# Kinds that count as a second factor (recovery codes only back one up).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
# Set in the session once a required user is known to have a second factor, so the check
# costs no query per page. Cleared with the session on sign-out.
SESSION_FLAG = "b12.mfa_in_place"
# Pages a user without the required second factor may still open: setting it up, signing in
# and out, static files and the health check. Nothing here shows patient data.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz")


def is_required(user: User) -> bool:
    return bool(user.is_authenticated) and (
        user.role in settings.MFA_REQUIRED_ROLES or user.is_staff or user.is_superuser
    )


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def setup_needed(user: User, session) -> bool:
    """True while a user who must use MFA has no authenticator yet (remembered once found)."""
    if not is_required(user) or session.get(SESSION_FLAG):
        return False
    if has_second_factor(user):
        session[SESSION_FLAG] = True
        return False
    return True


def is_exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


def setup_url() -> str:
    return reverse("mfa_activate_totp")


def totp_activate(user: User, *, secret: str) -> Authenticator:
    """Give ``user`` an authenticator app with a known secret (demo data and tests only;
    people scan a fresh secret on the setup page)."""
    existing = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    return TOTP.activate(user, secret).instance


def totp_code(secret: str, *, at: float) -> str:
    """The code an authenticator app with ``secret`` shows at epoch second ``at``."""
    return format_hotp_value(hotp_value(secret, int(at) // mfa_settings.TOTP_PERIOD))


# --- Secrets at rest ----------------------------------------------------------------------------
# TOTP secrets and recovery-code seeds are stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256)
# under a key derived from SECRET_KEY, so a copy of the database alone does not yield codes.
# SECRET_KEY_FALLBACKS keep old rows readable after a key rotation.
ENCRYPTED_PREFIX = "fernet:"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"b12care mfa secrets").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(k) for k in [settings.SECRET_KEY,
                                             *settings.SECRET_KEY_FALLBACKS]])


def encrypt_secret(text: str) -> str:
    return ENCRYPTED_PREFIX + _keys().encrypt(text.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """Plain values written before encryption was introduced are returned as they are."""
    if not stored.startswith(ENCRYPTED_PREFIX):
        return stored
    return _keys().decrypt(stored[len(ENCRYPTED_PREFIX):].encode()).decode()


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Clinicians and admins cannot switch off their only second factor."""
        if authenticator.type not in SECOND_FACTORS or not is_required(authenticator.user):
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id, type__in=SECOND_FACTORS
        ).exclude(pk=authenticator.pk)
        return others.exists()
