"""simple-history's admin with object ids checked first.

``SimpleHistoryAdmin`` hands the id from the address straight to the ORM, so
``/admin/<app>/<model>/abc/history/`` or ``.../<id>/change/history/`` (Django's ``<path:...>``
lets the slash through) raised ValueError: a 500. Any id that is not a valid primary key, and
any history id that is not one, is a 404 here. Every app's admin uses this class.
"""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .admin_a11y import AccessibleAdminMixin


def _valid_pk(field, raw: str):
    try:
        value = field.to_python(unquote(raw))
    except (ValidationError, ValueError, TypeError, OverflowError):
        raise Http404("No such object.") from None
    if isinstance(value, int) and not 0 < value < 2**63:
        raise Http404("No such object.")
    return value


class HistoryAdmin(AccessibleAdminMixin, SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        _valid_pk(self.model._meta.pk, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _valid_pk(self.model._meta.pk, object_id)
        history_model = getattr(self.model, self.model._meta.simple_history_manager_attribute).model
        _valid_pk(history_model._meta.pk, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
