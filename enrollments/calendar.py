"""iCalendar (RFC 5545) for a person's feed, built with the `icalendar` library; no database access.

Items are either all-day (a due date: a date on the person's own calendar, which stays that date in
any calendar app whatever its zone) or timed (a moment in the person's time zone, written with its
TZID and the VTIMEZONE that defines it, so clients convert it right across daylight-saving changes).
Due dates are all-day today; follow-ups will add timed items. UIDs are derived from what the item is
(`enrollment-<id>-due@<host>`), so refreshing the feed never duplicates an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODUCT_ID = "-//ServiceCraft//Training calendar//EN"


@dataclass(frozen=True)
class CalendarItem:
    """One event. Exactly one of `on` (all day) and `at` (a moment, with `time_zone`) is set."""

    uid: str
    summary: str
    url: str
    stamp: datetime
    on: date | None = None
    at: datetime | None = None
    minutes: int = 30
    description: str = ""


def calendar_bytes(*, name: str, time_zone: str, items: list[CalendarItem]) -> bytes:
    """The feed as bytes (CRLF lines, folded), with VTIMEZONE components for the timed items' zones."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone)
    zone = ZoneInfo(time_zone)
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp)
        event.add("summary", item.summary)
        event.add("url", item.url)
        if item.description:
            event.add("description", item.description)
        if item.on is not None:
            event.add("dtstart", item.on)
            event.add("dtend", item.on + timedelta(days=1))
            event.add("transp", "TRANSPARENT")  # a due date does not make the person busy
        else:
            start = item.at.astimezone(zone)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=item.minutes))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
