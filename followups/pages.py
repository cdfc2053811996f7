"""What the follow-up engine adds to enrollments' pages: "Up next" on the home, events in the calendar feed."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from enrollments.calendar import CalendarItem
from enrollments.extensions import Section, register_calendar_items, register_section
from enrollments.selectors import HomePage
from followups import selectors
from followups.models import FollowUp, FollowUpStatus, StepKind
from organizations.models import Membership


def up_next_section(*, membership: Membership, now: datetime, home: HomePage) -> Section | None:
    """Follow-ups come only after a completed program: without one, no query (learner pages are budgeted)."""
    if not any(item.enrollment.program_id for item in home.completed):
        return None
    up_next = selectors.up_next_for(membership=membership, now=now)
    if not up_next.due and not up_next.coming:
        return None
    return Section("followups/_up_next.html", {"up_next": up_next, "now": now})


def followup_calendar_items(*, membership: Membership, site_url: str, host: str) -> list[CalendarItem]:
    """Each open follow-up of the person's own on its due day (observations are their manager's)."""
    rows = (
        FollowUp.objects.of_organization(membership.organization_id)
        .select_related("enrollment__program")
        .filter(membership=membership, status=FollowUpStatus.PENDING)
        .exclude(kind=StepKind.OBSERVATION)
        .order_by("due_at", "pk")
    )
    time_zone = membership.user.time_zone
    return [
        CalendarItem(
            uid=f"followup-{row.pk}@{host}",
            summary=f"{row.get_kind_display()}: {row.enrollment.program.title}",
            url=site_url + reverse("followups:detail", args=[row.pk]),
            stamp=row.created_at,
            on=selectors.local_date(row.due_at, time_zone),
            description=f"{row.get_kind_display()} after “{row.enrollment.program.title}”.",
        )
        for row in rows
    ]


def register_sections() -> None:
    register_section("home", "followups-up-next", up_next_section)
    register_calendar_items("followups", followup_calendar_items)
