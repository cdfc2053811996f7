"""End-to-end: what an employee runs into (issue 12 §2), in headless Chromium on the live server.

- starting a knowledge check is a POST: following a link to the check shows a start page and
  creates nothing until the button is pressed;
- a course unpublished after the person took it stays readable under "Earlier courses".

Screenshots go to E2E_SHOTS when set (see conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from courses.models import CourseStatus
from enrollments.models import Attempt
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, menu, shot, sign_in
from tests.browser.test_flows import answer, phone_course

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WRONG = ["Finish the wheel first, then greet them", "Hand over the bike and wish them a good ride"]
RIGHT = ["Look up and say “Be right with you, two minutes”", "Check brakes and shifting together with them"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_starting_a_check_is_a_post_from_a_start_page(size, new_context, console, demo):
    employee = demo.employees[0]
    course = phone_course(demo)
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()
    sign_in(page, employee.user.email)

    # A plain link (a GET) to the check shows the start page and opens no attempt.
    page.goto(f"/learn/courses/{course.pk}/check/")
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    expect(page.get_by_text("2 questions; you pass with 80% or more.")).to_be_visible()
    page.reload()
    assert not Attempt.objects.filter(progress__membership=employee).exists()
    assert_no_horizontal_overflow(page)
    shot(page, f"{size}-check-start")

    # The button posts, then the check shows attempt 1; a reload resumes it.
    page.get_by_role("button", name="Start the knowledge check").click()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 1")
    page.reload()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 1")
    assert Attempt.objects.filter(progress__membership=employee).count() == 1
    console.assert_none()


def test_results_stay_reachable_after_the_course_is_archived(new_context, console, demo):
    employee = demo.employees[0]
    course = phone_course(demo)
    page = new_context(**PHONE).new_page()
    sign_in(page, employee.user.email)
    page.goto(f"/learn/courses/{course.pk}/check/")
    page.get_by_role("button", name="Start the knowledge check").click()
    answer(page, WRONG)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 0%")

    course.status = CourseStatus.ARCHIVED
    course.save()
    menu(page, "My learning")
    earlier = page.locator(".earlier-courses")
    expect(earlier.get_by_role("heading", name="Welcome and handover")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "phone-earlier-courses")
    earlier.get_by_role("link", name="Attempt 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 0%")
    expect(page.get_by_text("no longer offered")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    shot(page, "phone-result-archived")
    console.assert_none()
