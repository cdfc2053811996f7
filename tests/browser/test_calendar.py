"""End-to-end: an employee finds the calendar page from My learning, creates their link, reads it from
the page and replaces it; the link serves their due dates signed out. Phone and desktop, axe-checked."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from enrollments import services
from enrollments.models import AssignmentAudience
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_employee_subscribes_to_their_due_dates(size, new_context, console, demo, live_server):
    employee = demo.employees[0]
    course = factories.published_course(demo.organization, lessons=1, questions=0, title="Phone manners")
    services.assignment_create(
        actor=demo.admin,
        course=course,
        audience=AssignmentAudience.PEOPLE,
        people=[employee],
        due_on=date(2026, 12, 18),
    )
    context = new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, employee.user.email)

    page.goto("/learn/")
    page.get_by_role("link", name="Put your due dates in your calendar").click()
    page.get_by_role("button", name="Create my calendar link").click()
    link = page.get_by_label("Copy this link", exact=False)
    expect(link).to_be_visible()
    url = link.input_value()
    shot(page, f"calendar-{size}")

    feed = context.request.get(url.replace(url.split("/calendar/")[0], live_server.url))
    events = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Due: Phone manners"]

    page.get_by_role("button", name="Replace my calendar link").click()
    expect(page.get_by_text("The old link no longer works")).to_be_visible()
    assert link.input_value() != url
