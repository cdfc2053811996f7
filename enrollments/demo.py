"""The demo's training in motion: the New starter essentials program assigned to both shops, with some
people done, some in progress and one overdue, so a manager signing in sees a real dashboard.

Everything goes through the product's services (assigning, marking lessons done, taking the knowledge
check with the right answers), dated in the past where the story needs it. Safe to run again: when
the program has an assignment already, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from courses.models import Program
from enrollments import services
from enrollments.models import Assignment, AssignmentAudience, CourseProgress, Enrollment
from organizations.demo import BOULDER, FLAGSTAFF, DemoOrganization
from organizations.models import Membership


@dataclass(frozen=True)
class DemoLearner:
    """How far one demo employee got: `courses_done` whole courses, then `lessons_done` lessons of the next."""

    local_part: str
    courses_done: int
    lessons_done: int = 0
    days_ago: int = 0


# Boulder was assigned 20 days ago (due in 30 days), Flagstaff 5 days ago (due in 14 days); Ben Carter
# was also assigned it by name 15 days ago, due in 14 days, and has only started: it was due yesterday.
# So the reminders show in the demo: his overdue reminder goes out today (in his sending window), and
# `manage.py notifications_run --now <3 days later>` tells his manager, Hannah Begay (README.md).
LEARNERS = [
    DemoLearner("priya.natarajan", courses_done=99, days_ago=3),
    DemoLearner("jonas.weber", courses_done=2, lessons_done=1),
    DemoLearner("keisha.brown", courses_done=1),
    DemoLearner("daniel.yazzie", courses_done=99, days_ago=1),
    DemoLearner("sofia.marquez", courses_done=0, lessons_done=2),
    DemoLearner("ben.carter", courses_done=0, lessons_done=1),
    # Done 15 days ago: the follow-ups demo (followups/demo.py) gives him a practice reflection waiting
    # for Luis Ortega's reply and an observation due.
    DemoLearner("tomas.rivera", courses_done=99, days_ago=15),
]
OVERDUE = "ben.carter"
OVERDUE_DUE_DAYS = 14


def _take_course(membership: Membership, course, *, lessons: int | None = None) -> None:
    """Mark lessons done and, for a whole course, pass its check with the right answers."""
    for lesson in list(course.lessons.all())[: lessons if lessons is not None else None]:
        services.lesson_complete(membership=membership, lesson=lesson)
    if lessons is not None or not course.questions.exists():
        return
    attempt = services.attempt_start(membership=membership, course=course)
    right = {
        str(question["id"]): [str(choice["id"]) for choice in question["choices"] if choice["credit_percent"] > 0]
        for question in attempt.snapshot["questions"]
    }
    services.attempt_submit(attempt_id=attempt.pk, membership=membership, responses=right)


def _backdate(membership: Membership, program: Program, when: datetime) -> None:
    """Move a finished learner's completion into the past, so the dashboard's history has a shape."""
    CourseProgress.objects.filter(membership=membership, completed_at__isnull=False).update(completed_at=when)
    Enrollment.objects.filter(membership=membership, program=program, completed_at__isnull=False).update(
        completed_at=when
    )


def seed_demo_assignments(*, demo: DemoOrganization, program: Program, now: datetime | None = None) -> bool:
    """Assign the program to the shop teams and move some people through it; returns False if already done."""
    now = now or timezone.now()
    if Assignment.objects.filter(organization=demo.organization, program=program).exists():
        return False
    teams = {team.name: team for team in demo.teams}
    managers = {manager.team_id: manager for manager in demo.managers}
    employees = {membership.user.email.split("@")[0]: membership for membership in demo.employees}
    courses = [link.course for link in program.program_courses.select_related("course").order_by("order", "id")]
    with transaction.atomic():
        for team_name, days_ago, due_days in ((BOULDER, 20, 30), (FLAGSTAFF, 5, 14)):
            team = teams[team_name]
            services.assignment_create(
                actor=managers[team.pk],
                program=program,
                audience=AssignmentAudience.TEAM,
                team=team,
                due_days=due_days,
                now=now - timedelta(days=days_ago),
            )
        overdue = employees[OVERDUE]
        services.assignment_create(
            actor=managers[overdue.team_id],
            program=program,
            audience=AssignmentAudience.PEOPLE,
            people=[overdue],
            due_days=OVERDUE_DUE_DAYS,
            now=now - timedelta(days=OVERDUE_DUE_DAYS + 1),
        )
        for learner in LEARNERS:
            membership = employees[learner.local_part]
            for course in courses[: learner.courses_done]:
                _take_course(membership, course)
            if learner.lessons_done and learner.courses_done < len(courses):
                _take_course(membership, courses[learner.courses_done], lessons=learner.lessons_done)
            if learner.courses_done >= len(courses):
                _backdate(membership, program, now - timedelta(days=learner.days_ago))
    return True
