"""Assignment mail: reminders, escalations, new-assignment notices and the managers' weekly digest.

Four categories of the delivery ledger (`notifications`), registered in `EnrollmentsConfig.ready()`
with the planner that fills them (`enrollments.services.reminders.reminders_plan`, run every minute
by beat and by `manage.py notifications_run`):

- `assignment-reminder` (mandatory): to the person, when an assignment is due in N days, due today,
  and overdue. Cannot be turned off; reminder-like (daily cap, combined when several are due at once).
- `assignment-escalation` (optional): to the managers of the person's team once it is M days
  overdue, and to the managers of those managers' own team after K days (skip level).
- `assignment-new` (optional): "you were assigned X, due D" when an assignment enrolls someone.
- `team-digest` (optional): Monday morning, each manager's teams at a glance.

This module builds the drafts (rendered from `templates/emails/<category>-*`) and says, at send time,
whether a message is still worth sending: one query per batch and category, never one per message.
The thresholds, window and cap are the organization's settings (`organizations.models.Organization`).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.urls import reverse

from enrollments.models import Enrollment
from notifications.categories import Category, register, register_planner
from notifications.models import Message
from notifications.services import Draft, SendingWindow, message_render
from organizations.models import Membership, Organization, User

REMINDER = "assignment-reminder"
ESCALATION = "assignment-escalation"
NEW_ASSIGNMENT = "assignment-new"
DIGEST = "team-digest"

# Stages, as they appear in dedup keys (so never renamed).
DUE_SOON = "due-soon"
DUE_TODAY = "due-today"
OVERDUE = "overdue"
MANAGER = "manager"
SKIP_LEVEL = "skip-level"


# --- Dedup keys: the enrollment, the stage and the due date, so a changed date plans anew -----------


def reminder_key(stage: str, enrollment_id: int, due_on: date) -> str:
    return f"{REMINDER}:{stage}:{enrollment_id}:{due_on.isoformat()}"


def escalation_key(stage: str, enrollment_id: int, due_on: date, recipient_membership_id: int) -> str:
    return f"{ESCALATION}:{stage}:{enrollment_id}:{due_on.isoformat()}:{recipient_membership_id}"


def new_assignment_key(enrollment_id: int, due_on: date) -> str:
    return f"{NEW_ASSIGNMENT}:{enrollment_id}:{due_on.isoformat()}"


def digest_key(membership_id: int, monday: date) -> str:
    return f"{DIGEST}:{membership_id}:{monday.isoformat()}"


def _due_on_in(key: str) -> str:
    """The due date a reminder, escalation or new-assignment key was planned for (ISO text)."""
    parts = key.split(":")
    return parts[3] if parts[0] in (REMINDER, ESCALATION) else parts[2]


# --- Drafts -----------------------------------------------------------------------------------------


def window_for(organization: Organization, time_zone: str) -> SendingWindow:
    """The organization's sending window, read in the recipient's own time zone."""
    return SendingWindow(
        time_zone=time_zone,
        start=organization.sending_window_start,
        end=organization.sending_window_end,
        weekdays=organization.sending_weekdays,
    )


def zone_name(user: User) -> str:
    """The person's IANA zone, or UTC when it is missing or unknown to this machine."""
    try:
        zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return user.time_zone


def local_midnight(day: date, time_zone: str) -> datetime:
    """The instant a local day starts (a daylight-saving change moves it in UTC, not on the clock)."""
    return datetime.combine(day, time(0), tzinfo=zoneinfo.ZoneInfo(time_zone))


def target_title(enrollment: Enrollment) -> str:
    return enrollment.program.title if enrollment.program_id else enrollment.course.title


def enrollment_path(enrollment: Enrollment) -> str:
    """Where the person acts on it: the course itself, or the program's card on their home page."""
    if enrollment.course_id:
        return reverse("enrollments:course", args=[enrollment.course_id])
    return f"{reverse('enrollments:home')}#enrollment-{enrollment.pk}"


def _absolute(path: str) -> str:
    # Straight to the item: signed out, the page sends the person through sign-in and back (?next=).
    return settings.SITE_URL + path


@dataclass(frozen=True)
class Recipient:
    """Who receives a message: their user, their membership in the organization, their zone."""

    membership: Membership

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def time_zone(self) -> str:
        return zone_name(self.membership.user)


