"""Who must recertify soon: reads for managers and admins, scoped to the acting membership.

Admins see every team of their organization, managers the active members of the teams they
manage, anyone else nobody (an empty list, which views answer with a 404 or leave out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q

from enrollments.models import DueState, Enrollment
from enrollments.services.recertification import RECERTIFY_WITHIN_DAYS
from organizations.models import Membership, Role


@dataclass(frozen=True)
class ExpiringCompletion:
    """A completion that stops counting within the window, with its renewal if beat has made it."""

    enrollment: Enrollment
    expires_on: date  # the last day it counts, on the person's own calendar
    renewal: Enrollment | None
    renewal_state: DueState | None

    @property
    def has_renewal(self) -> bool:
        return self.renewal is not None


def _local_date(instant: datetime, time_zone: str) -> date:
    try:
        return instant.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return instant.date()


def completions_expiring_for(
    *, membership: Membership, now: datetime, within_days: int = RECERTIFY_WITHIN_DAYS
) -> list[ExpiringCompletion]:
    """Completions of active people expiring between now and `within_days` days from now, soonest first.

    Scoped: admins, the whole organization; managers, the active members of the teams they manage;
    anyone else, nobody. A completion whose renewal is already completed is done with and left out.
    One query (the renewal comes through the reverse one-to-one), whatever the number of rows.
    """
    if membership.role not in (Role.ADMIN, Role.MANAGER):
        return []
    rows = (
        Enrollment.objects.of_organization(membership.organization_id)
        .current()
        .filter(
            completed_at__isnull=False,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=within_days),
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .filter(Q(renewal__isnull=True) | Q(renewal__completed_at__isnull=True, renewal__cancelled_at__isnull=True))
        .select_related("membership__user", "membership__team", "program", "renewal")
        .order_by("expires_at", "membership__user__name", "id")
    )
    if membership.role == Role.MANAGER:
        rows = rows.filter(membership__team__managers=membership)
    expiring = []
    for enrollment in rows:
        time_zone = enrollment.membership.user.time_zone
        renewal = getattr(enrollment, "renewal", None)
        expiring.append(
            ExpiringCompletion(
                enrollment=enrollment,
                expires_on=_local_date(enrollment.expires_at, time_zone),
                renewal=renewal,
                renewal_state=renewal.due_state(now=now, time_zone=time_zone) if renewal else None,
            )
        )
    return expiring
