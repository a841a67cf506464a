"""Labels the Django admin leaves out, for our ModelAdmins (WCAG 2.2 AA; the axe walk in
``b12care/core/tests/test_browser_axe.py`` finds them).

- ``LabelledListEditableMixin``: the inputs of ``list_editable`` columns have a column heading
  but no label; each gets "<column>: <row>" ("Is active: Numbness in the hands").
- ``AccessibleAdminMixin``: the date and time boxes of a date-and-time field share one label
  that points at neither; each gets "<field>: date" / "<field>: time".
- ``LabelledTabularInline``: the boxes of a table row (and its "Delete?" box) have only the
  column heading; each gets "<column>, row N".
"""

from __future__ import annotations

from django import forms
from django.contrib import admin


def _set_label(field, text: str) -> None:
    # The admin wraps related-object widgets; the wrapped one renders the input. A new dict,
    # not an update: the wrapper's copy shares its ``attrs`` with the class-level widget.
    widget = getattr(field.widget, "widget", field.widget)
    widget.attrs = {**widget.attrs, "aria-label": text}


class LabelledListEditableMixin:
    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class Labelled(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                for name, field in self.fields.items():
                    if name in self._meta.fields or name == "id":
                        label = field.label or name
                        _set_label(field, f"{str(label).capitalize()}: {self.instance}")

        return Labelled


class AccessibleAdminMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None) if formfield else None
        widget = getattr(widget, "widget", widget)
        if isinstance(widget, forms.MultiWidget) and len(widget.widgets) == 2 and isinstance(
                formfield, forms.SplitDateTimeField):
            label = str(formfield.label or db_field.verbose_name).capitalize()
            date, time = widget.widgets
            date.attrs = {**date.attrs, "aria-label": f"{label}: date"}
            time.attrs = {**time.attrs, "aria-label": f"{label}: time"}
        return formfield


class LabelledTabularInline(admin.TabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class Labelled(base):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = "new row" if index is None else f"row {index + 1}"
                for name, field in form.fields.items():
                    if not field.widget.is_hidden:
                        label = "Delete" if name == "DELETE" else str(field.label or name)
                        _set_label(field, f"{label.capitalize()}, {row}")

        return Labelled
