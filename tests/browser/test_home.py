"""End-to-end: the employee's home on a phone. Continue comes first and takes them to the right lesson;
"Our promise" is one tap away. Phone and desktop, axe-checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollments import services
from enrollments.models import AssignmentAudience
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_continue_is_the_first_thing_and_lands_on_the_next_lesson(size, new_context, console, demo):
    organization = demo.organization
    employee = demo.employees[0]
    program = factories.ProgramFactory(organization=organization, title="New starter essentials")
    first = factories.published_course(organization, lessons=1, questions=0, title="Greeting riders")
    second = factories.published_course(organization, lessons=2, questions=0, title="Handing over the bike")
    for order, course in enumerate((first, second)):
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    factories.published_course(organization, lessons=1, questions=0, title="Extra: tyre pressure")
    services.assignment_create(
        actor=demo.admin,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[employee],
        due_on=(timezone.now() + timedelta(days=2)).date(),
    )
    services.lesson_complete(membership=employee, lesson=first.lessons.get())
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()

    sign_in(page, employee.user.email)

    continue_card = page.locator(".continue-card")
    expect(continue_card).to_contain_text("Handing over the bike")
    expect(continue_card).to_contain_text("Course 2 of 2 in New starter essentials")
    expect(page.locator(".assigned-item")).to_contain_text("Due soon")
    expect(page.locator("#library-heading")).to_be_visible()
    expect(page.locator(".course-card")).to_contain_text("Extra: tyre pressure")
    box = continue_card.bounding_box()
    assert box["y"] < (844 if size == "phone" else 900), "Continue is above the fold"
    assert_no_horizontal_overflow(page)
    shot(page, f"home-{size}")

    page.get_by_role("button", name="Start “Handing over the bike”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.lessons.order_by("order").first().title)

    page.goto("/")
    page.get_by_role("link", name="Our promise").first.click()
    expect(page.get_by_role("heading", name="Our service standards")).to_be_visible()
    shot(page, f"promise-{size}")
