"""Reads of the manager's dashboard: the teams a manager manages (admins: every team), each read scoped to
the acting membership, in a constant number of queries whatever the number of people.

A person's status on the dashboard, over their current (not cancelled) enrollments, filtered by program
when one is chosen: **overdue** if any open one is past its due instant; else **not started** if they
have open ones and have started none of them; else **in progress**; else
**completed** if they have completed ones; people with nothing assigned have no status. Overdue is
exact in every time zone: an enrollment's `due_at` is the end of its due day where the person is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncWeek

from courses.models import Program, ProgramCourse
from enrollments.models import Attempt, AttemptStatus, CourseProgress, Enrollment, LessonCompletion
from enrollments.selectors import HomePage, home_for
from organizations.models import Membership, Role, Team

STATUSES = {
    "overdue": "Overdue",
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
}
CHART_WEEKS = 12


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, each already checked against what the actor may see (None: all)."""

    team: Team | None = None
    program: Program | None = None
    status: str | None = None


def teams_in_scope(*, membership: Membership) -> list[Team]:
    """The teams the actor's dashboard covers: those they manage; every team for an admin."""
    teams = Team.objects.of_organization(membership.organization_id).order_by("name", "id")
    if membership.role != Role.ADMIN:
        teams = teams.filter(managers=membership)
    return list(teams)


def programs_of(*, membership: Membership) -> list[Program]:
    return list(Program.objects.of_organization(membership.organization_id).order_by("title", "id"))


def _people(*, membership: Membership, teams: list[Team], filters: Filters) -> QuerySet[Membership]:
    """Active members of the teams in scope (an admin's scope also covers people without a team)."""
    people = Membership.objects.of_organization(membership.organization_id).active()
    if filters.team is not None:
        return people.filter(team=filters.team)
    if membership.role == Role.ADMIN:
        return people
    return people.filter(team__in=teams)


def _enrollment_filter(filters: Filters, prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}cancelled_at__isnull": True})
    if filters.program is not None:
        condition &= Q(**{f"{prefix}program": filters.program})
    return condition


def _progress_in_target() -> Q:
    """Correlated to an Enrollment: its person has progress in one of its courses.

    Two EXISTS, one per kind of target, each answered from an index; a single EXISTS with
    `course = … OR course IN (program's courses)` made PostgreSQL scan every progress row per
    enrollment (minutes at 5,000 people).
    """
    own_course = CourseProgress.objects.filter(membership_id=OuterRef("membership_id"), course_id=OuterRef("course_id"))
    program_course = CourseProgress.objects.filter(
        membership_id=OuterRef("membership_id"),
        course_id__in=ProgramCourse.objects.filter(program_id=OuterRef(OuterRef("program_id"))).values("course_id"),
    )
    return Q(Exists(own_course)) | Q(Exists(program_course))


