"""End-to-end: an author who pastes more than a form accepts sees the branded 413 page (what to do,
nothing saved) instead of a reset connection, on a phone and on a desktop, axe-checked."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_lesson_body_too_large_gets_the_branded_413_page(size, new_context, console, demo):
    course = factories.CourseFactory(organization=demo.organization, title="Oversized")
    lesson = factories.LessonFactory(course=course, title="Greeting", body_markdown="Before")
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()
    sign_in(page, demo.admin.user.email)

    page.goto(f"/author/courses/{course.pk}/lessons/{lesson.pk}/")
    # Typing 5 MB would take minutes: set the field's value as a paste would.
    page.locator("textarea[name=body_markdown]").evaluate(
        "(field, size) => { field.value = 'x'.repeat(size); }", settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    )
    page.get_by_role("button", name="Save").first.click()

    expect(page.get_by_role("heading", name="That was too much to send at once")).to_be_visible()
    expect(page.get_by_text("nothing was saved")).to_be_visible()
    shot(page, f"413-{size}")
    page.get_by_role("button", name="Back to the form").click()
    expect(page.locator("textarea[name=body_markdown]")).to_have_value("Before")
    lesson.refresh_from_db()
    assert lesson.body_markdown == "Before"
