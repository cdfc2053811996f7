"""Fixtures for the course player: a published Acme course, carol signed in, answer helpers."""

from __future__ import annotations

import pytest

from courses.models import Course, Question
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def course(acme) -> Course:
    return factories.published_course(acme, lessons=3, questions=2, title="Greeting guests", pass_mark_percent=80)


@pytest.fixture
def front_desk(acme, bob, carol):
    """Acme's front desk: bob manages it, carol works in it."""
    team = factories.TeamFactory(organization=acme, name="Front desk")
    team.managers.add(bob)
    carol.team = team
    carol.save(update_fields=["team"])
    return team


@pytest.fixture
def carol_client(carol):
    return client_for(carol)


def right_answers(course: Course) -> dict[str, list[str]]:
    """Question id → [the id of its first choice with credit], as a form would post them."""
    answers = {}
    for question in Question.objects.filter(course=course).prefetch_related("choices"):
        right = next(choice for choice in question.choices.all() if choice.credit_percent > 0)
        answers[str(question.pk)] = [str(right.pk)]
    return answers


def wrong_answers(course: Course) -> dict[str, list[str]]:
    answers = {}
    for question in Question.objects.filter(course=course).prefetch_related("choices"):
        wrong = next(choice for choice in question.choices.all() if choice.credit_percent <= 0)
        answers[str(question.pk)] = [str(wrong.pk)]
    return answers


def as_post(responses: dict[str, list[str]]) -> dict[str, list[str]]:
    """Responses as the knowledge-check form posts them (`q_<question id>` fields)."""
    return {f"q_{question_id}": values for question_id, values in responses.items()}


def sized_course(organization, *, lessons: int, questions: int, title: str = "Sized course") -> Course:
    """A published course of any size, built with bulk inserts (a 200-question course in a blink).

    Every lesson and question is tagged with two standards; every question is single choice with a
    right choice (credit 100) and three wrong ones, each with feedback.
    """
    from courses.models import Choice, Lesson

    standards = [factories.ServiceStandardFactory(organization=organization) for _ in range(2)]
    course = factories.CourseFactory(organization=organization, status="published", title=title)
    created_lessons = Lesson.objects.bulk_create(
        Lesson(course=course, order=i, title=f"Lesson {i}", body_html=f"<p>Lesson {i}</p>") for i in range(lessons)
    )
    Lesson.standards.through.objects.bulk_create(
        Lesson.standards.through(lesson=lesson, servicestandard=standard)
        for lesson in created_lessons
        for standard in standards
    )
    created_questions = Question.objects.bulk_create(
        Question(course=course, order=i, prompt=f"Question {i}?", explanation=f"Explanation {i}")
        for i in range(questions)
    )
    Question.standards.through.objects.bulk_create(
        Question.standards.through(question=question, servicestandard=standard)
        for question in created_questions
        for standard in standards
    )
    Choice.objects.bulk_create(
        Choice(question=question, order=i, text=f"Choice {i}", credit_percent=100 if i == 0 else 0, feedback="Because.")
        for question in created_questions
        for i in range(4)
    )
    return course
