"""The dashboard's search term, kept out of every address.

A search term is a patient's name or email. In a URL it would reach the access logs (ours and
the TLS proxy's), the browser history and Referer headers. So the search form is POSTed, the
term is kept in the clinician's session under a random handle, and the page's address carries
only that handle (``?s=…``): Back, Next page and the filters keep working, and the term itself
never travels in a URL.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping

SESSION_KEY = "clinic.dashboard_searches"
KEEP = 20  # the most recent searches stay reachable through Back
MAX_LENGTH = 100


def remember(session: MutableMapping, term: str) -> str:
    """Keep ``term`` in ``session``; return its handle, or "" for an empty term."""
    # PostgreSQL refuses NUL in text (the session row): a typed NUL is dropped, not a 500.
    term = term.replace("\x00", "").strip()[:MAX_LENGTH]
    if not term:
        return ""
    handle = secrets.token_urlsafe(6)
    searches = {**session.get(SESSION_KEY, {}), handle: term}
    session[SESSION_KEY] = dict(list(searches.items())[-KEEP:])
    return handle


def recall(session: MutableMapping, handle: str) -> str:
    """The term stored under ``handle``, or "" (no handle, or one this session never made)."""
    return session.get(SESSION_KEY, {}).get(handle, "") if handle else ""
