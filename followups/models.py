"""Training that continues after the course: follow-up plans, follow-ups, memory per standard, observations.

Everything scheduled is a row here (Postgres is the source of truth); the messages that tell people
about it go through the `notifications` ledger. The follow-up engine learns of completions by
claiming `enrollments.CompletionEvent` rows, never through signals.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.models import OrganizationScopedQuerySet


class StepKind(models.TextChoices):
    REFRESHER = "refresher", "Refresher"
    PRACTICE = "practice", "Practice at work"
    OBSERVATION = "observation", "Manager observation"
    MESSAGE = "message", "Message"


# The plan a program gets until an admin edits it: (days after completion, kind).
DEFAULT_PLAN: tuple[tuple[int, str], ...] = (
    (2, StepKind.REFRESHER),
    (7, StepKind.PRACTICE),
    (14, StepKind.OBSERVATION),
    (30, StepKind.REFRESHER),
    (90, StepKind.REFRESHER),
)


class PlanStepQuerySet(OrganizationScopedQuerySet):
    organization_path = "program__organization"


class PlanStep(models.Model):
    """One step of a program's follow-up plan: a kind of follow-up, so many days after completion.

    A program's plan is its steps; a program without any gets `DEFAULT_PLAN`, written the first time
    it is needed (so follow-ups always point at a step that exists).
    """

    program = models.ForeignKey("courses.Program", on_delete=models.CASCADE, related_name="followup_steps")
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    offset_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])
    message = models.TextField(blank=True, help_text="For a message step: what people receive.")

    objects = PlanStepQuerySet.as_manager()

    class Meta:
        ordering = ["offset_days", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "offset_days", "kind"], name="plan_step_once_per_day_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} +{self.offset_days} d"


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", "To do"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class FollowUpQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"

    def open(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUpStatus.PENDING)


class FollowUp(models.Model):
    """One thing to do after a program: a refresher, a practice task, an observation or a message.

    Unique per enrollment and `key` ("step:<id>" for a plan step, "refresher:<n>" for the adaptive
    refreshers that follow the first), so planning from the same completion twice plans once. A
    refresher freezes its questions (`snapshot`, the knowledge-check format of enrollments/grading.py)
    when first opened. Practice and observation fields are blank for the other kinds.
    """

    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="followups")
    enrollment = models.ForeignKey("enrollments.Enrollment", on_delete=models.CASCADE, related_name="followups")
    step = models.ForeignKey(PlanStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups")
    key = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # When its email went into the notifications ledger (the planner looks only at those without).
    notified_at = models.DateTimeField(null=True, blank=True)

    # Refresher
    snapshot = models.JSONField(null=True, blank=True)
    responses = models.JSONField(default=dict, blank=True)
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # Practice at work (and the text of a message step)
    standard = models.ForeignKey(
        "organizations.ServiceStandard", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    prompt = models.TextField(blank=True)
    reflection = models.TextField(blank=True)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        "organizations.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    # Manager observation
    observer = models.ForeignKey(
        "organizations.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "key"], name="followup_once_per_enrollment_and_key"),
        ]
        indexes = [
            models.Index(fields=["membership", "due_at"], condition=Q(status="pending"), name="followup_open"),
            models.Index(
                fields=["due_at"], condition=Q(status="pending", notified_at__isnull=True), name="followup_to_notify"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for membership {self.membership_id} due {self.due_at:%Y-%m-%d}"


class MemoryStateQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"


class MemoryState(models.Model):
    """What one person remembers of one standard: the FSRS state after their latest review (followups.memory)."""

    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey("organizations.ServiceStandard", on_delete=models.CASCADE, related_name="+")
    stability = models.FloatField()
    difficulty = models.FloatField()
    last_review = models.DateTimeField()
    reviews = models.PositiveIntegerField(default=1)

    objects = MemoryStateQuerySet.as_manager()

    class Meta:
        ordering = ["standard__order", "standard_id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "standard"], name="memory_state_once_per_standard"),
        ]

    def __str__(self) -> str:
        return f"membership {self.membership_id}, standard {self.standard_id}: S={self.stability:.1f} d"


class ReviewSource(models.TextChoices):
    KNOWLEDGE_CHECK = "check", "Knowledge check"
    REFRESHER = "refresher", "Refresher"
    OBSERVATION = "observation", "Observation"


class ReviewQuerySet(OrganizationScopedQuerySet):
    organization_path = "membership__organization"


class Review(models.Model):
    """One rated review of a standard (answers in a check or refresher, or a manager's observation): the trend."""

    membership = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey("organizations.ServiceStandard", on_delete=models.CASCADE, related_name="+")
    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews")
    source = models.CharField(max_length=16, choices=ReviewSource.choices)
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    recall_before = models.FloatField(null=True, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["reviewed_at", "id"]
        indexes = [models.Index(fields=["membership", "standard", "-reviewed_at"], name="review_trend")]

    def __str__(self) -> str:
        return f"{self.source} of standard {self.standard_id} rated {self.rating}"


class FollowUpSettingsQuerySet(OrganizationScopedQuerySet):
    organization_path = "organization"


class FollowUpSettings(models.Model):
    """An organization's settings for adaptive refreshers (defaults apply until an admin saves them).

    The defaults come from bench/refresher_simulation.py: a 14-day minimum gap keeps about 92% of
    standard-days at the 0.9 target for about 8.5 refreshers in six months; 3 days keeps 98% for 12.7.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="followup_settings"
    )
    target_recall = models.FloatField(
        "target recall", default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.97)],
        help_text="A refresher comes when the predicted recall of a person's weakest standard falls below this.",
    )
    min_gap_days = models.PositiveSmallIntegerField(
        "minimum days between refreshers", default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    max_gap_days = models.PositiveSmallIntegerField(
        "maximum days between refreshers", default=60, validators=[MinValueValidator(7), MaxValueValidator(365)]
    )

    objects = FollowUpSettingsQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Follow-up settings of organization {self.organization_id}"
