"""Input parsing and validation: the knowledge-check form (built from a snapshot) and the assignment form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from enrollments import assignment_selectors, grading
from enrollments.models import AssignmentAudience, DueFrom

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


# --- Assigning ------------------------------------------------------------------------------------


class DueKind:
    DATE = "date"
    DAYS = "days"
    CHOICES = [(DATE, "On a date"), (DAYS, "A number of days")]


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.user.name or obj.user.email
        return f"{name} · {obj.team.name}" if obj.team_id else name


class AssignmentForm(forms.Form):
    """What to assign, to whom, by when. Choices are the acting member's (scoped selectors), so an id
    of another team, person or organization is "not one of the available choices"; the service checks
    again (NotPermitted) and validates what the form cannot (a program with a draft course)."""

    program = forms.ModelChoiceField(queryset=None, required=False, empty_label="—", label="Program")
    course = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="—", label="Or a single course",
        help_text="Choose a program or one published course.",
    )  # fmt: skip
    audience = forms.ChoiceField(widget=forms.RadioSelect, label="Who")
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="—", label="Team")
    people = PersonChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="People"
    )
    due_kind = forms.ChoiceField(
        choices=DueKind.CHOICES, widget=forms.RadioSelect, initial=DueKind.DAYS, label="Due"
    )
    due_on = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    due_days = forms.IntegerField(required=False, min_value=1, max_value=730, label="Number of days")
    due_from = forms.ChoiceField(choices=[], required=False, label="Counted from")

    def __init__(self, *args, membership, **kwargs) -> None:
        selectors = assignment_selectors
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = selectors.assignable_programs(membership=membership)
        self.fields["course"].queryset = selectors.assignable_courses(membership=membership)
        self.fields["team"].queryset = selectors.assignable_teams(membership=membership)
        self.fields["people"].queryset = selectors.assignable_people(membership=membership)
        audiences = [
            (AssignmentAudience.TEAM, "A team"),
            (AssignmentAudience.PEOPLE, "Chosen people"),
        ]
        if membership.is_admin:
            audiences.append((AssignmentAudience.ORGANIZATION, "Everyone in the organization"))
        self.fields["audience"].choices = audiences
        self.fields["due_from"].choices = [
            (DueFrom.ASSIGNED, "the day of this assignment"),
            (DueFrom.JOINED, "the day each person joined (for people who join later)"),
        ]
        self.fields["due_kind"].widget.attrs["data-due-kind"] = ""
        self.fields["audience"].widget.attrs["data-audience"] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("program")) == bool(data.get("course")) and "program" not in self.errors:
            self.add_error("program", "Choose a program or a single course (one of them).")
        audience = data.get("audience")
        if audience == AssignmentAudience.TEAM and not data.get("team") and "team" not in self.errors:
            self.add_error("team", "Choose the team.")
        if audience == AssignmentAudience.PEOPLE and not data.get("people") and "people" not in self.errors:
            self.add_error("people", "Choose at least one person.")
        if data.get("due_kind") == DueKind.DATE:
            if not data.get("due_on") and "due_on" not in self.errors:
                self.add_error("due_on", "Give the due date.")
            data["due_days"] = None
        elif data.get("due_kind") == DueKind.DAYS:
            if not data.get("due_days") and "due_days" not in self.errors:
                self.add_error("due_days", "Give the number of days.")
            data["due_on"] = None
            data["due_from"] = data.get("due_from") or DueFrom.ASSIGNED
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        audience = data["audience"]
        return {
            "program": data.get("program"),
            "course": data.get("course"),
            "audience": audience,
            "team": data.get("team") if audience == AssignmentAudience.TEAM else None,
            "people": list(data.get("people") or []) if audience == AssignmentAudience.PEOPLE else [],
            "due_on": data.get("due_on"),
            "due_days": data.get("due_days"),
            "due_from": data.get("due_from") or DueFrom.ASSIGNED,
        }


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET). Choices are the teams and programs the actor may see, already
    loaded: no query of its own, and another organization's or team's id is a form error."""

    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    program = forms.TypedChoiceField(label="Program", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Status", required=False)

    def __init__(self, *args, teams: list, programs: list, statuses: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.programs = {program.pk: program for program in programs}
        self.fields["team"].choices = [("", "All my teams"), *((pk, team.name) for pk, team in self.teams.items())]
        self.fields["program"].choices = [("", "All programs"), *((pk, p.title) for pk, p in self.programs.items())]
        self.fields["status"].choices = [("", "Any status"), *statuses.items()]

    def chosen(self) -> tuple[object | None, object | None, str | None]:
        """(team, program, status) from the valid fields; a field with an error counts as not chosen."""
        data = self.cleaned_data if self.is_bound else {}
        return self.teams.get(data.get("team")), self.programs.get(data.get("program")), data.get("status") or None
