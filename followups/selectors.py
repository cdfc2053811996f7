"""Reads of the follow-up engine, scoped to the acting membership (or to a refresher link's token)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.cache import cache

from followups.models import FollowUp, FollowUpStatus, StepKind
from organizations.models import Membership

REFRESHER_LINK_SALT = "followups.refresher"
REFRESHER_LINK_DAYS = 7
UP_NEXT_DAYS = 14  # the home shows follow-ups due within two weeks (and any overdue)
UP_NEXT_CACHE_SECONDS = 60


def refresher_link_token(followup: FollowUp, *, now: datetime) -> str:
    """The token of a refresher's one-tap link: that refresher only, issued `now`, valid REFRESHER_LINK_DAYS."""
    return signing.dumps({"f": followup.pk, "t": int(now.timestamp())}, salt=REFRESHER_LINK_SALT)


@dataclass(frozen=True)
class TokenRefresher:
    followup: FollowUp | None
    problem: str = ""  # "invalid", "expired", "answered" or "cancelled"


def refresher_for_token(token: str, *, now: datetime) -> TokenRefresher:
    """The refresher a link opens, or why it does not: tampered, older than 7 days, already answered."""
    try:
        data = signing.loads(token, salt=REFRESHER_LINK_SALT)
        followup_id, issued = int(data["f"]), int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return TokenRefresher(None, "invalid")
    followup = (
        FollowUp.objects.select_related("membership__user", "membership__organization", "enrollment__program")
        .filter(pk=followup_id, kind=StepKind.REFRESHER, membership__is_active=True, membership__user__is_active=True)
        .first()
    )
    if followup is None:
        return TokenRefresher(None, "invalid")
    if now.timestamp() - issued > REFRESHER_LINK_DAYS * 86400:
        return TokenRefresher(followup, "expired")
    if followup.status == FollowUpStatus.DONE:
        return TokenRefresher(followup, "answered")
    if followup.status == FollowUpStatus.CANCELLED:
        return TokenRefresher(followup, "cancelled")
    return TokenRefresher(followup)


def followup_of(*, membership: Membership, followup_id: int) -> FollowUp | None:
    """One of the person's own follow-ups (None for anyone else's, so the view answers 404)."""
    return (
        FollowUp.objects.of_organization(membership.organization_id)
        .select_related("enrollment__program", "standard", "replied_by__user", "observer__user")
        .prefetch_related("reviews__standard")
        .filter(pk=followup_id, membership=membership)
        .first()
    )


def followups_of(*, membership: Membership) -> list[FollowUp]:
    """The person's follow-ups: to do first (by due time), then the done ones, newest first."""
    rows = list(
        FollowUp.objects.of_organization(membership.organization_id)
        .select_related("enrollment__program", "standard")
        .filter(membership=membership)
        .exclude(status=FollowUpStatus.CANCELLED)
        .exclude(kind=StepKind.OBSERVATION, status=FollowUpStatus.PENDING)  # the manager's to do, not theirs
        .order_by("due_at", "pk")
    )
    pending = [row for row in rows if row.status == FollowUpStatus.PENDING]
    done = sorted((row for row in rows if row.status == FollowUpStatus.DONE), key=lambda r: r.done_at, reverse=True)
    return pending + done


@dataclass(frozen=True)
class UpNext:
    due: list[FollowUp]  # due now or overdue
    coming: list[FollowUp]  # due within UP_NEXT_DAYS


def _up_next_key(membership_id: int) -> str:
    return f"followups:up-next:{membership_id}"


def up_next_forget(membership_id: int) -> None:
    """Drop a person's cached "Up next" (the follow-up services call it whenever theirs change)."""
    cache.delete(_up_next_key(membership_id))


def up_next_for(*, membership: Membership, now: datetime) -> UpNext:
    """The employee's follow-ups to do now and soon: one query, then from the cache for a minute.

    Cached because the home is a learner page with a budget of 6 queries on a warm request (issue 13).
    Every service that changes a person's follow-ups forgets the entry at once; the short expiry
    covers what changes with the clock alone (a planned follow-up becoming due).
    """
    key = _up_next_key(membership.pk)
    rows = cache.get(key)
    if rows is None:
        rows = _up_next_rows(membership=membership, now=now)
        cache.set(key, rows, UP_NEXT_CACHE_SECONDS)
    rows = [row for row in rows if row.due_at <= now + timedelta(days=UP_NEXT_DAYS)]
    return UpNext(due=[r for r in rows if r.due_at <= now], coming=[r for r in rows if r.due_at > now])


def _up_next_rows(*, membership: Membership, now: datetime) -> list[FollowUp]:
    return list(
        FollowUp.objects.of_organization(membership.organization_id)
        .select_related("enrollment__program", "standard")
        .filter(membership=membership, status=FollowUpStatus.PENDING, due_at__lte=now + timedelta(days=UP_NEXT_DAYS))
        .exclude(kind=StepKind.OBSERVATION)
        .order_by("due_at", "pk")
    )


def local_date(moment: datetime, time_zone: str):
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
