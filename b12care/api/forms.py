from django import forms


class DeviceForm(forms.Form):
    name = forms.CharField(
        label="Device name", max_length=60,
        help_text="So you can tell your devices apart, e.g. “My phone” or “Tablet app”.")
