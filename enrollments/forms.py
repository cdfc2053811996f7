"""Input parsing and validation for learner pages: the knowledge-check form, built from a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from enrollments import grading

FIELD_PREFIX = "q_"


def field_name(question_id: int | str) -> str:
    return f"{FIELD_PREFIX}{question_id}"


def responses_from_post(data: QueryDict) -> dict[str, list[str]]:
    """Question id → the raw values posted for it (`q_<id>` fields); checking them is the service's job."""
    return {
        key[len(FIELD_PREFIX):]: data.getlist(key)
        for key in data
        if key.startswith(FIELD_PREFIX) and key[len(FIELD_PREFIX):]
    }


@dataclass(frozen=True)
class ChoiceOption:
    id: int
    text: str
    dom_id: str
    checked: bool


@dataclass(frozen=True)
class QuestionItem:
    """One question as the template renders it: a fieldset of radio buttons or checkboxes.

    The inputs are written out by the template rather than by Django's widget templates: a
    200-question check has about 800 inputs, and rendering each through a widget template made the
    page take a second on a small server.
    """

    number: int
    question: dict[str, Any]
    name: str
    single: bool
    options: list[ChoiceOption]
    errors: list[str]

    @property
    def input_type(self) -> str:
        return "radio" if self.single else "checkbox"


class KnowledgeCheckForm(forms.Form):
    """One field per question of the attempt's snapshot: radio buttons for single-answer kinds
    (single, true/false, scenario), checkboxes for multiple choice.

    The service (`attempt_submit`) is the authority on what is valid; this form renders the questions
    and, when the service refuses the answers, shows its messages next to each question with the
    person's choices kept.
    """

    def __init__(self, *args: Any, snapshot: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snapshot = snapshot
        for question in snapshot["questions"]:
            choices = [(str(choice["id"]), choice["text"]) for choice in question["choices"]]
            if grading.is_single_answer(question["kind"]):
                self.fields[field_name(question["id"])] = forms.ChoiceField(
                    label=question.get("title") or question["prompt"],
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={
                        "required": grading.MESSAGE_MISSING,
                        "invalid_choice": grading.MESSAGE_FOREIGN_CHOICE,
                    },
                )
            else:
                self.fields[field_name(question["id"])] = forms.MultipleChoiceField(
                    label=question.get("title") or question["prompt"],
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={
                        "required": grading.MESSAGE_MISSING_SEVERAL,
                        "invalid_choice": grading.MESSAGE_FOREIGN_CHOICE,
                    },
                )

    def items(self) -> list[QuestionItem]:
        errors = self.errors if self.is_bound else {}
        items = []
        for number, question in enumerate(self.snapshot["questions"], start=1):
            name = field_name(question["id"])
            checked = set(self.data.getlist(name)) if self.is_bound and hasattr(self.data, "getlist") else set()
            items.append(
                QuestionItem(
                    number=number,
                    question=question,
                    name=name,
                    single=grading.is_single_answer(question["kind"]),
                    options=[
                        ChoiceOption(
                            id=choice["id"],
                            text=choice["text"],
                            dom_id=f"id_{name}_{index}",
                            checked=str(choice["id"]) in checked,
                        )
                        for index, choice in enumerate(question["choices"])
                    ],
                    errors=list(errors.get(name, [])),
                )
            )
        return items

    def show_service_errors(self, errors: Mapping[str, str]) -> None:
        """Put the service's messages (question id or NON_FIELD → message) on the bound form."""
        self.full_clean()
        for key, message in errors.items():
            name = None if key == grading.NON_FIELD else field_name(key)
            if name is not None and name not in self.fields:
                name = None
            if name is not None and message in self.errors.get(name, []):
                continue
            if name is not None and name in self.errors:
                # One message per question is enough: the service's is the one that counts.
                del self.errors[name]
            self.add_error(name, message)
