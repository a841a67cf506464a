from django import forms


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a clinical note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Visible to the care team only, with your name and the time.",
    )
