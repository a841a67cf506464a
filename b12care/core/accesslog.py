"""gunicorn's access log without secrets or search terms (``gunicorn.conf.py`` loads it).

A request line is logged before Django sees it, so the scrubbing happens here: one-time links
(invitation, password reset, email confirmation) lose their token, query parameters that may
name a person or carry a code lose their value, and the same goes for the Referer. Cookies and
Authorization headers never reach the log, whatever ``access_log_format`` asks for.

Plain Python and gunicorn only: the gunicorn master imports this before Django is set up.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# One-time links: the token segment goes, the rest of the path stays readable. The
# "set-password" step that Django and allauth redirect to holds no token and is kept.
TOKEN_PATHS = (
    re.compile(r"^(/welcome/[^/]+/)(?!set-password/)[^/?]+"),
    re.compile(r"^(/accounts/password/reset/key/[0-9A-Za-z]+-)(?!set-password/)[^/?]+"),
    re.compile(r"^(/accounts/confirm-email/)[^/?]+"),
)
# Query parameters whose value may be a person's name, email or number, or a secret.
SECRET_PARAMS = re.compile(
    r"(^|[&;])((?:q|search|query|email|phone|token|key|code|password)=)[^&;]*", re.IGNORECASE
)
URL_ATOMS = frozenset({"f", "U", "{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e",
                       "{request_uri}e"})
QUERY_ATOMS = frozenset({"q", "{query_string}e"})
CREDENTIAL_ATOMS = frozenset({"{cookie}i", "{authorization}i", "{proxy-authorization}i",
                              "{set-cookie}o", "{http_cookie}e", "{http_authorization}e"})


# A redirect target (``/accounts/login/?next=/clinic/%3Fq%3DMaria``) is itself scrubbed.
NEXT_PARAM = re.compile(r"(^|[&;])(next=)([^&;]*)", re.IGNORECASE)


def scrub_query(query: str) -> str:
    query = SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", query)
    return NEXT_PARAM.sub(lambda m: m.group(1) + m.group(2) + _scrub_target(m.group(3)), query)


def _scrub_target(encoded: str) -> str:
    target = unquote(encoded.replace("+", " "))
    scrubbed = scrub_url(target)
    return encoded if scrubbed == target else quote(scrubbed, safe="/[]")


def scrub_path(path: str) -> str:
    for pattern in TOKEN_PATHS:
        path = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", path)
    return path


def scrub_url(url: str) -> str:
    """A path with its query (``/a/?b=c``) or an absolute URL (a Referer), scrubbed."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=scrub_path(parts.path),
                                     query=scrub_query(parts.query)))


def scrub_request_line(line: str) -> str:
    """``GET /welcome/x/token/ HTTP/1.1`` → the same line with its URL scrubbed."""
    parts = line.split(" ")
    if len(parts) == 3:
        parts[1] = scrub_url(parts[1])
    return " ".join(parts)


def scrub_atoms(atoms: dict) -> dict:
    for name in list(atoms):
        value = atoms[name]
        if not isinstance(value, str):
            continue
        if name == "r":
            atoms[name] = scrub_request_line(value)
        elif name in URL_ATOMS:
            atoms[name] = scrub_url(value)
        elif name in QUERY_ATOMS:
            atoms[name] = scrub_query(value)
        elif name in CREDENTIAL_ATOMS:
            atoms[name] = "-"
    return atoms


def skip_prefixes(value: str | None) -> tuple[str, ...]:
    """``ACCESS_LOG_SKIP`` ("/static/,/healthz") as path prefixes; empty logs everything."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def is_skipped(path: str, prefixes: tuple[str, ...]) -> bool:
    return bool(prefixes) and path.startswith(prefixes)


class ScrubbingLogger(Logger):
    """gunicorn's logger with every access-log field passed through ``scrub_atoms``, and no
    line at all for paths under ``ACCESS_LOG_SKIP`` (``make run`` skips static files and
    /healthz unless VERBOSE=1; production logs everything by default)."""

    skip = skip_prefixes(os.environ.get("ACCESS_LOG_SKIP"))

    def access(self, resp, req, environ, request_time):
        if is_skipped(environ.get("PATH_INFO") or "", self.skip):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        return scrub_atoms(super().atoms(resp, req, environ, request_time))
