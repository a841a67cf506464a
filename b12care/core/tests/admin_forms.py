"""Post an admin change form as a browser would: every field and inline as shown, with changes."""

from __future__ import annotations

from django.forms import MultiWidget


def _bound_data(bound) -> dict:
    widget, value = bound.field.widget, bound.value()
    if isinstance(widget, MultiWidget):  # e.g. the admin's split date and time
        parts = widget.decompress(value) if value else [None] * len(widget.widgets)
        return {f"{bound.html_name}_{i}": "" if part is None else part
                for i, part in enumerate(parts)}
    if isinstance(value, bool):
        return {bound.html_name: "on"} if value else {}
    return {bound.html_name: "" if value is None else value}


def _form_data(form) -> dict:
    data = {}
    for name in form.fields:
        data.update(_bound_data(form[name]))
    return data


def change_form_data(response) -> dict:
    """The POST data of the change form in ``response`` (a GET of the admin change page),
    inline formsets included."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    return data


def admin_change(client, url: str, changes: dict) -> None:
    """GET the change page at ``url``, apply ``changes`` (POST names) and save; asserts the
    admin accepted it."""
    data = change_form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, (response.context["adminform"].form.errors,
                                         [f.errors for i in response.context[
                                             "inline_admin_formsets"] for f in i.formset])
