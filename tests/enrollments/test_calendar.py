"""The private calendar feed: valid RFC 5545 (parsed with icalendar), stable UIDs, right zones, resettable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from enrollments import services
from enrollments.calendar import CalendarItem, calendar_bytes
from enrollments.models import AssignmentAudience, CalendarFeed, Enrollment
from tests import factories
from tests.conftest import client_for

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def program(acme):
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    factories.ProgramCourseFactory(program=program, course=factories.published_course(acme, lessons=1, questions=0))
    return program


def _feed_url(membership) -> str:
    feed = services.calendar_feed_create(actor=membership)
    return reverse("enrollments:calendar_feed", kwargs={"token": feed.token})


def _fetch(url: str) -> Calendar:
    response = Client().get(url)  # signed out, as a calendar app
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"].startswith("private")
    return Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_valid_icalendar_with_one_all_day_event_per_due_date(acme, alice, carol, program):
    course = factories.published_course(acme, lessons=1, questions=0, title="Phone manners")
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=date(2026, 3, 20),
        now=NOW,
    )
    services.assignment_create(
        actor=alice, course=course, audience=AssignmentAudience.PEOPLE, people=[carol], due_on=date(2026, 4, 2), now=NOW
    )

    calendar = _fetch(_feed_url(carol))

    assert str(calendar["VERSION"]) == "2.0" and "ServiceCraft" in str(calendar["PRODID"])
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Due: New starter essentials", "Due: Phone manners"]
    assert [e.decoded("DTSTART") for e in events] == [date(2026, 3, 20), date(2026, 4, 2)]
    assert [e.decoded("DTEND") for e in events] == [date(2026, 3, 21), date(2026, 4, 3)]
    for event in events:
        assert event["UID"] and event["DTSTAMP"] and str(event["URL"]).startswith("http")


def test_uids_are_stable_across_refreshes_and_a_changed_due_date(alice, carol, program):
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=date(2026, 3, 20),
        now=NOW,
    )
    url = _feed_url(carol)
    first, second = _events(_fetch(url)), _events(_fetch(url))
    assert first.keys() == second.keys() and len(first) == 1

    # an earlier assignment of the same program brings the due date forward: same event, new date
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=date(2026, 3, 10),
        now=NOW,
    )
    third = _events(_fetch(url))
    assert third.keys() == first.keys()
    assert next(iter(third.values())).decoded("DTSTART") == date(2026, 3, 10)


def test_completed_and_cancelled_enrollments_leave_the_feed_and_others_see_only_their_own(acme, alice, carol, program):
    dave = factories.member(acme)
    outcome = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol, dave], due_days=7, now=NOW
    )
    assert len(_events(_fetch(_feed_url(dave)))) == 1

    Enrollment.objects.filter(membership=carol).update(completed_at=NOW)
    services.assignment_cancel(actor=alice, assignment=outcome.assignment)

    assert _events(_fetch(_feed_url(carol))) == {}
    assert _events(_fetch(_feed_url(dave))) == {}


def test_timed_items_carry_their_zone_and_convert_right_across_daylight_saving():
    new_york = ZoneInfo("America/New_York")
    before, after = datetime(2026, 3, 6, 9, 0, tzinfo=new_york), datetime(2026, 3, 9, 9, 0, tzinfo=new_york)
    items = [
        CalendarItem(uid=f"item-{n}@example.test", summary="Observation", url="https://example.test/", stamp=NOW, at=at)
        for n, at in enumerate((before, after))
    ]

    body = calendar_bytes(name="Training", time_zone="America/New_York", items=items)
    calendar = Calendar.from_ical(body)

    assert b"DTSTART;TZID=America/New_York:20260306T090000" in body
    assert b"DTSTART;TZID=America/New_York:20260309T090000" in body
    timezones = list(calendar.walk("VTIMEZONE"))
    assert [str(tz["TZID"]) for tz in timezones] == ["America/New_York"]
    assert {component.name for component in timezones[0].subcomponents} >= {"STANDARD", "DAYLIGHT"}
    starts = [event.decoded("DTSTART").astimezone(UTC) for event in calendar.walk("VEVENT")]
    assert starts == [datetime(2026, 3, 6, 14, 0, tzinfo=UTC), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)]


def test_resetting_the_link_makes_the_old_one_a_404(carol):
    old = _feed_url(carol)
    feed = services.calendar_feed_reset(actor=carol)

    assert Client().get(old).status_code == 404
    assert Client().get(reverse("enrollments:calendar_feed", kwargs={"token": feed.token})).status_code == 200
    assert CalendarFeed.objects.filter(membership=carol).count() == 1


def test_a_deactivated_persons_feed_is_a_404(carol):
    url = _feed_url(carol)
    carol.is_active = False
    carol.save(update_fields=["is_active"])

    assert Client().get(url).status_code == 404


def test_the_settings_page_creates_shows_and_replaces_the_link(carol):
    client = client_for(carol)
    page = reverse("enrollments:calendar_settings")
    assert "Create my calendar link" in client.get(page).content.decode()

    client.post(page, {"action": "create"})
    token = CalendarFeed.objects.get(membership=carol).token
    assert token in client.get(page).content.decode()

    client.post(page, {"action": "reset"})
    assert CalendarFeed.objects.get(membership=carol).token != token


@pytest.mark.parametrize("enrollments", [1, 8])
def test_the_feed_costs_three_queries_whatever_the_number_of_items(
    enrollments, acme, alice, carol, django_assert_num_queries
):
    for index in range(enrollments):
        course = factories.published_course(acme, lessons=1, questions=0, title=f"Course {index}")
        services.assignment_create(
            actor=alice, course=course, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=7
        )
    url = _feed_url(carol)
    client = Client()

    with django_assert_num_queries(3):  # the feed and its person, the enrollments, the follow-ups
        response = client.get(url)

    assert Calendar.from_ical(response.content).walk("VEVENT").__len__() == enrollments
