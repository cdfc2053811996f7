"""Kinds of message, registered by the apps that own them (in their `AppConfig.ready()`).

A category says how its messages are treated (may the person turn its email off? does it show in the
app? does it count toward the daily cap, and is it combined with others due at once?) and how to tell,
at send time, that a message is no longer relevant. This keeps the ledger ignorant of the domain:
enrollments knows whether a reminder's assignment was completed, not the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import Message

# Returns {message id: why it is no longer worth sending} for the messages to skip.
RelevanceCheck = Callable[[list["Message"]], dict[int, str]]
# Called with the messages just recorded as sent (e.g. to stamp the invitation's `sent_at`).
SentHook = Callable[[list["Message"]], None]
# Plans the messages due by `now` (reminders, escalations...); run by beat and by `notifications_run`.
Planner = Callable[[datetime], object]


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    description: str = ""
    optional: bool = False  # the person may turn its email off (preferences, one-click unsubscribe)
    in_app: bool = False  # also listed in the app's notifications
    # Reminder-like mail: counts toward the person's daily cap, and messages of the same group due
    # for one person at once go out as one email.
    combine_group: str = ""
    still_relevant: RelevanceCheck | None = None
    on_sent: SentHook | None = None


_categories: dict[str, Category] = {}
_planners: dict[str, Planner] = {}


def register(category: Category) -> Category:
    """Register (or re-register, on reload) a category under its name."""
    _categories[category.name] = category
    return category


def get(name: str) -> Category:
    try:
        return _categories[name]
    except KeyError:
        raise LookupError(f"No notification category {name!r} is registered.") from None


def all_categories() -> list[Category]:
    return sorted(_categories.values(), key=lambda category: category.label)


def optional_categories() -> list[Category]:
    return [category for category in all_categories() if category.optional]


def in_app_category_names() -> list[str]:
    return sorted(name for name, category in _categories.items() if category.in_app)


def capped_category_names() -> list[str]:
    return sorted(name for name, category in _categories.items() if category.combine_group)


def register_planner(name: str, planner: Planner) -> None:
    """Register a function that plans the messages due by a given time (run every minute by beat)."""
    _planners[name] = planner


def planners() -> Iterable[tuple[str, Planner]]:
    return sorted(_planners.items())
