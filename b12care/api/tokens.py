"""Device tokens: what they look like and what is stored of them. Pure functions.

A token reads ``b12_<prefix>_<secret>``. The 8-character prefix is stored in clear: it finds the
one row to check and lets a person tell their devices apart. Of the whole token only its
SHA-256 is stored, so a copy of the database lets nobody in. A fast hash is enough here: the
secret carries 256 random bits, and slow password hashes exist for guessable human passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "b12"
PREFIX_LENGTH = 8


def new_token() -> tuple[str, str]:
    """A fresh (prefix, raw token). The raw token is shown to its owner once, never stored."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def prefix_of(raw: str) -> str | None:
    """The lookup prefix of something that looks like one of our tokens, else None."""
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


def matches(raw: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(raw), stored_digest)
