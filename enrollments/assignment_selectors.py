"""Manager and admin reads for the assignment pages, scoped to the acting membership.

Admins see every assignment of their organization; managers those to the teams they manage and to
people in those teams; anyone else, nothing (the views answer 404). The form's choices come from
here too, so a manager is never offered (and cannot post) another team or person. Query counts are
constant in the number of assignments, people and enrollments (tests/enrollments/test_assignment_views.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from courses.models import Course, Program, ProgramCourse
from enrollments.models import Assignment, AssignmentPerson, CourseProgress, DueState, Enrollment
from organizations.models import Membership, Role, Team


def _managed_teams(membership: Membership) -> QuerySet[Team]:
    return Team.objects.of_organization(membership.organization_id).filter(managers=membership)


def may_assign(membership: Membership) -> bool:
    return membership.role in (Role.ADMIN, Role.MANAGER)


def assignments_visible_to(*, membership: Membership) -> QuerySet[Assignment]:
    """The assignments `membership` may see (none unless an admin or a manager)."""
    assignments = Assignment.objects.of_organization(membership.organization_id)
    if membership.role == Role.ADMIN:
        return assignments
    if membership.role != Role.MANAGER:
        return assignments.none()
    managed = _managed_teams(membership).values("pk")
    to_their_people = AssignmentPerson.objects.filter(membership__team_id__in=managed).values("assignment_id")
    return assignments.filter(Q(team_id__in=managed) | Q(pk__in=to_their_people))


def assignment_list_for(*, membership: Membership, now: datetime) -> QuerySet[Assignment]:
    """Visible assignments, newest first, each with `enrolled`, `completed` and `overdue` counts.

    The counts are three filtered COUNTs over one join in the page's one query (plus the paginator's
    count): enrolled = not cancelled, completed, overdue = open and past its due instant.
    """
    current = Q(enrollments__cancelled_at__isnull=True)
    return (
        assignments_visible_to(membership=membership)
        .select_related("program", "course", "team", "created_by__user")
        .annotate(
            enrolled=Count("enrollments", filter=current),
            completed=Count("enrollments", filter=current & Q(enrollments__completed_at__isnull=False)),
            overdue=Count(
                "enrollments",
                filter=current & Q(enrollments__completed_at__isnull=True, enrollments__due_at__lt=now),
            ),
        )
        .order_by("-created_at", "-id")
    )


def assignment_for(*, membership: Membership, assignment_id: int) -> Assignment | None:
    """One visible assignment with its target, team and author; None otherwise (another organization's,
    another team's, or the member is an employee)."""
    return (
        assignments_visible_to(membership=membership)
        .select_related("program", "course", "team", "created_by__user")
        .filter(pk=assignment_id)
        .first()
    )


class PersonState:
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    OVERDUE = "Overdue"
    CANCELLED = "Cancelled"


@dataclass(frozen=True)
class AssignedPerson:
    enrollment: Enrollment
    state: str
    due: DueState


def assignment_people(*, membership: Membership, assignment: Assignment) -> QuerySet[Enrollment]:
    """The enrollments this assignment holds (the people it enrolled), with their person and whether
    they started any of its courses (`started`). `assignment` comes from `assignment_for` (scoped); a
    manager sees only the people in the teams they manage (an assignment to chosen people may reach
    others)."""
    if assignment.course_id:
        target_courses = Q(course_id=assignment.course_id)
    else:
        target_courses = Q(
            course_id__in=ProgramCourse.objects.filter(program_id=assignment.program_id).values("course_id")
        )
    started = CourseProgress.objects.current().filter(target_courses, membership_id=OuterRef("membership_id"))
    enrollments = Enrollment.objects.filter(assignment=assignment)
    if membership.role != Role.ADMIN:
        enrollments = enrollments.filter(membership__team_id__in=_managed_teams(membership).values("pk"))
    return (
        enrollments.select_related("membership__user", "membership__team")
        .annotate(started=Exists(started))
        .order_by("membership__user__name", "membership__user__email", "id")
    )


def person_state(enrollment: Enrollment, *, now: datetime) -> AssignedPerson:
    """Not started / in progress / completed / overdue (or cancelled), the due part from `due_state`."""
    due = enrollment.due_state(now=now, time_zone=enrollment.membership.user.time_zone)
    if enrollment.cancelled_at is not None:
        state = PersonState.CANCELLED
    elif due == DueState.COMPLETED:
        state = PersonState.COMPLETED
    elif due == DueState.OVERDUE:
        state = PersonState.OVERDUE
    elif enrollment.started:
        state = PersonState.IN_PROGRESS
    else:
        state = PersonState.NOT_STARTED
    return AssignedPerson(enrollment=enrollment, state=state, due=due)


# --- The form's choices -----------------------------------------------------------------------------


def assignable_programs(*, membership: Membership) -> QuerySet[Program]:
    return Program.objects.of_organization(membership.organization_id).order_by("title", "id")


def assignable_courses(*, membership: Membership) -> QuerySet[Course]:
    return (
        Course.objects.of_organization(membership.organization_id)
        .published()
        .defer("cover_image")
        .order_by("title", "id")
    )


def assignable_teams(*, membership: Membership) -> QuerySet[Team]:
    """Admins: every team; managers: the teams they manage; others: none."""
    teams = Team.objects.of_organization(membership.organization_id).order_by("name", "id")
    if membership.role == Role.ADMIN:
        return teams
    if membership.role == Role.MANAGER:
        return teams.filter(managers=membership)
    return teams.none()


def assignable_people(*, membership: Membership) -> QuerySet[Membership]:
    """Active people the member may assign to: admins anyone, managers the people in their teams."""
    people = (
        Membership.objects.of_organization(membership.organization_id)
        .filter(is_active=True, user__is_active=True)
        .select_related("user", "team")
        .order_by("user__name", "user__email", "id")
    )
    if membership.role == Role.ADMIN:
        return people
    if membership.role == Role.MANAGER:
        return people.filter(team_id__in=_managed_teams(membership).values("pk"))
    return people.none()
