"""Input parsing and validation for authoring: courses, lessons, questions and choices, programs."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator

from courses.content import MAX_MARKDOWN_CHARS, video_embed_url
from courses.models import Course, QuestionKind
from courses.question_formats import MAX_UPLOAD_BYTES, UploadNotReadable, decode_upload
from courses.services import ChoiceInput, choice_problems
from organizations.models import ServiceStandard

MAX_COVER_IMAGE_BYTES = 2 * 1024 * 1024
COVER_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_CHOICES = 10


class StandardsField(forms.ModelMultipleChoiceField):
    """Checkboxes of the organization's standards; an id outside the queryset is a form error."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("queryset", ServiceStandard.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Service standards")
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose standards of your organization only (%(value)s is not one of them)."},
        )
        super().__init__(**kwargs)

    def label_from_instance(self, obj: ServiceStandard) -> str:
        return f"{obj.code} · {obj.title}"


class CourseForm(forms.Form):
    title = forms.CharField(max_length=160)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    estimated_minutes = forms.IntegerField(
        label="Estimated minutes", min_value=1, max_value=600, initial=15,
        help_text="How long the course takes, lessons and knowledge check together.",
    )
    pass_mark_percent = forms.IntegerField(
        label="Pass mark (%)", min_value=1, max_value=100, initial=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The knowledge-check score a learner needs to complete the course.",
    )
    always_show_answers = forms.BooleanField(
        label="Show the right answers after every attempt",
        required=False,
        help_text="Off: after a failed attempt, learners see what was wrong and the feedback, and see the right "
        "answers only once they pass.",
    )
    cover_image = forms.ImageField(
        required=False, help_text="Optional. JPEG, PNG, WebP or GIF, at most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {
            "title": course.title,
            "summary": course.summary,
            "estimated_minutes": course.estimated_minutes,
            "pass_mark_percent": course.pass_mark_percent,
            "always_show_answers": course.always_show_answers,
            "cover_image": course.cover_image,
        }

    def clean_cover_image(self):
        image = self.cleaned_data.get("cover_image")
        # None: no upload; False: "clear" ticked; a FieldFile: the current image, unchanged.
        if not isinstance(image, UploadedFile):
            return image
        if image.size > MAX_COVER_IMAGE_BYTES:
            raise ValidationError("The cover image is larger than 2 MB; use a smaller one.")
        pillow_image = getattr(image, "image", None)  # set by ImageField once Pillow has verified it
        if pillow_image is None or pillow_image.format not in COVER_IMAGE_FORMATS:
            raise ValidationError("Upload a JPEG, PNG, WebP or GIF image.")
        return image

    def cover_image_change(self):
        """For the service: an uploaded file replaces the image, False removes it, None keeps it."""
        image = self.cleaned_data.get("cover_image")
        if image is False:
            return False
        return image if isinstance(image, UploadedFile) else None