def _draft(
    *, key: str, category: str, template: str, context: dict, recipient: Recipient, organization: Organization,
    object_id: int, path: str, not_before: datetime, capped: bool,
) -> Draft:
    context = {
        **context,
        "organization": organization,
        "recipient_name": recipient.user.name or recipient.user.email,
        "link": _absolute(path),
        "site_url": settings.SITE_URL,
    }
    subject, text, html = message_render(f"emails/{template}", context, time_zone=recipient.time_zone)
    return Draft(
        dedup_key=key,
        category=category,
        to_email=recipient.user.email,
        recipient_id=recipient.user.pk,
        subject=subject,
        body_text=text,
        body_html=html,
        tenant_id=organization.pk,
        object_id=object_id,
        url=path,
        not_before=not_before,
        window=window_for(organization, recipient.time_zone),
        daily_cap=organization.daily_reminder_cap if capped else None,
        time_zone=recipient.time_zone,
    )


def reminder_draft(*, enrollment: Enrollment, stage: str, not_before: datetime) -> Draft:
    """The person's own reminder: due soon, due today, or overdue.

    Dates are written out ("due Thursday 10 December"), never counted ("in 3 days"): the sending
    window or the daily cap may hold a message for a day or two, and it must still be true.
    """
    membership = enrollment.membership
    return _draft(
        key=reminder_key(stage, enrollment.pk, enrollment.due_on),
        category=REMINDER,
        template=REMINDER,
        context={
            "stage": stage,
            "title": target_title(enrollment),
            "due_on": enrollment.due_on,
        },
        recipient=Recipient(membership),
        organization=membership.organization,
        object_id=enrollment.pk,
        path=enrollment_path(enrollment),
        not_before=not_before,
        capped=True,
    )


def escalation_draft(
    *, enrollment: Enrollment, stage: str, recipient: Membership, managers: list[Membership], not_before: datetime,
    on_day: date,
) -> Draft:
    """To a manager about one of their people (or, skip level, about one of their managers' people)."""
    membership = enrollment.membership
    # A manager sees the person's page; a skip-level manager sees it only as an admin, else their dashboard.
    sees_person = stage == MANAGER or recipient.role == "admin"
    path = (
        reverse("enrollments:person", args=[membership.pk]) if sees_person else reverse("enrollments:dashboard")
    )
    return _draft(
        key=escalation_key(stage, enrollment.pk, enrollment.due_on, recipient.pk),
        category=ESCALATION,
        template=ESCALATION,
        context={
            "stage": stage,
            "person_name": membership.user.name or membership.user.email,
            "title": target_title(enrollment),
            "due_on": enrollment.due_on,
            "days_overdue": max((on_day - enrollment.due_on).days, 1),
            "managers": ", ".join(m.user.name or m.user.email for m in managers),
            "team_name": membership.team.name if membership.team_id else "",
        },
        recipient=Recipient(recipient),
        organization=membership.organization,
        object_id=enrollment.pk,
        path=path,
        not_before=not_before,
        capped=True,
    )


def new_assignment_draft(*, enrollment: Enrollment) -> Draft:
    membership = enrollment.membership
    assignment = enrollment.assignment
    assigned_by = assignment.created_by.user if assignment and assignment.created_by_id else None
    return _draft(
        key=new_assignment_key(enrollment.pk, enrollment.due_on),
        category=NEW_ASSIGNMENT,
        template=NEW_ASSIGNMENT,
        context={
            "title": target_title(enrollment),
            "due_on": enrollment.due_on,
            "assigned_by": (assigned_by.name or assigned_by.email) if assigned_by else "",
        },
        recipient=Recipient(membership),
        organization=membership.organization,
        object_id=enrollment.pk,
        path=enrollment_path(enrollment),
        not_before=enrollment.enrolled_at,
        capped=False,
    )


@dataclass(frozen=True)
class TeamWeek:
    """One managed team's week, for the digest."""

    name: str
    people: int
    overdue: int
    due_this_week: int
    completed_this_week: int
    overdue_people: list[str]


def digest_draft(*, manager: Membership, monday: date, teams: list[TeamWeek], not_before: datetime) -> Draft:
    return _draft(
        key=digest_key(manager.pk, monday),
        category=DIGEST,
        template=DIGEST,
        context={
            "monday": monday,
            "teams": teams,
            "overdue": sum(team.overdue for team in teams),
            "due_this_week": sum(team.due_this_week for team in teams),
            "completed_this_week": sum(team.completed_this_week for team in teams),
        },
        recipient=Recipient(manager),
        organization=manager.organization,
        object_id=manager.pk,
        path=reverse("enrollments:dashboard"),
        not_before=not_before,
        capped=False,
    )


