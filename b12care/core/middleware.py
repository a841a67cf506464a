"""Response headers for everything Django renders (static files are answered earlier, by
WhiteNoise, and carry none of this: they hold no personal data).

- ``Cache-Control: no-store``: pages show health data or are part of signing in; no browser,
  proxy or shared computer may keep a copy.
- ``Permissions-Policy`` (settings.PERMISSIONS_POLICY): every powerful feature switched off.
- ``Cross-Origin-Resource-Policy: same-origin``: other sites cannot embed our responses.
- ``Clear-Site-Data`` on the sign-out POST: the browser drops its cache, cookies and storage
  for this site, so the next person at a shared computer finds nothing.

Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY); Referrer-
Policy, X-Content-Type-Options, Cross-Origin-Opener-Policy, X-Frame-Options and HSTS from
Django's own middleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .validation import MAX_ID

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.method == "POST" and request.path_info == reverse("account_logout"):
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response


class BoundedIdsMiddleware:
    """A number in an address beyond any database id (``/patients/10^23/``) is "not found",
    never an overflow in the database driver (a 500). Path converters give ints; the view
    never sees one out of range. Likewise an admin object id with a slash in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
                raise Http404("Not found.")
        # The admin quotes "/" in object ids ("_2F"), so an id with a slash is an address
        # like /admin/app/model/5/change/history/, which the history view would choke on.
        if "/" in str(view_kwargs.get("object_id", "")):
            raise Http404("Not found.")
        return None