class LessonForm(forms.Form):
    title = forms.CharField(max_length=160)
    body_markdown = forms.CharField(
        label="Lesson text", required=False, widget=forms.Textarea(attrs={"rows": 14}),
        help_text=(
            "Markdown: **bold**, *italic*, lists, links, headings (##), tables. HTML is cleaned on save. "
            f"At most {MAX_MARKDOWN_CHARS:,} characters."
        ),
    )
    video_url = forms.URLField(
        label="Video address", required=False, assume_scheme="https",
        help_text="Optional. A YouTube or Vimeo link; it is shown with the privacy-enhanced player.",
    )
    practice_prompt = forms.CharField(
        label="Try this at work", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A small task to practice the standard on the job, e.g. “Greet the next five customers by name.”",
    )
    standards = StandardsField(
        help_text="Every lesson teaches at least one standard before the course can be published."
    )

    def __init__(self, *args, standards_queryset, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standards"].queryset = standards_queryset

    @classmethod
    def initial_for(cls, lesson) -> dict:
        return {
            "title": lesson.title,
            "body_markdown": lesson.body_markdown,
            "video_url": lesson.video_url,
            "practice_prompt": lesson.practice_prompt,
            "standards": [standard.pk for standard in lesson.standards.all()],
        }

    def clean_video_url(self) -> str:
        url = self.cleaned_data.get("video_url", "").strip()
        if url and video_embed_url(url) is None:
            raise ValidationError(
                "Only YouTube and Vimeo videos can be embedded: paste a link such as "
                "https://www.youtube.com/watch?v=… or https://vimeo.com/123456789."
            )
        return url


class ChoiceForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label="Choice", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_correct = forms.BooleanField(label="Correct", required=False)
    feedback = forms.CharField(
        label="Feedback", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this response does or does not meet the standard.",
    )


class BaseChoiceFormSet(forms.BaseFormSet):
    # The ids of the edited question's own choices; a posted id outside them (another question's,
    # another organization's) is refused rather than silently treated as a new choice.
    known_ids: frozenset[int] = frozenset()

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this choice"

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            choice_id = (getattr(form, "cleaned_data", None) or {}).get("id")
            if choice_id is not None and choice_id not in self.known_ids:
                raise ValidationError("A choice that is not one of this question's was posted; reload the page.")

    def choice_inputs(self) -> list[ChoiceInput]:
        """The filled-in rows, in order; blank rows and rows ticked for removal are left out."""
        inputs = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not (data.get("text") or "").strip():
                continue
            inputs.append(
                ChoiceInput(
                    text=data["text"].strip(),
                    is_correct=bool(data.get("is_correct")),
                    feedback=(data.get("feedback") or "").strip(),
                    id=data.get("id"),
                )
            )
        return inputs


ChoiceFormSet = forms.formset_factory(
    ChoiceForm, formset=BaseChoiceFormSet, extra=2, can_delete=True, max_num=MAX_CHOICES, validate_max=True
)


def choice_formset(*, data=None, question=None) -> BaseChoiceFormSet:
    """The inline choices of a question form: its current choices plus blank rows (four on a new one)."""
    if question is not None and question.kind != QuestionKind.TRUE_FALSE:
        initial = [
            {"id": c.pk, "text": c.text, "is_correct": c.is_correct, "feedback": c.feedback}
            for c in question.choices.all()
        ]
    else:
        initial = [{}, {}]
    formset = ChoiceFormSet(data=data, initial=initial, prefix="choices")
    formset.known_ids = frozenset(row["id"] for row in initial if row.get("id") is not None)
    return formset


TRUE_FALSE_ANSWERS = [("true", "True"), ("false", "False")]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label="Question type", choices=QuestionKind.choices, initial=QuestionKind.SINGLE)
    title = forms.CharField(max_length=160, required=False, help_text="Optional short name for lists.")
    prompt = forms.CharField(
        label="Question", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a scenario: describe the customer situation, then ask what the best response is.",
    )
    explanation = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown after answering, whatever was chosen.",
    )
    standards = StandardsField(
        help_text="Every question checks at least one standard before the course can be published."
    )
    true_false_answer = forms.ChoiceField(
        label="The statement is", choices=TRUE_FALSE_ANSWERS, required=False, widget=forms.RadioSelect
    )
    true_feedback = forms.CharField(
        label="Feedback for “True”", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    false_feedback = forms.CharField(
        label="Feedback for “False”", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, standards_queryset, choices: BaseChoiceFormSet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standards"].queryset = standards_queryset
        self.choices = choices
        self.choice_inputs: list[ChoiceInput] = []

    @classmethod
    def initial_for(cls, question) -> dict:
        initial = {
            "kind": question.kind,
            "title": question.title,
            "prompt": question.prompt,
            "explanation": question.explanation,
            "standards": [standard.pk for standard in question.standards.all()],
        }
        if question.kind == QuestionKind.TRUE_FALSE:
            choices = list(question.choices.all())[:2]
            if len(choices) == 2:
                initial["true_false_answer"] = "true" if choices[0].is_correct else "false"
                initial["true_feedback"] = choices[0].feedback
                initial["false_feedback"] = choices[1].feedback
        return initial

    @property
    def is_true_false(self) -> bool:
        kind = self["kind"].value()
        return kind == QuestionKind.TRUE_FALSE

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == QuestionKind.TRUE_FALSE:
            answer = cleaned.get("true_false_answer")
            if not answer:
                self.add_error("true_false_answer", "Choose whether the statement is true or false.")
                return cleaned
            self.choice_inputs = [
                ChoiceInput("True", answer == "true", cleaned.get("true_feedback", "").strip()),
                ChoiceInput("False", answer == "false", cleaned.get("false_feedback", "").strip()),
            ]
        elif kind:
            if not self.choices.is_valid():
                self.add_error(None, "Fix the choices below.")
                return cleaned
            self.choice_inputs = self.choices.choice_inputs()
            for problem in choice_problems(kind, self.choice_inputs):
                self.add_error(None, f"Choices: {problem}")
        return cleaned


_PROGRAM_COURSE_FIELD = re.compile(r"course_(\d+)_(?:include|position)")


class ProgramForm(forms.Form):
    """Title, description, and which of the organization's courses the program lists, in what order.

    Each course is a row with an "include" checkbox and a position number, so ordering works
    without JavaScript; only courses of the queryset exist as fields, so forged ids are ignored.
    """

    title = forms.CharField(max_length=160)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    valid_for_days = forms.IntegerField(
        label="Valid for (days)", required=False, min_value=1, max_value=3650,
        help_text="How long a completion counts before people retake the program; leave empty if it never expires.",
    )

    def __init__(self, *args, courses, selected: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        selected = selected or []
        self.courses = list(courses)
        # Listed courses first in their order, then the others by title.
        self.courses.sort(key=lambda c: (selected.index(c.pk) if c.pk in selected else len(selected), c.title))
        self.course_rows = []
        for position, course in enumerate(self.courses, start=1):
            include_name, position_name = f"course_{course.pk}_include", f"course_{course.pk}_position"
            self.fields[include_name] = forms.BooleanField(
                label=f"Include “{course.title}”", required=False, initial=course.pk in selected
            )
            self.fields[position_name] = forms.IntegerField(
                label=f"Position of “{course.title}”", min_value=1, max_value=999, initial=position, required=False
            )
            self.course_rows.append((course, self[include_name], self[position_name]))

    def clean(self) -> dict:
        cleaned = super().clean()
        listed = {course.pk for course in self.courses}
        posted = {int(match[1]) for key in self.data if (match := _PROGRAM_COURSE_FIELD.fullmatch(key))}
        if posted - listed:
            # A course id this form does not offer (another organization's, an archived one) is an
            # error, not silently dropped: the author would otherwise save a program without it.
            raise ValidationError("Choose courses of your organization only; reload the page and try again.")
        return cleaned

    def selected_courses(self) -> list[Course]:
        """The included courses ordered by position (ties keep the listed order)."""
        chosen = []
        for index, course in enumerate(self.courses):
            if self.cleaned_data.get(f"course_{course.pk}_include"):
                position = self.cleaned_data.get(f"course_{course.pk}_position") or 999
                chosen.append((position, index, course))
        return [course for _, _, course in sorted(chosen, key=lambda item: item[:2])]


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


# --- Question import (GIFT, Aiken) -------------------------------------------------------------------

IMPORT_FORMATS = [("gift", "GIFT (Moodle)"), ("aiken", "Aiken")]


class QuestionImportForm(forms.Form):
    """A GIFT or Aiken file, or the same text pasted. Files must be UTF-8 and at most 1 MiB."""

    format = forms.ChoiceField(label="Format", choices=IMPORT_FORMATS, initial="gift")
    file = forms.FileField(
        label="Question file", required=False,
        help_text="A .gift or .txt file saved as UTF-8, at most 1 MiB.",
        widget=forms.FileInput(attrs={"accept": ".gift,.txt,text/plain"}),
    )
    text = forms.CharField(
        label="Or paste the questions", required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    # Set by the preview's "Import the rest" button: the author saw what is skipped or dropped.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_file(self) -> str | None:
        """The uploaded file's text (cleaned_data["file"] holds the decoded text, not the upload)."""
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is larger than 1 MiB ({upload.size:,} bytes); split it into smaller files."
            )
        try:
            return decode_upload(upload.read(MAX_UPLOAD_BYTES + 1))
        except UploadNotReadable as error:
            raise ValidationError(str(error)) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        file_text, pasted = cleaned.get("file"), cleaned.get("text") or ""
        if "file" in self.errors:
            return cleaned
        if file_text is not None and pasted.strip():
            raise ValidationError("Upload a file or paste the questions, not both.")
        if file_text is None and not pasted.strip():
            raise ValidationError("Choose a file to upload, or paste the questions.")
        if file_text is None and len(pasted.encode("utf-8")) > MAX_UPLOAD_BYTES:
            self.add_error("text", "The pasted text is larger than 1 MiB; split it into smaller parts.")
        cleaned["questions_text"] = file_text if file_text is not None else pasted
        return cleaned


_TAGGED_QUESTION_FIELD = re.compile(r"question_(\d+)")


class QuestionTaggingForm(forms.Form):
    """Standards for each listed question: one group of checkboxes per question.

    The standard choices are read once and shared by every group (a model field per question would
    query the standards once per question); an id outside them is an error on that question.
    """

    def __init__(self, *args, questions, standards, first_number: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.standards = {standard.pk: standard for standard in standards}
        choices = [(pk, f"{standard.code} · {standard.title}") for pk, standard in self.standards.items()]
        self.rows = []
        for position, question in enumerate(questions, start=first_number):
            name = f"question_{question.pk}"
            self.fields[name] = forms.TypedMultipleChoiceField(
                label=f"Standards for question {position}",
                choices=choices, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "invalid_choice": "Choose standards of your organization only (%(value)s is not one of them).",
                },
            )
            self.rows.append((question, self[name]))

    def clean(self) -> dict:
        cleaned = super().clean()
        listed = {question.pk for question, _ in self.rows}
        posted = {int(match[1]) for key in self.data if (match := _TAGGED_QUESTION_FIELD.fullmatch(key))}
        if posted - listed:
            raise ValidationError("Tag questions of this course only; reload the page and try again.")
        return cleaned

    def standards_by_question(self) -> dict[int, list[ServiceStandard]]:
        """Question id → the standards ticked for it (questions left blank are left out)."""
        chosen = {}
        for question, field in self.rows:
            ids = self.cleaned_data.get(field.name) or []
            if ids:
                chosen[question.pk] = [self.standards[pk] for pk in ids]
        return chosen
