"""Reads of a person's own side of the ledger: their in-app notices, the unread count, their email choices.

Everything here is scoped to one person (`user_id`), never to an organization: this app does not know
organizations, and a person's notices are theirs whichever organization sent them. Another person's
notice is "not found", a 404 like anything that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from notifications import categories
from notifications.categories import Category
from notifications.models import EmailOptOut, Message

# The unread count in every page's header comes from the cache, so it costs no query on a warm request
# (learner pages have a budget of a few queries, see the performance issue). It is kept for a short
# time only because it changes without anyone touching it: a notice planned for later becomes visible
# when its time comes, and a worker adds notices. A minute late is fine for a count; when the person
# marks notices read, `unread_count_forget` drops it at once, so their own action shows on the next page.
UNREAD_COUNT_SECONDS = 60


def notices_for(*, user_id: int, now: datetime | None = None) -> QuerySet[Message]:
    """A person's in-app notices visible by `now`, newest first, without the email bodies (not shown)."""
    return (
        Message.objects.in_app_for(user_id, now or timezone.now())
        .defer("body_text", "body_html")
        .order_by("-visible_from", "-id")
    )


def notice_get(*, user_id: int, message_id: int, now: datetime | None = None) -> Message:
    """One of the person's own visible notices; 404 for anyone else's (or one not visible yet)."""
    return get_object_or_404(notices_for(user_id=user_id, now=now), pk=message_id)


def with_category_labels(messages: list[Message]) -> list[Message]:
    """Set `category_label` on each message from the registry (no query); an unknown category shows its name."""
    labels = {category.name: category.label for category in categories.all_categories()}
    for message in messages:
        message.category_label = labels.get(message.category, message.category)
    return messages


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(*, user_id: int, now: datetime | None = None) -> int:
    """How many of the person's visible notices are unread, from the cache when it has it (see above)."""
    key = _unread_key(user_id)
    count = cache.get(key)
    if count is None:
        count = notices_for(user_id=user_id, now=now).filter(read_at__isnull=True).count()
        cache.set(key, count, UNREAD_COUNT_SECONDS)
    return count


def unread_count_forget(*, user_id: int) -> None:
    """Drop the person's cached unread count (after they marked notices read), so the next page counts again."""
    cache.delete(_unread_key(user_id))


@dataclass(frozen=True)
class EmailChoice:
    category: Category
    enabled: bool


def email_choices(*, user_id: int) -> tuple[list[EmailChoice], list[Category]]:
    """The person's email switches: (optional categories with on/off, mandatory categories always on)."""
    opted_out = set(EmailOptOut.objects.filter(user_id=user_id).values_list("category", flat=True))
    optional, mandatory = [], []
    for category in categories.all_categories():
        if category.optional:
            optional.append(EmailChoice(category=category, enabled=category.name not in opted_out))
        else:
            mandatory.append(category)
    return optional, mandatory
