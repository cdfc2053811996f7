"""A program with two standards, and people who complete it (imported by the follow-up tests)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from courses.models import Course, Program, Question
from enrollments import services as enrollment_services
from enrollments.models import AssignmentAudience, Enrollment
from organizations.models import ServiceStandard
from tests import factories


@pytest.fixture
def greet(acme) -> ServiceStandard:
    return factories.ServiceStandardFactory(organization=acme, code="G1", title="Greet within 10 seconds", order=1)


@pytest.fixture
def resolve(acme) -> ServiceStandard:
    return factories.ServiceStandardFactory(organization=acme, code="R1", title="Own the problem", order=2)


@pytest.fixture
def service_program(acme, greet, resolve) -> Program:
    """One course per standard, four questions each, and a "try this at work" on every lesson."""
    program = factories.ProgramFactory(organization=acme, title="Service basics")
    for order, standard in enumerate((greet, resolve)):
        course = factories.published_course(acme, lessons=1, questions=4, standards=[standard], pass_mark_percent=50)
        course.lessons.update(practice_prompt=f"Try {standard.code} with your next three guests.")
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


def answers(course: Course, *, right: int) -> dict[str, list[str]]:
    """The first `right` questions answered right, the others wrong (as the form posts them)."""
    posted = {}
    questions = Question.objects.filter(course=course).prefetch_related("choices").order_by("order")
    for index, question in enumerate(questions):
        choices = sorted(question.choices.all(), key=lambda c: c.order)
        chosen = choices[0] if index < right else choices[1]  # published_course lists the right choice first
        posted[str(question.pk)] = [str(chosen.pk)]
    return posted


def complete_program(member, program: Program, *, actor, right: dict[int, int] | None = None) -> Enrollment:
    """Assign the program to `member` and complete it, answering `right[course position]` questions right."""
    enrollment_services.assignment_create(
        actor=actor, program=program, audience=AssignmentAudience.PEOPLE, people=[member], due_days=30
    )
    courses = [pc.course for pc in program.program_courses.select_related("course").order_by("order")]
    for position, course in enumerate(courses):
        for lesson in course.lessons.all():
            enrollment_services.lesson_complete(membership=member, lesson=lesson)
        attempt = enrollment_services.attempt_start(membership=member, course=course)
        enrollment_services.attempt_submit(
            attempt_id=attempt.pk, membership=member,
            responses=answers(course, right=(right or {}).get(position, 4)),
        )
    return Enrollment.objects.get(membership=member, program=program)


def at(enrollment: Enrollment, days: float) -> datetime:
    return enrollment.completed_at + timedelta(days=days)


@pytest.fixture
def front_desk(acme, bob, carol):
    """Acme's front desk: bob manages it, carol works in it."""
    team = factories.TeamFactory(organization=acme, name="Front desk")
    team.managers.add(bob)
    carol.team = team
    carol.save(update_fields=["team"])
    return team
