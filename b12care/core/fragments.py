"""Cached HTML fragments of patient pages (home sections, review sections, timeline, dashboard
rows), keyed by the patient's data version.

Why it is safe:
- **Data**: the key holds ``TriageState.version``, which every write to a patient's data raises
  (b12care/clinic/state.py: the writing services refresh the triage state in their
  transaction; the others call ``bump_versions``). A page reads the version *before* the data it
  renders (the profile query comes first), so a fragment is never stored under a version newer
  than its data: a change shows on the very next request.
- **Time**: the key also holds the current 5-minute bucket, and entries live one bucket. Labels
  that depend on the clock ("due today", "overdue", "3 days ago") are at most 5 minutes old,
  the same bound as the triage reconcile; nothing clinical waits on them (alerts are data).
- **Code**: the key holds a digest of the project's templates and Python sources, so a deploy
  never serves fragments rendered by the previous code.
- **Forms**: fragments are rendered with a placeholder CSRF token that is replaced by the
  request's own token when served, so a cached form posts with the viewer's token.
- Fragments never depend on who views them (sections take no viewer-specific data); per-user
  parts of a page (navigation, unread counts, messages, forms with errors) are rendered live.
  A dashboard page's ranking (``cached_value``) is the viewer's own: its key holds the viewer
  and a fingerprint of their patients (b12care/clinic/triage.py).
- Admin edits of catalogues (symptoms, analytes, rules, templates) show within one bucket.
- A cache that is down costs only speed: pages render without it (and say so in the log).
- Fragments are health data: they live at most one bucket in the cache, which must be private
  (docs/deploy.md).

A patient without a triage-state row yet (just invited) has no version: nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.middleware.csrf import get_token

BUCKET_SECONDS = 300
CSRF_PLACEHOLDER = "b12care-csrf-placeholder-5d41402abc4b2a76"
log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
CODE_DIRS = ("b12care", "injections", "labs", "symptoms", "templates")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the project's templates and Python sources (computed once per process), so
    fragments rendered by other code are never served."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=6)
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html") and "tests" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def data_version(patient) -> int | None:
    """The patient's data version (``None`` when the patient has no triage-state row yet).
    Load the profile with ``select_related("triage_state")`` to avoid a query."""
    try:
        return patient.triage_state.version
    except ObjectDoesNotExist:
        return None


def bucket(now: dt.datetime) -> int:
    return int(now.timestamp()) // BUCKET_SECONDS


def enabled() -> bool:
    return settings.FRAGMENT_CACHE


def fragment_key(name: str, owner_id: int, version: int | str, now: dt.datetime) -> str:
    """``owner_id``: the patient (or, for a dashboard page's ranking, the viewer)."""
    return f"frag:{code_digest()}:{name}:{owner_id}:{version}:{bucket(now)}"


def cached_value(key: str, compute: Callable[[], V | None]) -> V | None:
    """A small value (not HTML) kept for the rest of the bucket; ``key`` must already say
    everything the value depends on (``fragment_key``). ``None`` results are not stored."""
    if not enabled():
        return compute()
    value = _safely(cache.get, key, default=None)
    if value is None:
        value = compute()
        if value is not None:
            _safely(cache.set, key, value, BUCKET_SECONDS, default=None)
    return value


def with_csrf(request: HttpRequest, html: str) -> str:
    """Put the request's CSRF token where the fragment has the placeholder."""
    if CSRF_PLACEHOLDER not in html:
        return html
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


def render_context(**context) -> dict:
    """Context for rendering a fragment: ``{% csrf_token %}`` writes the placeholder."""
    return {"csrf_token": CSRF_PLACEHOLDER, **context}


def cached_many(
    name: str,
    items: Iterable[tuple[K, object]],
    *,
    now: dt.datetime,
    render_missing: Callable[[list[K]], dict[K, V]],
) -> dict[K, V]:
    """Fragments for many (key, patient) items in one cache round trip: the cached ones are
    read, the others rendered together by ``render_missing(keys)`` and stored. Values are HTML
    or small picklable structures holding HTML, with the CSRF placeholder still in it
    (``with_csrf`` replaces it when the page is served)."""
    if not enabled():
        return render_missing([item_key for item_key, _patient in items])
    wanted: dict[str, K] = {}
    uncachable: list[K] = []
    for item_key, patient in items:
        version = data_version(patient)
        if version is None:
            uncachable.append(item_key)
        else:
            wanted[fragment_key(f"{name}:{item_key}", patient.pk, version, now)] = item_key
    found = _safely(cache.get_many, list(wanted), default={}) if wanted else {}
    html = {wanted[key]: value for key, value in found.items()}
    missing = [k for k in wanted.values() if k not in html] + uncachable
    if missing:
        rendered = render_missing(missing)
        html.update(rendered)
        to_store = {key: rendered[k] for key, k in wanted.items() if k in rendered and k not in
                    uncachable and key not in found}
        if to_store:
            _safely(cache.set_many, to_store, BUCKET_SECONDS, default=None)
    return html


def _safely(operation: Callable, *args, default):
    """A cache that is down (Redis restarting) must not take pages down: render instead."""
    try:
        return operation(*args)
    except Exception as exc:  # the backends raise their client's own connection errors
        log.warning("Fragment cache unavailable (%s): rendering without it.", type(exc).__name__)
        return default
