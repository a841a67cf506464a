"""The seam through which the admin says "someone read these patients' data".

The audit log lives in accounts, a floor above; admin classes of every app only know core.
accounts registers its recorder here in ``AccountsConfig.ready`` (``listen``), as the floors
above subscribe to ``events.patient_data_changed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.admin.utils import unquote
from simple_history.admin import SimpleHistoryAdmin

Listener = Callable[..., None]  # listener(user, patient_ids, *, action, object_type, object_id)
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def patients_read(user: Any, patient_ids: Iterable[int | None], *, action: str,
                  object_type: str = "", object_id: Any = "") -> None:
    ids = [pk for pk in dict.fromkeys(patient_ids) if pk is not None]
    if not ids:
        return
    for listener in _listeners:
        listener(user, ids, action=action, object_type=object_type, object_id=object_id)


class PatientReadAdminMixin:
    """For ModelAdmins that show patient data: opening a row (change, delete or history page)
    and listing rows are reads of those patients' data, reported through ``patients_read``.
    ``patient_ids_of(obj)`` says whose data a row is (default ``obj.patient_id``)."""

    def patient_ids_of(self, obj) -> list[int]:
        return [obj.patient_id]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            patients_read(request.user, self.patient_ids_of(obj),
                          action=f"admin opened {self.opts.verbose_name}"[:80],
                          object_type=self.opts.label_lower, object_id=obj.pk)
        return obj

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200 and isinstance(self, SimpleHistoryAdmin):
            self._history_read(request, object_id)  # Django's own history view used get_object
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200:
            self._history_read(request, object_id)
        return response

    def _history_read(self, request, object_id) -> None:
        """simple-history's pages read the row (or, once deleted, its last version) without
        ``get_object``; the id was checked by admin_history.HistoryAdmin."""
        pk = unquote(object_id)
        obj = self.model._default_manager.filter(pk=pk).first()
        if obj is None:
            last = self.model.history.filter(**{self.opts.pk.attname: pk}).order_by(
                "-history_date").first()
            obj = last.instance if last is not None else None
        if obj is not None:
            patients_read(request.user, self.patient_ids_of(obj),
                          action=f"admin opened the history of {self.opts.verbose_name}"[:80],
                          object_type=self.opts.label_lower, object_id=obj.pk)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            rows = list(changelist.result_list)
            patients_read(request.user, [pk for obj in rows for pk in self.patient_ids_of(obj)],
                          action=f"admin listed {self.opts.verbose_name_plural}"[:80],
                          object_type=self.opts.label_lower)
        return response