def _count_of_enrollments(filters: Filters, condition: Q | None = None) -> Coalesce:
    """Correlated to a Membership: how many of their current enrollments (of the chosen program) match.

    A subquery per count rather than COUNT over a join: a page's rows cost a few small index lookups
    each, and the paginator's count, without a status filter, needs none of them.
    """
    rows = Enrollment.objects.filter(_enrollment_filter(filters), membership=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values("membership").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def people_table(*, membership: Membership, teams: list[Team], filters: Filters, now: datetime) -> QuerySet[Membership]:
    """One row per person with their counts and last activity, filtered by status; paginate it.

    Counts over their current enrollments (of the chosen program), as correlated subqueries: one
    query per page. Their last activity comes from `last_activity_of`, for the rows shown.
    """
    rows = (
        _people(membership=membership, teams=teams, filters=filters)
        .select_related("user", "team")
        .annotate(
            assigned=_count_of_enrollments(filters),
            completed=_count_of_enrollments(filters, Q(completed_at__isnull=False)),
            open=_count_of_enrollments(filters, Q(completed_at__isnull=True)),
            overdue=_count_of_enrollments(filters, Q(completed_at__isnull=True, due_at__lt=now)),
            in_progress=_count_of_enrollments(filters, Q(completed_at__isnull=True) & _progress_in_target()),
        )
        .order_by("user__name", "user__email", "id")
    )
    if filters.status == "overdue":
        rows = rows.filter(overdue__gt=0)
    elif filters.status == "not_started":
        rows = rows.filter(overdue=0, open__gt=0, in_progress=0)
    elif filters.status == "in_progress":
        rows = rows.filter(overdue=0, in_progress__gt=0)
    elif filters.status == "completed":
        rows = rows.filter(open=0, completed__gt=0)
    return rows


def last_activity_of(*, membership_ids: list[int]) -> dict[int, datetime]:
    """The latest lesson marked done or knowledge check submitted, per person, in two grouped queries.

    Kept out of the people table's query: as correlated subqueries PostgreSQL evaluated them against
    every lesson completion of the organization (a second per page at 5,000 people).
    """
    latest: dict[int, datetime] = {}
    lessons = (
        LessonCompletion.objects.filter(progress__membership_id__in=membership_ids)
        .values("progress__membership_id")
        .annotate(last=Max("completed_at"))
        .values_list("progress__membership_id", "last")
    )
    attempts = (
        Attempt.objects.filter(progress__membership_id__in=membership_ids, status=AttemptStatus.SUBMITTED)
        .values("progress__membership_id")
        .annotate(last=Max("submitted_at"))
        .values_list("progress__membership_id", "last")
    )
    for membership_id, moment in [*lessons, *attempts]:
        if moment is not None and (membership_id not in latest or moment > latest[membership_id]):
            latest[membership_id] = moment
    return latest


def person_status(row: Membership) -> str | None:
    """The status key of an annotated people_table row (see the module docstring)."""
    if row.overdue:
        return "overdue"
    if row.open:
        return "in_progress" if row.in_progress else "not_started"
    return "completed" if row.completed else None


@dataclass(frozen=True)
class ProgramCompletion:
    title: str
    assigned: int
    completed: int

    @property
    def percent(self) -> int:
        return self.completed * 100 // self.assigned if self.assigned else 0


@dataclass(frozen=True)
class WeekCount:
    week: datetime
    completed: int


@dataclass
class Dashboard:
    by_program: list[ProgramCompletion]
    by_team: list[ProgramCompletion]
    overdue: list[Enrollment]
    overdue_count: int
    not_started: list[Enrollment]
    not_started_count: int
    weeks: list[WeekCount] = field(default_factory=list)

    @property
    def week_bars(self) -> list[dict]:
        """The weekly chart's bars in a 240×100 SVG box: x, y, height, and what each shows."""
        top = max((week.completed for week in self.weeks), default=0) or 1
        bars = []
        for index, week in enumerate(self.weeks):
            height = round(week.completed * 90 / top)
            bars.append({"x": index * 20 + 2, "y": 100 - height, "height": height, "week": week})
        return bars

    @property
    def team_bars(self) -> list[dict]:
        """The team chart's bars in a 100-wide SVG box, one 10-high row each: y, width, and the row."""
        return [{"y": index * 14, "width": row.percent, "row": row} for index, row in enumerate(self.by_team)]

    @property
    def team_chart_height(self) -> int:
        return max(14, len(self.by_team) * 14)


def dashboard_for(*, membership: Membership, teams: list[Team], filters: Filters, now: datetime) -> Dashboard:
    """The summary sections above the people table, for the people in scope (after the team and program filters)."""
    people = _people(membership=membership, teams=teams, filters=filters).values("pk")
    current = Enrollment.objects.filter(_enrollment_filter(filters), membership__in=people)
    done = Count("pk", filter=Q(completed_at__isnull=False))
    by_program = [
        ProgramCompletion(title=row["title"], assigned=row["assigned"], completed=row["completed"])
        for row in current.annotate(title=_target_title())
        .values("title")
        .annotate(assigned=Count("pk"), completed=done)
        .order_by("title")
    ]
    by_team = [
        ProgramCompletion(
            title=row["membership__team__name"] or "No team", assigned=row["assigned"], completed=row["completed"]
        )
        for row in current.values("membership__team__name")
        .annotate(assigned=Count("pk"), completed=done)
        .order_by("membership__team__name")
    ]
    late = current.filter(completed_at__isnull=True, due_at__lt=now)
    waiting = current.filter(completed_at__isnull=True).filter(~_progress_in_target()).exclude(due_at__lt=now)
    related = ("membership__user", "membership__team", "program", "course")
    since = now - timedelta(weeks=CHART_WEEKS)
    weekly = {
        row["week"].date(): row["completed"]
        for row in current.filter(completed_at__gte=since)
        .annotate(week=TruncWeek("completed_at"))
        .values("week")
        .annotate(completed=Count("pk"))
    }
    first_monday = (now - timedelta(weeks=CHART_WEEKS - 1)).date()
    first_monday -= timedelta(days=first_monday.weekday())
    weeks = [
        WeekCount(
            week=first_monday + timedelta(weeks=index), completed=weekly.get(first_monday + timedelta(weeks=index), 0)
        )
        for index in range(CHART_WEEKS)
    ]
    return Dashboard(
        by_program=by_program,
        by_team=by_team,
        overdue=list(late.select_related(*related).order_by("due_at", "id")[:10]),
        overdue_count=late.count(),
        not_started=list(waiting.select_related(*related).order_by("due_at", "id")[:10]),
        not_started_count=waiting.count(),
        weeks=weeks,
    )


def _target_title() -> Coalesce:
    return Coalesce("program__title", "course__title")


@dataclass(frozen=True)
class PersonPage:
    person: Membership
    home: HomePage
    attempts: list[Attempt]


def person_for(*, membership: Membership, person_id: int, teams: list[Team], now: datetime) -> PersonPage | None:
    """One person of the actor's scope with their enrollments, attempts and certificates; None otherwise."""
    person = (
        _people(membership=membership, teams=teams, filters=Filters())
        .select_related("user", "team")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        return None
    attempts = list(
        Attempt.objects.filter(progress__membership=person, status=AttemptStatus.SUBMITTED)
        .select_related("progress__course")
        .defer("snapshot", "responses", "progress__course__cover_image")
        .order_by("-submitted_at", "-id")[:50]
    )
    return PersonPage(
        person=person, home=home_for(membership=person, now=now, time_zone=person.user.time_zone), attempts=attempts
    )
