"""Input of the person's own notification pages."""

from __future__ import annotations

from django import forms

from notifications.categories import Category


class EmailPreferencesForm(forms.Form):
    """Which optional kinds of email the person wants: one checkbox per category, all saved at once.

    An unticked checkbox is not posted, so the categories not in `email` are the ones turned off.
    """

    email = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, optional: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [(category.name, category.label) for category in optional]

    def enabled(self) -> set[str]:
        return set(self.cleaned_data["email"])
