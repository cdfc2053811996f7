"""The demo organization's training: original courses and a program, seeded idempotently.

The content itself lives in `courses.demo_content` as plain data; this module turns it into rows.
Every row is found by a natural key (course by organization and title, lesson by course and title,
question by course and prompt, choice by question and position, program by organization and title)
and written only when it differs from the data, so running the seed twice changes nothing, and
running it after the content was improved brings the demo back to the authored version.

Text may name a standard as `{S3}`: it becomes the organization's own code and title
(S3 “Own the problem until it is solved”), so feedback always matches the standards as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from courses.content import render_markdown, video_embed_url
from courses.demo_content import COURSES, PROGRAM
from courses.models import Choice, Course, CourseStatus, Lesson, Program, ProgramCourse, Question, QuestionKind
from courses.services import (
    TRUE_FALSE_TEXTS,
    ChoiceInput,
    choice_credits_from_flags,
    choice_problems,
    course_publish,
    program_set_courses,
)
from organizations.models import Membership, Organization, ServiceStandard, User

_STANDARD_TOKEN = re.compile(r"\{(S\d+)\}")


class DemoContentError(RuntimeError):
    """The demo data does not fit the organization (unknown standard code) or the authoring rules."""


def seed_demo_courses(*, organization: Organization, author: User) -> None:
    """Create (or bring back to the authored version) the demo courses and their program.

    Idempotent: a second run writes nothing. Courses are published through `course_publish`, so
    they pass the same publish rule as any authored course; a course someone unpublished or
    archived after its first publication is left as they set it.
    """
    actor = Membership.objects.get(organization=organization, user=author)
    standards = {standard.code: standard for standard in ServiceStandard.objects.filter(organization=organization)}
    with transaction.atomic():
        courses = [
            _seed_course(organization=organization, author=author, actor=actor, data=data, standards=standards)
            for data in COURSES
        ]
        program, _ = Program.objects.get_or_create(
            organization=organization, title=PROGRAM["title"], defaults={"description": PROGRAM["description"]}
        )
        _update_changed(program, description=PROGRAM["description"])
        current = list(ProgramCourse.objects.filter(program=program).values_list("course_id", flat=True))
        if current != [course.pk for course in courses]:
            program_set_courses(program=program, courses=courses)


def demo_courses_summary() -> list[str]:
    """Lines for the seed_demo command's printout: the program and its courses, in order."""
    lines = [f"  Training: program “{PROGRAM['title']}”, {len(COURSES)} published courses in order:"]
    lines += [f"    {position}. {data['title']}" for position, data in enumerate(COURSES, start=1)]
    return lines


# --- Helpers -----------------------------------------------------------------------------------------


def _fill(text: str, standards: Mapping[str, ServiceStandard]) -> str:
    """Replace `{S3}` with the organization's "S3 “Title”"."""

    def name(match: re.Match[str]) -> str:
        return f"{match.group(1)} “{_standard(standards, match.group(1)).title}”"

    return _STANDARD_TOKEN.sub(name, text)


def _standard(standards: Mapping[str, ServiceStandard], code: str) -> ServiceStandard:
    try:
        return standards[code]
    except KeyError:
        raise DemoContentError(f"The demo content names standard {code}, which the organization does not have.")


def _update_changed(row, **values: Any) -> bool:
    """Save only the fields whose value differs; True when something was written."""
    changed = [field for field, value in values.items() if getattr(row, field) != value]
    for field in changed:
        setattr(row, field, values[field])
    if changed:
        if any(f.name == "updated_at" for f in row._meta.concrete_fields):
            changed.append("updated_at")
        row.save(update_fields=changed)
    return bool(changed)


def _set_standards(row, standards: Mapping[str, ServiceStandard], codes: Iterable[str]) -> None:
    wanted = {_standard(standards, code).pk for code in codes}
    if not wanted:
        raise DemoContentError(f"“{row}” must be tagged with at least one standard.")
    if set(row.standards.values_list("pk", flat=True)) != wanted:
        row.standards.set(wanted)


# --- Courses ---------------------------------------------------------------------------------------


