"""The demo organization's training: original courses and a program, seeded idempotently.

The content itself lives in `courses.demo_content` as plain data; this module turns it into rows.
Like `organizations.demo`, every row is looked up by its natural key (course by organization and
title, lesson by course and title, question by course and prompt, program by organization and
title) and only created when missing; nothing that exists is changed. So running the seed twice
writes nothing, and `make run` (which seeds on every start) never undoes what someone edited in
the interface. A question's choices are created with the question, never added to it later.

Text may name a standard as `{S6}`: it becomes the organization's own code and title
(S6 “Own the problem until it is solved”), so feedback always matches the standards as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from courses.content import render_markdown, video_embed_url
from courses.demo_content import COURSES, PROGRAM
from courses.models import Choice, Course, CourseStatus, Lesson, Program, Question, QuestionKind
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
    """Create what is missing of the demo courses and their program; leave what exists as it is.

    Idempotent: a second run writes nothing. Courses are published through `course_publish`, so
    they pass the same publish rule as any authored course; a course that was published once and
    later unpublished or archived stays as someone set it. The data is checked against the
    organization's standards and the authoring rules before anything is written (DemoContentError).
    """
    actor = Membership.objects.get(organization=organization, user=author)
    standards = {standard.code: standard for standard in ServiceStandard.objects.filter(organization=organization)}
    prepared = [_prepare_course(data, standards) for data in COURSES]
    with transaction.atomic():
        courses = [_seed_course(organization=organization, author=author, actor=actor, data=data) for data in prepared]
        program, created = Program.objects.get_or_create(
            organization=organization, title=PROGRAM["title"], defaults={"description": PROGRAM["description"]}
        )
        if created:
            program_set_courses(program=program, actor=actor, courses=courses)


def demo_courses_summary() -> list[str]:
    """Lines for the seed_demo command's printout: the program and its courses, in order."""
    lines = [f"  Training: program “{PROGRAM['title']}”, {len(COURSES)} published courses in order:"]
    lines += [f"    {position}. {data['title']}" for position, data in enumerate(COURSES, start=1)]
    return lines


# --- Checking and filling in the data ------------------------------------------------------------------


def _fill(text: str, standards: Mapping[str, ServiceStandard]) -> str:
    """Replace `{S6}` with the organization's "S6 “Title”"."""

    def name(match: re.Match[str]) -> str:
        return f"{match.group(1)} “{_standard(standards, match.group(1)).title}”"

    return _STANDARD_TOKEN.sub(name, text)


def _standard(standards: Mapping[str, ServiceStandard], code: str) -> ServiceStandard:
    try:
        return standards[code]
    except KeyError:
        raise DemoContentError(
            f"The demo content names standard {code}, which the organization does not have."
        ) from None


def _tags(standards: Mapping[str, ServiceStandard], codes: Iterable[str], label: str) -> list[ServiceStandard]:
    tags = [_standard(standards, code) for code in codes]
    if not tags:
        raise DemoContentError(f"{label} must be tagged with at least one standard.")
    return tags


def _prepare_course(data: Mapping[str, Any], standards: Mapping[str, ServiceStandard]) -> dict[str, Any]:
    """The course's data with standards resolved, texts filled in and choices checked; no writes."""
    lessons = [_prepare_lesson(lesson, standards) for lesson in data["lessons"]]
    questions = [_prepare_question(question, standards) for question in data["questions"]]
    titles = [lesson["title"] for lesson in lessons]
    prompts = [question["prompt"] for question in questions]
    if len(set(titles)) != len(titles) or len(set(prompts)) != len(prompts):
        raise DemoContentError(f"Lesson titles and question prompts must be unique in “{data['title']}”.")
    return {
        "title": data["title"],
        "details": {
            "summary": _fill(data["summary"], standards),
            "estimated_minutes": data["estimated_minutes"],
            "pass_mark_percent": data["pass_mark_percent"],
        },
        "lessons": lessons,
        "questions": questions,
    }


def _prepare_lesson(data: Mapping[str, Any], standards: Mapping[str, ServiceStandard]) -> dict[str, Any]:
    video_url = data.get("video_url", "")
    if video_url and video_embed_url(video_url) is None:
        raise DemoContentError(f"Lesson “{data['title']}”: {video_url} is not an allowlisted video address.")
    return {
        "title": data["title"],
        "body_markdown": _fill(data["body"], standards).strip() + "\n",
        "video_url": video_url,
        "practice_prompt": _fill(data["practice_prompt"], standards),
        "standards": _tags(standards, data["standards"], f"Lesson “{data['title']}”"),
    }


def _prepare_question(data: Mapping[str, Any], standards: Mapping[str, ServiceStandard]) -> dict[str, Any]:
    kind = data["kind"]
    prompt = _fill(data["prompt"], standards)
    choices = [
        ChoiceInput(text=_fill(text, standards), is_correct=correct, feedback=_fill(feedback, standards))
        for text, correct, feedback in data["choices"]
    ]
    if kind == QuestionKind.TRUE_FALSE and [c.text for c in choices] != list(TRUE_FALSE_TEXTS):
        raise DemoContentError(f"Question “{prompt[:60]}”: a true/false question's choices read True, then False.")
    problems = choice_problems(kind, choices)
    if problems:
        raise DemoContentError(f"Question “{prompt[:60]}”: " + " ".join(problems))
    return {
        "kind": kind,
        "title": data.get("title", ""),
        "prompt": prompt,
        "explanation": _fill(data["explanation"], standards),
        "choices": choices,
        "standards": _tags(standards, data["standards"], f"Question “{prompt[:60]}”"),
    }


# --- Writing what is missing -------------------------------------------------------------------------


def _seed_course(*, organization: Organization, author: User, actor: Membership, data: Mapping[str, Any]) -> Course:
    course, _ = Course.objects.get_or_create(
        organization=organization, title=data["title"], defaults={**data["details"], "created_by": author}
    )
    for order, lesson in enumerate(data["lessons"]):
        _seed_lesson(course=course, order=order, data=lesson)
    for order, question in enumerate(data["questions"]):
        _seed_question(course=course, order=order, data=question)
    if course.status == CourseStatus.DRAFT and course.published_at is None:
        # Never published yet: publish under the ordinary rule (raises if the data breaks it).
        course = course_publish(course=course, actor=actor)
    return course


def _seed_lesson(*, course: Course, order: int, data: Mapping[str, Any]) -> None:
    lesson, created = Lesson.objects.get_or_create(
        course=course,
        title=data["title"],
        defaults={
            "order": order,
            "body_markdown": data["body_markdown"],
            # Rendered once, here, like every authored lesson (never per view).
            "body_html": render_markdown(data["body_markdown"]),
            "video_url": data["video_url"],
            "practice_prompt": data["practice_prompt"],
        },
    )
    if created:
        lesson.standards.set(data["standards"])


def _seed_question(*, course: Course, order: int, data: Mapping[str, Any]) -> None:
    question, created = Question.objects.get_or_create(
        course=course,
        prompt=data["prompt"],
        defaults={"order": order, "kind": data["kind"], "title": data["title"], "explanation": data["explanation"]},
    )
    if not created:
        return
    question.standards.set(data["standards"])
    choices = data["choices"]
    credits = choice_credits_from_flags(question.kind, [choice.is_correct for choice in choices])
    Choice.objects.bulk_create(
        Choice(question=question, order=position, text=choice.text, credit_percent=credit, feedback=choice.feedback)
        for position, (choice, credit) in enumerate(zip(choices, credits, strict=True))
    )
