"""One person's progress through courses: lessons done, knowledge-check attempts, certificates."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.models import OrganizationScopedQuerySet, validate_time_zone


class CourseProgressQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"

    def current(self) -> CourseProgressQuerySet:
        """Not archived: the person's one live progress per course (archived rows are history)."""
        return self.filter(archived_at__isnull=True)


class CourseProgress(models.Model):
    """A member's progress through one course: where they are, and when they completed it.

    One current (unarchived) row per person and course. Recertification archives a completed row
    (`archived_at`), with its lesson completions, attempts and certificate, as history, and the
    person starts the course again on a new row: every read of "this person's progress in this
    course" reads the current one only (`CourseProgress.objects.current()`).
    """

    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="course_progress"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField(default=timezone.now)
    last_lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = CourseProgressQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            # Named as the ON CONFLICT target of enrollments.services.learning._progress_upsert, whose
            # WHERE repeats this predicate.
            models.UniqueConstraint(
                fields=["membership", "course"], condition=Q(archived_at__isnull=True), name="course_progress_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Progress #{self.pk} of membership {self.membership_id} in course {self.course_id}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class LessonCompletionQuerySet(OrganizationScopedQuerySet):
    organization_path = "progress__membership__organization"


class LessonCompletion(models.Model):
    """A lesson marked done. One row per lesson, so two tabs marking it cannot double count."""

    progress = models.ForeignKey(CourseProgress, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)

    objects = LessonCompletionQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["progress", "lesson"], name="lesson_completion_unique"),
        ]

    def __str__(self) -> str:
        return f"Lesson {self.lesson_id} completed in progress {self.progress_id}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class AttemptQuerySet(OrganizationScopedQuerySet):
    organization_path = "progress__membership__organization"


