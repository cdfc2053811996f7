"""The unread count every page's header shows, computed only when a template reads it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from notifications import selectors


class UnreadNotifications:
    """`count` and its spoken `label` for the header; from the cache on a warm request (no query)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return selectors.unread_count(user_id=user.pk)

    @property
    def shown(self) -> str:
        """The badge's text: the number, or 99+ (the label still says the exact number)."""
        return "99+" if self.count > 99 else str(self.count)

    @property
    def label(self) -> str:
        if not self.count:
            return "Notifications"
        return f"{self.count} unread notification{'' if self.count == 1 else 's'}"


def unread_notifications(request: HttpRequest) -> dict:
    return {"unread_notifications": UnreadNotifications(request)}
