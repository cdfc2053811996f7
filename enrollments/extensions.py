"""Where apps to the right of enrollments add to its pages, without enrollments importing them.

The follow-up engine (`followups`) shows "Up next" on the employee's home, proficiency on a person's
page and on the team dashboard, and its follow-ups in the calendar feed. It registers providers here
in its `AppConfig.ready()`, like notification categories: an explicit registry, no signals. A
provider returns what to show (a template and its context, already loaded: templates never query)
or None to show nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PAGES = ("home", "person", "dashboard")


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionProvider = Callable[..., Section | None]
CalendarProvider = Callable[..., list]

_sections: dict[str, dict[str, SectionProvider]] = defaultdict(dict)
_calendar: dict[str, CalendarProvider] = {}


def register_section(page: str, name: str, provider: SectionProvider) -> None:
    """Add a section to one of enrollments' pages ("home": membership, now, home (the HomePage already
    loaded, so a provider can tell without a query that it has nothing to show); "person": viewer, person, now;
    "dashboard": membership, teams, now)."""
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}; pages are {PAGES}.")
    _sections[page][name] = provider


def sections(page: str, **kwargs: Any) -> list[Section]:
    found = (provider(**kwargs) for _name, provider in sorted(_sections[page].items()))
    return [section for section in found if section is not None]


def register_calendar_items(name: str, provider: CalendarProvider) -> None:
    """Add events to a person's calendar feed: provider(membership=, site_url=, host=) -> [CalendarItem]."""
    _calendar[name] = provider


def calendar_items(**kwargs: Any) -> list:
    return [item for _name, provider in sorted(_calendar.items()) for item in provider(**kwargs)]
