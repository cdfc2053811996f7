"""People, tenancy and service standards: the records every other app hangs off."""

from __future__ import annotations

import re
import secrets
import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

# A standard's place in the list; well inside PostgreSQL's integer range.
MAX_STANDARD_ORDER = 9999

INVITATION_VALIDITY = timedelta(days=7)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known IANA time zone (for example Europe/Paris).")


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class OrganizationScopedQuerySet(models.QuerySet):
    """Base for querysets of organization-owned rows: `.of_organization(org_id)` is the tenancy filter.

    `organization_path` names the lookup from the row to its organization (directly or through a
    parent, e.g. "course__organization"), so selectors of every app scope rows the same way.
    """

    organization_path = "organization"

    def of_organization(self, organization_id: int):
        return self.filter(**{f"{self.organization_path}_id": organization_id})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Users sign in with their email address; it is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


# The constraints an existing email violates: the field's own UNIQUE (PostgreSQL's name, which
# `organizations.integrity.violated_constraint` also gives on SQLite) and the case-insensitive one.
USER_EMAIL_CONSTRAINTS = ("organizations_user_email_key", "user_email_ci_unique")


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login; a person may belong to several organizations."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.lower()
        super().save(*args, **kwargs)


# Bounds of the reminder settings: wide enough for any real policy, narrow enough that a typo (300
# days) is a form error rather than a reminder nobody will ever get.
MAX_REMINDER_LEAD_DAYS = 30
MAX_OVERDUE_DAYS = 90
MAX_DAILY_REMINDER_CAP = 20
ISO_WEEKDAYS = "1234567"  # Monday = 1 … Sunday = 7


def validate_iso_weekdays(value: str) -> None:
    """ISO weekday digits, each once and in order: "12345" is Monday to Friday."""
    if not re.fullmatch(r"1?2?3?4?5?6?7?", value or ""):
        raise ValidationError("Weekdays are ISO digits in order, Monday = 1 (for example 12345).")


WEEKDAY_NAMES = {"1": "Monday", "2": "Tuesday", "3": "Wednesday", "4": "Thursday", "5": "Friday",
                 "6": "Saturday", "7": "Sunday"}


def reminder_settings_errors(values: dict) -> dict[str, str]:
    """What is wrong with a set of reminder settings, field -> message (empty when they hold together).

    The rules between fields, shared by the settings form and `organization_update` (which the
    database's check constraints back up): the skip level comes after the escalation, the window
    ends after it starts, and it opens on at least one day.
    """
    errors: dict[str, str] = {}
    escalate, skip = values.get("escalate_after_days"), values.get("skip_level_after_days")
    if escalate is not None and skip is not None and skip <= escalate:
        errors["skip_level_after_days"] = (
            f"Tell the manager's manager later than the team manager: more than {escalate} days overdue."
        )
    start, end = values.get("sending_window_start"), values.get("sending_window_end")
    if start is not None and end is not None and end <= start:
        errors["sending_window_end"] = (
            f"The window must end after it starts ({start:%H:%M}); windows across midnight are not supported."
        )
    if "sending_weekdays" in values and not values["sending_weekdays"]:
        errors["sending_weekdays"] = "Choose at least one day on which reminders may be sent."
    return errors


