"""A synthetic organization at scale, for benchmarks and query-count tests (`manage.py seed_scale`).

N employees in teams of about 15, each team with its manager; 10 programs of 3 courses; every team
assigned 3 programs over the past year; enrollments in every state (completed at dates spread over
the year, in progress, not started, overdue), with the progress, lesson completions, passed attempts,
certificates and completion events a real year leaves behind.

Bulk inserts throughout (under a minute for 5,000 people, mostly the year of attempts); the
assignments themselves go through `enrollments_reconcile`, the same set-based path as the product's.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from courses.models import Choice, Course, CourseStatus, Lesson, Program, ProgramCourse, Question
from enrollments.models import (
    Assignment,
    AssignmentAudience,
    Attempt,
    AttemptStatus,
    Certificate,
    CompletionEvent,
    CompletionEventKind,
    CourseProgress,
    DueFrom,
    Enrollment,
    LessonCompletion,
)
from enrollments.services.assignments import enrollments_reconcile
from enrollments.services.learning import attempt_snapshot
from organizations.models import Membership, Organization, Role, ServiceStandard, Team, User

TEAM_SIZE = 15
PROGRAMS = 10
COURSES_PER_PROGRAM = 3
LESSONS_PER_COURSE = 4
QUESTIONS_PER_COURSE = 3
PROGRAMS_PER_TEAM = 3
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London", "Asia/Tokyo"]
PASSWORD = "scale-password-2026"  # noqa: S105  the synthetic people's sign-in, printed by seed_scale
BATCH = 5000


@dataclass(frozen=True)
class ScaleOrganization:
    organization: Organization
    admin: Membership
    manager: Membership  # the manager of the first team
    employee: Membership  # an employee of the first team with an open enrollment
    employees: int
    teams: int
    enrollments: int


def seed_people(
    *,
    organization: Organization,
    count: int,
    role: str,
    prefix: str,
    rng: random.Random,
    password_hash: str,
    now: datetime,
    teams: list[Team] | None = None,
) -> list[Membership]:
    """`count` people with memberships of `role`, spread over `teams` round-robin, joined over the past year."""
    domain = f"{organization.slug}.example"
    users = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{index}@{domain}",
                name=f"{prefix.title()} {index}",
                time_zone=rng.choice(ZONES),
                password=password_hash,
            )
            for index in range(count)
        ],
        batch_size=BATCH,
    )
    return Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                organization=organization,
                role=role,
                team=teams[index % len(teams)] if teams else None,
                joined_at=now - timedelta(days=rng.randint(30, 365)),
            )
            for index, user in enumerate(users)
        ],
        batch_size=BATCH,
    )


def seed_content(organization: Organization, rng: random.Random) -> list[Program]:
    """Six standards and PROGRAMS published programs of COURSES_PER_PROGRAM small courses each."""
    standards = ServiceStandard.objects.bulk_create(
        ServiceStandard(organization=organization, code=f"S{i}", title=f"Standard {i}", order=i) for i in range(1, 7)
    )
    courses = Course.objects.bulk_create(
        Course(organization=organization, title=f"Course {i + 1}", status=CourseStatus.PUBLISHED, pass_mark_percent=60)
        for i in range(PROGRAMS * COURSES_PER_PROGRAM)
    )
    lessons = Lesson.objects.bulk_create(
        Lesson(course=course, order=i, title=f"Lesson {i + 1}", body_html=f"<p>Lesson {i + 1}.</p>")
        for course in courses
        for i in range(LESSONS_PER_COURSE)
    )
    questions = Question.objects.bulk_create(
        Question(course=course, order=i, prompt=f"Question {i + 1}?")
        for course in courses
        for i in range(QUESTIONS_PER_COURSE)
    )
    Choice.objects.bulk_create(
        Choice(question=question, order=k, text=f"Answer {k + 1}", credit_percent=100 if k == 0 else 0)
        for question in questions
        for k in range(3)
    )
    Lesson.standards.through.objects.bulk_create(
        Lesson.standards.through(lesson=lesson, servicestandard=rng.choice(standards)) for lesson in lessons
    )
    Question.standards.through.objects.bulk_create(
        Question.standards.through(question=question, servicestandard=rng.choice(standards)) for question in questions
    )
    programs = Program.objects.bulk_create(
        Program(organization=organization, title=f"Program {i + 1}") for i in range(PROGRAMS)
    )
    ProgramCourse.objects.bulk_create(
        ProgramCourse(program=program, course=courses[p * COURSES_PER_PROGRAM + k], order=k)
        for p, program in enumerate(programs)
        for k in range(COURSES_PER_PROGRAM)
    )
    return programs


@transaction.atomic
def seed_scale(*, employees: int, seed: int = 7, now: datetime | None = None) -> ScaleOrganization:
    """Build the synthetic organization (a new one each call, with a unique slug)."""
    rng = random.Random(seed)  # noqa: S311  reproducible synthetic data, not security
    now = now or timezone.now()
    slug = f"scale-{employees}-{secrets.token_hex(3)}"
    organization = Organization.objects.create(name=f"Scale {employees}", slug=slug, time_zone="America/Chicago")
    password_hash = make_password(PASSWORD)
    people_of = partial(seed_people, organization=organization, rng=rng, password_hash=password_hash, now=now)
    admin = people_of(count=1, role=Role.ADMIN, prefix="admin")[0]
    team_count = max(1, round(employees / TEAM_SIZE))
    teams = Team.objects.bulk_create(Team(organization=organization, name=f"Team {i + 1}") for i in range(team_count))
    managers = people_of(count=team_count, role=Role.MANAGER, prefix="manager", teams=teams)
    Team.managers.through.objects.bulk_create(
        Team.managers.through(team=team, membership=manager) for team, manager in zip(teams, managers, strict=True)
    )
    people = people_of(count=employees, role=Role.EMPLOYEE, prefix="employee", teams=teams)
    programs = seed_content(organization, rng)

    # Each team is assigned three programs, the first of them a year ago and the last a week ago,
    # due 30 days after assignment: older assignments are mostly done, recent ones open or overdue.
    assignments = []
    for index, team in enumerate(teams):
        for k in range(PROGRAMS_PER_TEAM):
            assignments.append(
                Assignment(
                    organization=organization,
                    program=programs[(index + k) % PROGRAMS],
                    audience=AssignmentAudience.TEAM,
                    team=team,
                    due_days=30,
                    due_from=DueFrom.ASSIGNED,
                    created_by=admin,
                    created_at=now - timedelta(days=rng.randint(7, 365)),
                )
            )
    Assignment.objects.bulk_create(assignments)
    enrollments_reconcile(organization_id=organization.pk, now=now)
    for assignment in assignments:  # enrolled when the assignment was made, not today
        Enrollment.objects.filter(assignment=assignment).update(enrolled_at=assignment.created_at)

    _history(organization=organization, rng=rng, now=now)
    first_team_employee = next(
        membership
        for membership in people
        if membership.team_id == teams[0].pk and Enrollment.objects.open().filter(membership=membership).exists()
    )
    return ScaleOrganization(
        organization=organization,
        admin=admin,
        manager=managers[0],
        employee=first_team_employee,
        employees=employees,
        teams=team_count,
        enrollments=Enrollment.objects.filter(membership__organization=organization).count(),
    )


def _history(*, organization: Organization, rng: random.Random, now: datetime) -> None:
    """Progress for the enrollments: about half completed, a quarter in progress, the rest not started."""
    courses_of = {}
    for link in ProgramCourse.objects.filter(program__organization=organization).order_by("order"):
        courses_of.setdefault(link.program_id, []).append(link.course_id)
    lessons_of = {}
    for lesson_id, course_id in Lesson.objects.filter(course__organization=organization).values_list("pk", "course_id"):
        lessons_of.setdefault(course_id, []).append(lesson_id)
    snapshots = {
        course.pk: attempt_snapshot(course=course) for course in Course.objects.filter(organization=organization)
    }
    titles = dict(Course.objects.filter(organization=organization).values_list("pk", "title"))
    names = dict(Membership.objects.filter(organization=organization).values_list("pk", "user__name"))

    progress, completed_enrollments, done_courses = [], [], set()
    enrollments = list(Enrollment.objects.filter(membership__organization=organization).order_by("pk"))
    for enrollment in enrollments:
        roll = rng.random()
        courses = courses_of[enrollment.program_id]
        span = max(1, int((now - enrollment.enrolled_at).total_seconds() // 3600))
        finished_at = enrollment.enrolled_at + timedelta(hours=rng.randint(1, span))
        if roll < 0.5:
            count, completed = len(courses), True
        elif roll < 0.75:
            count, completed = rng.randint(1, len(courses)), False
        else:
            continue
        for position, course_id in enumerate(courses[:count]):
            key = (enrollment.membership_id, course_id)
            if key in done_courses:
                continue
            done_courses.add(key)
            whole = completed or position < count - 1
            progress.append(
                CourseProgress(
                    membership_id=enrollment.membership_id,
                    course_id=course_id,
                    started_at=enrollment.enrolled_at,
                    last_lesson_id=lessons_of[course_id][-1],
                    completed_at=finished_at if whole else None,
                )
            )
        if completed:
            enrollment.completed_at = finished_at
            completed_enrollments.append(enrollment)
    progress = CourseProgress.objects.bulk_create(progress, batch_size=BATCH)
    LessonCompletion.objects.bulk_create(
        (
            LessonCompletion(progress=row, lesson_id=lesson_id, completed_at=row.completed_at or row.started_at)
            for row in progress
            for lesson_id in (lessons_of[row.course_id] if row.completed_at else lessons_of[row.course_id][:1])
        ),
        batch_size=BATCH,
    )
    finished = [row for row in progress if row.completed_at]
    Attempt.objects.bulk_create(
        (
            Attempt(
                progress=row,
                number=1,
                status=AttemptStatus.SUBMITTED,
                snapshot=snapshots[row.course_id],
                responses={},
                score_percent=100,
                passed=True,
                started_at=row.completed_at,
                submitted_at=row.completed_at,
            )
            for row in finished
        ),
        batch_size=BATCH,
    )
    Certificate.objects.bulk_create(
        (
            Certificate(
                progress=row,
                code=secrets.token_urlsafe(12),
                recipient_name=names[row.membership_id],
                course_title=titles[row.course_id],
                organization_name=organization.name,
                time_zone=organization.time_zone,
                issued_at=row.completed_at,
            )
            for row in finished
        ),
        batch_size=BATCH,
    )
    Enrollment.objects.bulk_update(completed_enrollments, ["completed_at"], batch_size=BATCH)
    # A year of events, already consumed: the follow-up engine must not plan a year of history.
    CompletionEvent.objects.bulk_create(
        [
            *(
                CompletionEvent(
                    kind=CompletionEventKind.COURSE,
                    membership_id=row.membership_id,
                    course_id=row.course_id,
                    occurred_at=row.completed_at,
                    processed_at=row.completed_at,
                )
                for row in finished
            ),
            *(
                CompletionEvent(
                    kind=CompletionEventKind.ENROLLMENT,
                    membership_id=e.membership_id,
                    enrollment=e,
                    occurred_at=e.completed_at,
                    processed_at=e.completed_at,
                )
                for e in completed_enrollments
            ),
        ],
        batch_size=BATCH,
    )
