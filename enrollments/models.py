"""One person's progress through courses: lessons done, knowledge-check attempts, certificates."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.models import OrganizationScopedQuerySet, validate_time_zone


class CourseProgressQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"


class CourseProgress(models.Model):
    """A member's progress through one course: where they are, and when they completed it."""

    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="course_progress"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField(default=timezone.now)
    last_lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = CourseProgressQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "course"], name="course_progress_unique"),
        ]

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

    @property
    def is_valid(self) -> bool:
        now = timezone.now()
        if self.revoked_at is not None:
            return False
        return self.valid_until is None or self.valid_until > now
