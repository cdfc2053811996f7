"""Reads of a manager's follow-up work: their people's practice reflections and observations.

A manager coaches the people of the teams they manage; an admin coaches everyone in the organization.
Nobody coaches themselves (their own follow-ups are on their own pages). Everything else is None or
empty, so the views answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from followups.models import FollowUp, FollowUpStatus, StepKind
from followups.services import program_standard_ids
from organizations.models import Membership, Role, ServiceStandard, Team

SOON_DAYS = 7  # the manager's list shows observations due within a week (and any overdue)
LIST_LIMIT = 100


def coached_followups(*, membership: Membership) -> QuerySet[FollowUp]:
    """Follow-ups of the people the actor coaches: their teams' members (a manager), everyone (an admin)."""
    rows = (
        FollowUp.objects.of_organization(membership.organization_id)
        .filter(membership__is_active=True, membership__user__is_active=True)
        .exclude(membership=membership)
    )
    if membership.role == Role.ADMIN:
        return rows
    if membership.role == Role.MANAGER:
        return rows.filter(membership__team__in=Team.objects.filter(managers=membership))
    return rows.none()


def coached_followup(*, membership: Membership, followup_id: int) -> FollowUp | None:
    """One follow-up of a person the actor coaches, with what its page shows; None otherwise."""
    return (
        coached_followups(membership=membership)
        .exclude(status=FollowUpStatus.CANCELLED)
        .select_related(
            "membership__user", "membership__team", "enrollment__program", "standard", "replied_by__user",
            "observer__user",
        )
        .prefetch_related("reviews__standard")
        .filter(pk=followup_id)
        .first()
    )


def _reflections_waiting() -> Q:
    return Q(kind=StepKind.PRACTICE, status=FollowUpStatus.DONE, reply="") & ~Q(reflection="")


def _observations_due(now: datetime) -> Q:
    return Q(kind=StepKind.OBSERVATION, status=FollowUpStatus.PENDING, due_at__lte=now + timedelta(days=SOON_DAYS))


@dataclass(frozen=True)
class TeamWork:
    """A manager's follow-up work: reflections waiting for a reply (oldest first), observations due."""

    reflections: list[FollowUp]
    observations: list[FollowUp]
    now: datetime

    @property
    def limited(self) -> bool:
        return len(self.reflections) >= LIST_LIMIT or len(self.observations) >= LIST_LIMIT


def team_work_for(*, membership: Membership, now: datetime) -> TeamWork:
    """The reflections to answer and the observations due within SOON_DAYS, in two queries."""
    rows = coached_followups(membership=membership).select_related(
        "membership__user", "membership__team", "enrollment__program", "standard"
    ).defer("snapshot", "responses")
    reflections = list(rows.filter(_reflections_waiting()).order_by("done_at", "pk")[:LIST_LIMIT])
    observations = list(rows.filter(_observations_due(now)).order_by("due_at", "pk")[:LIST_LIMIT])
    return TeamWork(reflections=reflections, observations=observations, now=now)


@dataclass(frozen=True)
class TeamWorkCount:
    reflections: int
    observations: int

    @property
    def total(self) -> int:
        return self.reflections + self.observations


def team_work_count(*, membership: Membership, now: datetime) -> TeamWorkCount:
    """How much follow-up work waits for the actor (for a link on the dashboard), in one query."""
    counts = coached_followups(membership=membership).aggregate(
        reflections=Count("pk", filter=_reflections_waiting()),
        observations=Count("pk", filter=_observations_due(now) & Q(due_at__lte=now)),
    )
    return TeamWorkCount(reflections=counts["reflections"], observations=counts["observations"])


def checklist_standards(followup: FollowUp) -> list[ServiceStandard]:
    """The standards an observation rates: those the program teaches (the same list the service checks)."""
    ids = program_standard_ids(followup.enrollment.program_id)
    return list(
        ServiceStandard.objects.of_organization(followup.membership.organization_id)
        .filter(pk__in=ids)
        .order_by("order", "code", "pk")
    )