class Organization(models.Model):
    """A tenant: its vision and customer-experience promise anchor all of its training.

    It also holds the organization's reminder policy, which `enrollments.reminders` reads: reminders
    start `reminder_lead_days` before a due date; a person overdue for `escalate_after_days` days is
    reported to their team's managers, and after `skip_level_after_days` days to those managers' own
    managers. Reminder mail goes out only in the sending window (hours and ISO weekdays, read in each
    recipient's own time zone), at most `daily_reminder_cap` emails per person and day.
    """

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=60, unique=True)
    vision = models.TextField("vision statement", blank=True)
    customer_promise = models.TextField("customer-experience promise", blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    reminder_lead_days = models.PositiveSmallIntegerField(
        "first reminder (days before the due date)", default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REMINDER_LEAD_DAYS)],
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        "tell the team manager after (days overdue)", default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OVERDUE_DAYS)],
    )
    skip_level_after_days = models.PositiveSmallIntegerField(
        "tell the manager's manager after (days overdue)", default=7,
        validators=[MinValueValidator(2), MaxValueValidator(MAX_OVERDUE_DAYS)],
    )
    sending_window_start = models.TimeField("send reminders from", default=time(8))
    sending_window_end = models.TimeField("send reminders until", default=time(18))
    sending_weekdays = models.CharField(
        "send reminders on", max_length=7, default="12345", validators=[validate_iso_weekdays]
    )
    daily_reminder_cap = models.PositiveSmallIntegerField(
        "reminder emails per person per day, at most", default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAILY_REMINDER_CAP)],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(skip_level_after_days__gt=models.F("escalate_after_days")),
                name="organization_skip_level_after_escalation",
            ),
            models.CheckConstraint(
                condition=Q(sending_window_end__gt=models.F("sending_window_start")),
                name="organization_sending_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(sending_weekdays=""), name="organization_sending_weekdays_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    EMPLOYEE = "employee", "Employee"


class MembershipQuerySet(OrganizationScopedQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Team(models.Model):
    """A group of employees with one or more managers."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    managers = models.ManyToManyField("Membership", blank=True, related_name="managed_teams")

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in one organization: role, team, job title. The unit of tenancy checks."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    job_title = models.CharField(max_length=120, blank=True)
    # Managers may author courses only when an admin grants it; admins always may.
    can_author = models.BooleanField("may author courses", default=False)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "user__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_author(self) -> bool:
        return self.role == Role.ADMIN or (self.role == Role.MANAGER and self.can_author)


class ServiceStandard(models.Model):
    """An observable service behavior with a short code. Every edit is kept as a revision."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="standards")
    code = models.CharField(max_length=12)
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    behaviors = models.JSONField(default=list, blank=True, help_text="Observable behaviors, one per item.")
    # Bounded so that a huge number is a form error, not an integer overflow (a 500) in PostgreSQL.
    order = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_STANDARD_ORDER)])
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="standard_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ServiceStandardRevisionQuerySet(OrganizationScopedQuerySet):
    organization_path = "standard__organization"


class ServiceStandardRevision(models.Model):
    """Who changed a standard, when, and what: field → [before, after]."""

    standard = models.ForeignKey(ServiceStandard, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    objects = ServiceStandardRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="standard_revision_unique_version"),
        ]

    def __str__(self) -> str:
        return f"Standard {self.standard_id} version {self.version}"


class OrganizationRevision(models.Model):
    """Who changed the organization's settings (vision, promise, name, time zone), when, and what.

    Like a standard's revisions: `changes` maps each changed field to [before, after]; versions count
    from 1 per organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="organization_revision_unique_version"),
        ]

    def __str__(self) -> str:
        return f"Organization {self.organization_id} version {self.version}"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + INVITATION_VALIDITY


class Invitation(models.Model):
    """A single-use invitation to join one organization with a given role and team."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=invitation_expiry)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per person and organization: double submits and
            # re-uploaded CSV files cannot create a second one.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


class ImportJobKind(models.TextChoices):
    QUESTIONS = "questions", "Question import"
    INVITATIONS = "invitations", "Invitation import"
    ASSIGNMENT = "assignment", "Assignment"


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped"


class ImportJob(models.Model):
    """A large import that a Celery worker writes in batches while its page shows the progress.

    Lives at the bottom (organizations) so that any app's import can use it. The input is kept in
    `payload`, not in the broker: the task loads the job by id, and each batch commits with `done`,
    so a retried task resumes after the last committed batch. The file was validated whole before
    the job was created.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=16, choices=ImportJobKind.choices)
    status = models.CharField(max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # messages shown when the job stopped
    payload = models.JSONField(default=dict, blank=True)  # what the task needs (e.g. course id, format, text)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