class Attempt(models.Model):
    """One try at a course's knowledge check.

    `snapshot` freezes the questions, choices, credits, feedback and standards exactly as shown when
    the attempt started, and grading reads only the snapshot: editing the course later never changes
    what this person answered or how it was scored.
    """

    progress = models.ForeignKey(CourseProgress, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS)
    snapshot = models.JSONField()
    responses = models.JSONField(default=dict, blank=True)
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["progress_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["progress", "number"], name="attempt_number_unique"),
            # Two tabs opening the check share one open attempt instead of starting two.
            models.UniqueConstraint(
                fields=["progress"],
                condition=Q(status=AttemptStatus.IN_PROGRESS),
                name="attempt_one_open_per_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of progress {self.progress_id} ({self.status})"


class CertificateQuerySet(OrganizationScopedQuerySet):
    organization_path = "progress__membership__organization"


def new_certificate_code() -> str:
    return secrets.token_urlsafe(12)


class Certificate(models.Model):
    """Proof of a completed course, publicly verifiable by its code.

    Names and the organization's time zone are copied at issue time so the certificate keeps saying
    what was true when it was earned.
    """

    progress = models.OneToOneField(CourseProgress, on_delete=models.CASCADE, related_name="certificate")
    code = models.CharField(max_length=32, unique=True, default=new_certificate_code)
    recipient_name = models.CharField(max_length=150)
    course_title = models.CharField(max_length=160)
    organization_name = models.CharField(max_length=150)
    issued_at = models.DateTimeField(default=timezone.now)
    # The organization's time zone at issue: the certificate's dates are shown in it, named, to
    # everyone (holder, colleague or visitor signed out), so it says the same day to all of them.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "id"]

    def __str__(self) -> str:
        return f"Certificate {self.code}: {self.course_title} for {self.recipient_name}"

    @property
    def is_valid(self) -> bool:
        now = timezone.now()
        if self.revoked_at is not None:
            return False
        return self.valid_until is None or self.valid_until > now


# --- Assignments and enrollments ------------------------------------------------------------------


class AssignmentAudience(models.TextChoices):
    PEOPLE = "people", "Chosen people"
    TEAM = "team", "A team"
    ORGANIZATION = "organization", "Everyone"


class DueFrom(models.TextChoices):
    ASSIGNED = "assigned", "after assignment"
    JOINED = "joined", "after joining"


class AssignmentQuerySet(OrganizationScopedQuerySet):
    def live(self) -> AssignmentQuerySet:
        return self.filter(cancelled_at__isnull=True)


class Assignment(models.Model):
    """A decision that some people take a program (or a single course) by a due date.

    A team or organization assignment is a standing rule: `enrollments.services.enrollments_reconcile`
    enrolls whoever joins the team or the organization later. The due date is either a date
    (`due_on`) or a number of days (`due_days`) after the assignment or after the person joined
    (`due_from`); each person's enrollment turns it into the end of that day in their own time zone.
    """

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        "courses.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    audience = models.CharField(max_length=16, choices=AssignmentAudience.choices)
    team = models.ForeignKey(
        "organizations.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    people = models.ManyToManyField(
        "organizations.Membership", through="AssignmentPerson", related_name="assignments_received", blank=True
    )
    due_on = models.DateField(null=True, blank=True)
    due_days = models.PositiveSmallIntegerField(null=True, blank=True)
    due_from = models.CharField(max_length=16, choices=DueFrom.choices, blank=True)
    created_by = models.ForeignKey(
        "organizations.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(program__isnull=False, course__isnull=True) | Q(program__isnull=True, course__isnull=False),
                name="assignment_program_xor_course",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=False, due_days__isnull=True, due_from="")
                | Q(due_on__isnull=True, due_days__isnull=False, due_from__in=DueFrom.values),
                name="assignment_due_date_or_days",
            ),
            models.CheckConstraint(
                condition=Q(audience=AssignmentAudience.TEAM, team__isnull=False)
                | (~Q(audience=AssignmentAudience.TEAM) & Q(team__isnull=True)),
                name="assignment_team_iff_team_audience",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_title} ({self.get_audience_display()})"

    @property
    def target_title(self) -> str:
        return self.program.title if self.program_id else self.course.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class AssignmentPersonQuerySet(OrganizationScopedQuerySet):
    organization_path = "assignment__organization"


class AssignmentPerson(models.Model):
    """One chosen person of an assignment to chosen people."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="chosen")
    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="+")

    objects = AssignmentPersonQuerySet.as_manager()

    class Meta:
        ordering = ["assignment_id", "membership_id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "membership"], name="assignment_person_unique"),
        ]

    def __str__(self) -> str:
        return f"Membership {self.membership_id} chosen for assignment {self.assignment_id}"


class EnrollmentQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"

    def current(self) -> EnrollmentQuerySet:
        """Not cancelled: the ones a person is working on or has completed."""
        return self.filter(cancelled_at__isnull=True)

    def open(self) -> EnrollmentQuerySet:
        """Neither completed nor cancelled: the ones with something left to do."""
        return self.filter(cancelled_at__isnull=True, completed_at__isnull=True)


# The partial unique constraints that make "one enrollment per person and program at a time" hold,
# and that the upserts in enrollments.services name as their conflict target.
OPEN_ENROLLMENT = Q(completed_at__isnull=True, cancelled_at__isnull=True)


class Enrollment(models.Model):
    """One person's instance of a program (or of a single assigned course).

    At most one open enrollment per person and program (partial unique constraints), whatever number
    of assignments reached them: the earliest due date wins. `due_on` is the due date in the
    person's own time zone and `due_at` the end of that day as an instant (UTC), both fixed when the
    enrollment is made. A completed or cancelled enrollment stays as history; a recertification is a
    new enrollment.
    """

    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="enrollments")
    program = models.ForeignKey(
        "courses.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="enrollments"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="enrollments"
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Recertification: when the completion of a program valid for N days stops counting (end of the
    # local day N days after completing), and the enrollment that renews it. One renewal per
    # enrollment (one-to-one), which makes enrollments_recertify idempotent.
    expires_at = models.DateTimeField(null=True, blank=True)
    renews = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewal"
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(program__isnull=False, course__isnull=True) | Q(program__isnull=True, course__isnull=False),
                name="enrollment_program_xor_course",
            ),
            models.UniqueConstraint(
                fields=["membership", "program"],
                condition=OPEN_ENROLLMENT & Q(program__isnull=False),
                name="enrollment_one_open_per_program",
            ),
            models.UniqueConstraint(
                fields=["membership", "course"],
                condition=OPEN_ENROLLMENT & Q(course__isnull=False),
                name="enrollment_one_open_per_course",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=OPEN_ENROLLMENT, name="enrollment_open_due"),
            # A person's open enrollments (dashboard counts, reminders): without it PostgreSQL walks
            # the open-due index and filters every row by person.
            models.Index(
                fields=["membership", "due_at"], condition=OPEN_ENROLLMENT, name="enrollment_open_by_person"
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(expires_at__isnull=False, cancelled_at__isnull=True),
                name="enrollment_expiring",
            ),
        ]

    def __str__(self) -> str:
        return f"Enrollment #{self.pk} of membership {self.membership_id}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    def due_state(self, *, now: datetime, time_zone: str) -> DueState:
        return due_state(
            due_on=self.due_on, due_at=self.due_at, completed_at=self.completed_at, now=now, time_zone=time_zone
        )


DUE_SOON_DAYS = 3


class DueState(models.TextChoices):
    """Where an enrollment stands against its due date, in its person's time zone."""

    COMPLETED = "completed", "Completed"
    OVERDUE = "overdue", "Overdue"
    DUE_TODAY = "due_today", "Due today"
    DUE_SOON = "due_soon", "Due soon"
    ON_TRACK = "on_track", "On track"


def due_state(
    *, due_on: date | None, due_at: datetime | None, completed_at: datetime | None, now: datetime, time_zone: str,
    soon_days: int = DUE_SOON_DAYS,
) -> DueState:
    """The due state of an enrollment for a person in `time_zone` at `now`: the one rule every page,
    reminder and escalation uses. Due soon means within `soon_days` days (local dates), not today."""
    if completed_at is not None:
        return DueState.COMPLETED
    if due_at is None or due_on is None:
        return DueState.ON_TRACK
    if now > due_at:
        return DueState.OVERDUE
    try:
        today = now.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        today = now.astimezone(UTC).date()
    if due_on <= today:
        return DueState.DUE_TODAY
    if (due_on - today).days <= soon_days:
        return DueState.DUE_SOON
    return DueState.ON_TRACK


class CompletionEventKind(models.TextChoices):
    COURSE = "course", "Course completed"
    ENROLLMENT = "enrollment", "Enrollment completed"


class CompletionEventQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"


class CompletionEvent(models.Model):
    """An append-only row written in the same transaction as a course's or an enrollment's completion.

    Higher apps (the follow-up engine) learn of completions by claiming these rows
    (`enrollments.services.completion_events_claim`), never through signals or Redis: a crash
    between completing and consuming loses nothing, and a claim whose consumer died is taken again
    once its lease has run out.
    """

    kind = models.CharField(max_length=16, choices=CompletionEventKind.choices)
    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, null=True, blank=True, related_name="completion_events"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = CompletionEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(
                fields=["occurred_at"], condition=Q(processed_at__isnull=True), name="completion_event_pending"
            ),
        ]
        constraints = [
            # One event per completed enrollment: completing is a conditional UPDATE, this is the second guard.
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(kind="enrollment"), name="completion_event_once_per_enrollment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of membership {self.membership_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


# --- Calendar feed --------------------------------------------------------------------------------


class CalendarFeedQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's private iCalendar feed: whoever holds the token in its URL reads their due dates.

    The token is the only credential (calendar apps cannot sign in), so it is long, random and
    replaceable: resetting it makes every copy of the old URL a 404.
    """

    membership = models.OneToOneField(
        "organizations.Membership", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Calendar feed of membership {self.membership_id}"
