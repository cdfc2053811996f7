"""Forms of the follow-up plan editor and the organization's refresher settings (parsing only)."""

from __future__ import annotations

from django import forms

from followups.models import StepKind


class StepForm(forms.Form):
    offset_days = forms.IntegerField(label="Days after completion", min_value=1, max_value=365)
    # A blank first choice: a row added and left blank is no step (it has not changed), not an error.
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose a kind"), *StepKind.choices])
    message = forms.CharField(
        label="Message (message steps only)", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


StepFormSet = forms.formset_factory(StepForm, extra=0, can_delete=True, max_num=20, validate_max=True)


class FollowUpSettingsForm(forms.Form):
    target_percent = forms.IntegerField(
        label="Target recall (%)", min_value=70, max_value=97,
        help_text="A refresher comes when the predicted recall of a person's weakest standard falls below this. "
        "Higher means more refreshers.",
    )
    min_gap_days = forms.IntegerField(label="Minimum days between refreshers", min_value=1, max_value=60)
    max_gap_days = forms.IntegerField(label="Maximum days between refreshers", min_value=7, max_value=365)
