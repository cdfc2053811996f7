"""Forms of practice at work and manager observations (parsing only; the services write and check)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from followups import memory
from organizations.models import ServiceStandard

# What a manager sees at work, as a 1–4 rating. It is stored as an FSRS review rating, and the mapping
# is an approximation, not an identity: FSRS rates how hard it was to *recall*, an observation rates
# how consistently the behavior *shows*. We read a behavior that does not show yet as not remembered
# (Again), one that shows only sometimes as recalled with effort (Hard), usually as recalled (Good)
# and every time as effortless (Easy). "Always" therefore stretches the memory most, as Easy does.
OBSERVATION_RATINGS: tuple[tuple[int, str], ...] = (
    (memory.AGAIN, "Not yet"),
    (memory.HARD, "Sometimes"),
    (memory.GOOD, "Usually"),
    (memory.EASY, "Always"),
)
RATING_LABELS = dict(OBSERVATION_RATINGS)
_CHECKLIST_FIELD = re.compile(r"^(rating|notes)-(\d+)$")


class ReflectionForm(forms.Form):
    reflection = forms.CharField(
        label="How did it go?",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few sentences: what you tried, how the customer reacted, what you would do next time.",
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label="Your reply", max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class ObservationForm(forms.Form):
    """One 1–4 rating (optional: a standard not seen is left blank) and notes per standard, general notes.

    Fields are named after the standard's id (`rating-<id>`, `notes-<id>`). A posted field for a
    standard that is not on the checklist (the program changed since the page was loaded, or a forged
    id) is an error rather than ignored.
    """

    notes = forms.CharField(
        label="General notes", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What went well, and one thing to work on. The person sees these notes.",
    )

    def __init__(self, *args, standards: list[ServiceStandard], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.standards = standards
        for standard in standards:
            self.fields[f"rating-{standard.pk}"] = forms.TypedChoiceField(
                label=f"{standard.code} {standard.title}", required=False, coerce=int, empty_value=None,
                choices=[(value, f"{value} {label}") for value, label in OBSERVATION_RATINGS],
                widget=forms.RadioSelect,
            )
            self.fields[f"notes-{standard.pk}"] = forms.CharField(
                label=f"Notes on {standard.code} (optional)", required=False, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[ServiceStandard, forms.BoundField, forms.BoundField]]:
        return [(s, self[f"rating-{s.pk}"], self[f"notes-{s.pk}"]) for s in self.standards]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.is_bound:
            known = {str(standard.pk) for standard in self.standards}
            unknown = {
                match.group(2) for name in self.data
                if (match := _CHECKLIST_FIELD.match(name)) and match.group(2) not in known
            }
            if unknown:
                raise ValidationError("The checklist changed since you opened it: reload the page and rate again.")
        if not self.ratings():
            raise ValidationError("Rate at least one standard you saw.")
        return cleaned

    def ratings(self) -> dict[int, int]:
        data = getattr(self, "cleaned_data", {})
        return {s.pk: data[f"rating-{s.pk}"] for s in self.standards if data.get(f"rating-{s.pk}") is not None}

    def notes_by_standard(self) -> dict[int, str]:
        data = self.cleaned_data
        return {s.pk: data[f"notes-{s.pk}"].strip() for s in self.standards if data.get(f"notes-{s.pk}", "").strip()}
