"""End-to-end: the reminder policy on the organization settings page, and a reminder reaching the bell.

The settings' rules are tested in tests/organizations/test_reminder_settings.py and the reminders in
tests/enrollments/test_reminders.py; here a real browser shows the section at phone and desktop size
(axe-checked by the fixtures), with a form error tied to its field, and an overdue reminder planned by
the pipeline appears under the employee's bell and links to the assignment.
"""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.demo import seed_demo_courses
from courses.demo_content import PROGRAM
from courses.models import Program
from enrollments.demo import seed_demo_assignments
from notifications.services import notifications_run
from organizations.demo import EMAIL_DOMAIN
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, menu, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_an_admin_sets_the_reminder_policy_and_sees_a_contradiction_explained(
    size, viewport, new_context, console, demo
):
    page = new_context(**viewport).new_page()
    sign_in(page, demo.admin.user.email)
    menu(page, "Organization")
    expect(page.get_by_role("heading", name="Reminders and escalation")).to_be_visible()
    shot(page, f"{size}-reminder-settings")

    page.get_by_label("Tell the team manager after, days overdue").fill("8")
    page.get_by_role("button", name="Save settings").click()

    skip_level = page.get_by_label("Tell the manager's manager after, days overdue")
    expect(skip_level).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_skip_level_after_days_error")).to_contain_text("more than 8 days overdue")
    assert_no_horizontal_overflow(page)
    shot(page, f"{size}-reminder-settings-error")

    skip_level.fill("12")
    page.get_by_label("Send reminders from").fill("09:30")
    page.get_by_role("group", name="Send reminders on").get_by_label("Saturday").check()
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator(".messages")).to_contain_text("Organization settings saved.")
    demo.organization.refresh_from_db()
    assert (
        demo.organization.escalate_after_days, demo.organization.skip_level_after_days,
        demo.organization.sending_window_start,
    ) == (8, 12, time(9, 30))
    assert "6" in demo.organization.sending_weekdays
    console.assert_none()


def test_an_overdue_reminder_is_under_the_employees_bell_and_leads_to_the_assignment(new_context, console, demo):
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    program = Program.objects.get(organization=demo.organization, title=PROGRAM["title"])
    seed_demo_assignments(demo=demo, program=program)
    # Ben's assignment was due yesterday: the pipeline plans and sends his overdue reminder (in the app too)
    notifications_run(now=timezone.now())

    page = new_context(**PHONE).new_page()
    sign_in(page, f"ben.carter@{EMAIL_DOMAIN}")
    page.get_by_role("link", name="1 unread notification").click()
    notice = page.get_by_role("link", name=f"Overdue: {PROGRAM['title']} was due", exact=False)
    expect(notice).to_be_visible()
    shot(page, "phone-reminder-in-the-app")

    notice.click()
    expect(page.locator("article.assigned-item").first).to_be_visible()
    assert "#enrollment-" in page.url
    console.assert_none()