def _seed_course(
    *,
    organization: Organization,
    author: User,
    actor: Membership,
    data: Mapping[str, Any],
    standards: Mapping[str, ServiceStandard],
) -> Course:
    details = {
        "summary": _fill(data["summary"], standards),
        "estimated_minutes": data["estimated_minutes"],
        "pass_mark_percent": data["pass_mark_percent"],
    }
    course, created = Course.objects.get_or_create(
        organization=organization, title=data["title"], defaults={**details, "created_by": author}
    )
    if not created:
        _update_changed(course, **details)

    lesson_titles = [lesson["title"] for lesson in data["lessons"]]
    prompts = [_fill(question["prompt"], standards) for question in data["questions"]]
    if len(set(lesson_titles)) != len(lesson_titles) or len(set(prompts)) != len(prompts):
        raise DemoContentError(f"Lesson titles and question prompts must be unique in “{course.title}”.")
    for order, lesson in enumerate(data["lessons"]):
        _seed_lesson(course=course, order=order, data=lesson, standards=standards)
    for order, question in enumerate(data["questions"]):
        _seed_question(course=course, order=order, data=question, standards=standards)

    if course.status == CourseStatus.DRAFT and course.published_at is None:
        # Never published yet: publish under the ordinary rule (raises if the data breaks it).
        course = course_publish(course=course, actor=actor)
    return course


def _seed_lesson(
    *, course: Course, order: int, data: Mapping[str, Any], standards: Mapping[str, ServiceStandard]
) -> Lesson:
    video_url = data.get("video_url", "")
    if video_url and video_embed_url(video_url) is None:
        raise DemoContentError(f"Lesson “{data['title']}”: {video_url} is not an allowlisted video address.")
    body_markdown = _fill(data["body"], standards).strip() + "\n"
    values = {
        "order": order,
        "body_markdown": body_markdown,
        "video_url": video_url,
        "practice_prompt": _fill(data["practice_prompt"], standards),
    }
    lesson, created = Lesson.objects.get_or_create(
        course=course, title=data["title"], defaults={**values, "body_html": render_markdown(body_markdown)}
    )
    if not created:
        # Re-render only when the Markdown changed.
        if lesson.body_markdown != body_markdown:
            values["body_html"] = render_markdown(body_markdown)
        _update_changed(lesson, **values)
    _set_standards(lesson, standards, data["standards"])
    return lesson


def _seed_question(
    *, course: Course, order: int, data: Mapping[str, Any], standards: Mapping[str, ServiceStandard]
) -> Question:
    kind = data["kind"]
    choices = [
        ChoiceInput(text=_fill(text, standards), is_correct=correct, feedback=_fill(feedback, standards))
        for text, correct, feedback in data["choices"]
    ]
    if kind == QuestionKind.TRUE_FALSE:
        if [c.text for c in choices] != list(TRUE_FALSE_TEXTS):
            raise DemoContentError("A true/false question's choices read “True”, then “False”.")
    problems = choice_problems(kind, choices)
    if problems:
        raise DemoContentError(f"Question “{data['prompt'][:60]}”: " + " ".join(problems))

    values = {
        "order": order,
        "kind": kind,
        "title": data.get("title", ""),
        "explanation": _fill(data["explanation"], standards),
    }
    question, created = Question.objects.get_or_create(
        course=course, prompt=_fill(data["prompt"], standards), defaults=values
    )
    if not created:
        _update_changed(question, **values)
    _set_standards(question, standards, data["standards"])
    _seed_choices(question=question, choices=choices)
    return question


def _seed_choices(*, question: Question, choices: Sequence[ChoiceInput]) -> None:
    """Make the question's choices exactly `choices`, matched by position; write only differences."""
    credits = choice_credits_from_flags(question.kind, [choice.is_correct for choice in choices])
    existing = list(Choice.objects.filter(question=question).order_by("order", "pk"))
    to_create = []
    for order, (data, credit) in enumerate(zip(choices, credits, strict=True)):
        values = {"order": order, "text": data.text, "credit_percent": credit, "feedback": data.feedback}
        if order < len(existing):
            _update_changed(existing[order], **values)
        else:
            to_create.append(Choice(question=question, **values))
    if to_create:
        Choice.objects.bulk_create(to_create)
    extra = [choice.pk for choice in existing[len(choices):]]
    if extra:
        Choice.objects.filter(pk__in=extra).delete()
