"""A person's private calendar feed: create its link, or replace it."""

from __future__ import annotations

from django.db import transaction

from enrollments.models import CalendarFeed, new_calendar_token
from organizations.models import Membership
from organizations.permissions import ensure_actor


def calendar_feed_create(*, actor: Membership) -> CalendarFeed:
    """The actor's feed, created if they have none (one per membership; a double click finds the first)."""
    ensure_actor(actor, organization=actor.organization_id)
    feed, _ = CalendarFeed.objects.get_or_create(membership=actor)
    return feed


@transaction.atomic
def calendar_feed_reset(*, actor: Membership) -> CalendarFeed:
    """Give the actor's feed a new token: every copy of the old link stops working at once."""
    ensure_actor(actor, organization=actor.organization_id)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(membership=actor)
    if not created:
        feed.token = new_calendar_token()
        feed.save(update_fields=["token"])
    return feed