# --- Still relevant at send time? -----------------------------------------------------------------

GONE = "The enrollment no longer exists."
COMPLETED = "The assignment was completed."
CANCELLED = "The enrollment was cancelled."
ASSIGNMENT_CANCELLED = "The assignment was cancelled."
PERSON_LEFT = "{name} is no longer an active member of the organization."
RECIPIENT_LEFT = "The recipient is no longer an active member of the organization."


def _enrollment_reasons(messages: list[Message]) -> dict[int, str]:
    """Why each message about an enrollment is no longer worth sending (absent: still relevant).

    One query for the whole batch: the enrollments with their assignment and person.
    """
    enrollments = Enrollment.objects.select_related("assignment", "membership__user").in_bulk(
        {message.object_id for message in messages}
    )
    reasons: dict[int, str] = {}
    for message in messages:
        enrollment = enrollments.get(message.object_id)
        if enrollment is None:
            reasons[message.pk] = GONE
        elif enrollment.completed_at is not None:
            reasons[message.pk] = COMPLETED
        elif enrollment.cancelled_at is not None:
            reasons[message.pk] = CANCELLED
        elif enrollment.assignment is not None and enrollment.assignment.cancelled_at is not None:
            reasons[message.pk] = ASSIGNMENT_CANCELLED
        elif enrollment.due_on is None or _due_on_in(message.dedup_key) != enrollment.due_on.isoformat():
            reasons[message.pk] = (
                f"The due date changed to {enrollment.due_on:%Y-%m-%d}; the reminders follow the new date."
                if enrollment.due_on else "The assignment no longer has a due date."
            )
        elif not (enrollment.membership.is_active and enrollment.membership.user.is_active):
            user = enrollment.membership.user
            reasons[message.pk] = PERSON_LEFT.format(name=user.name or user.email)
    return reasons


def enrollment_messages_still_relevant(messages: list[Message]) -> dict[int, str]:
    """Reminders and new-assignment notices: skipped once done, cancelled, re-dated or the person left."""
    return _enrollment_reasons(messages)


def escalations_still_relevant(messages: list[Message]) -> dict[int, str]:
    """Escalations: as reminders, and skipped when the manager told left the organization. Two queries."""
    reasons = _enrollment_reasons(messages)
    rest = [message for message in messages if message.pk not in reasons]
    if rest:
        active = set(
            Membership.objects.filter(
                user_id__in={message.recipient_id for message in rest},
                organization_id__in={message.tenant_id for message in rest},
                is_active=True,
                user__is_active=True,
            ).values_list("user_id", "organization_id")
        )
        for message in rest:
            if (message.recipient_id, message.tenant_id) not in active:
                reasons[message.pk] = RECIPIENT_LEFT
    return reasons


def digests_still_relevant(messages: list[Message]) -> dict[int, str]:
    """A digest is skipped when its manager left the organization. One query."""
    active = set(
        Membership.objects.filter(
            pk__in={message.object_id for message in messages}, is_active=True, user__is_active=True
        ).values_list("pk", flat=True)
    )
    return {message.pk: RECIPIENT_LEFT for message in messages if message.object_id not in active}


def register_categories() -> None:
    """Register the four categories and the planner (called from `EnrollmentsConfig.ready()`)."""
    register(
        Category(
            name=REMINDER,
            label="Assignment reminders",
            description="Your assignments due soon, due today and overdue. They cannot be turned off.",
            optional=False,
            in_app=True,
            combine_group="assignments",
            still_relevant=enrollment_messages_still_relevant,
        )
    )
    register(
        Category(
            name=ESCALATION,
            label="Overdue assignments of your people",
            description="When someone in a team you manage (or in your managers' teams) is several days overdue.",
            optional=True,
            in_app=True,
            combine_group="escalations",
            still_relevant=escalations_still_relevant,
        )
    )
    register(
        Category(
            name=NEW_ASSIGNMENT,
            label="New assignments",
            description="When you are assigned a program or a course, with its due date.",
            optional=True,
            in_app=True,
            still_relevant=enrollment_messages_still_relevant,
        )
    )
    register(
        Category(
            name=DIGEST,
            label="Weekly team digest",
            description="Monday morning: your teams' overdue, due this week and completed assignments.",
            optional=True,
            in_app=True,
            still_relevant=digests_still_relevant,
        )
    )

    def plan(now: datetime) -> int:
        from enrollments.services.reminders import reminders_plan

        return reminders_plan(now=now)

    register_planner("enrollments.reminders", plan)
