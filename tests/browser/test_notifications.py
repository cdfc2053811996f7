"""End-to-end: an employee's notifications (the header count, the list, opening a notice, mark all read),
their email preferences, and the admin's delivery log; on a phone and a desktop, axe-checked."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import OPTED_OUT_REASON, EmailOptOut, Message, MessageStatus
from notifications.services import Draft, messages_enqueue
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_no_horizontal_overflow,
    expect_message,
    menu,
    shot,
    sign_in,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("notice_categories"),
]


def _notices(demo) -> None:
    """Three notices for the first employee (one already emailed, one they turned off) and one failed email."""
    employee = demo.employees[0]
    now = timezone.now()
    rows = [
        ("sample-reminder", "“Greeting guests” is due in 3 days", 30),
        ("sample-news", "A new course is out: Handling complaints", 90),
        ("sample-reminder", "“Checking in” is overdue", 60 * 26),
    ]
    messages_enqueue(
        drafts=[
            Draft(
                dedup_key=f"demo-{index}", category=category, to_email=employee.user.email,
                recipient_id=employee.user_id, tenant_id=demo.organization.pk, subject=subject,
                body_text=subject, url=reverse("enrollments:home"), not_before=now - timedelta(minutes=minutes),
            )
            for index, (category, subject, minutes) in enumerate(rows)
        ]
        + [
            Draft(
                dedup_key="demo-failed", category="sample-reminder", to_email=demo.managers[0].user.email,
                recipient_id=demo.managers[0].user_id, tenant_id=demo.organization.pk,
                subject="Your team has an overdue assignment", body_text="Overdue", not_before=now,
            )
        ]
    )
    Message.objects.filter(dedup_key="demo-0").update(status=MessageStatus.SENT, sent_at=now)
    Message.objects.filter(dedup_key="demo-1").update(status=MessageStatus.SKIPPED, skip_reason=OPTED_OUT_REASON)
    Message.objects.filter(dedup_key="demo-failed").update(
        status=MessageStatus.FAILED, attempts=1, error="550 5.1.1 No such mailbox here"
    )


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_employee_reads_their_notifications_and_turns_an_email_off(size, new_context, console, demo):
    _notices(demo)
    employee = demo.employees[0]
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()

    sign_in(page, employee.user.email)

    # The bell is in the header at every width (beside Menu on a phone), its count spoken in full.
    bell = page.get_by_role("link", name="3 unread notifications")
    expect(bell).to_be_visible()
    expect(bell.locator(".notice-count")).to_have_text("3")
    shot(page, f"notifications-header-{size}")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    items = page.locator(".notice-list .notice")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("is due in 3 days")  # newest first
    expect(page.locator(".notice.is-unread")).to_have_count(3)
    assert_no_horizontal_overflow(page)
    shot(page, f"notifications-list-{size}")

    # Following a notice marks it read and goes to its item; the count goes down at once.
    page.get_by_role("link", name="Unread “Greeting guests” is due in 3 days").click()
    expect(page.get_by_role("heading", name="Your training")).to_be_visible()
    assert urlsplit(page.url).path == reverse("enrollments:home")
    expect(page.get_by_role("link", name="2 unread notifications")).to_be_visible()

    page.get_by_role("link", name="2 unread notifications").click()
    expect(page.locator(".notice.is-unread")).to_have_count(2)
    page.get_by_role("button", name="Mark all as read").click()
    expect_message(page, "2 notifications marked as read.")
    expect(page.locator(".notice.is-unread")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator(".notice-count")).to_have_count(0)
    shot(page, f"notifications-read-{size}")

    # Preferences: optional news can be turned off; due-date reminders are always emailed.
    menu(page, "Email preferences")
    expect(page.get_by_role("heading", name="Email preferences")).to_be_visible()
    news = page.get_by_role("checkbox", name="Training news")
    expect(news).to_be_checked()
    expect(page.locator("#always-heading + p + .always-on")).to_contain_text("Due-date reminders")
    assert_no_horizontal_overflow(page)
    news.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect_message(page, "Your email preferences are saved.")
    expect(page.get_by_role("checkbox", name="Training news")).not_to_be_checked()
    shot(page, f"notifications-preferences-{size}")
    assert list(EmailOptOut.objects.filter(user=employee.user).values_list("category", flat=True)) == ["sample-news"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_admin_filters_the_delivery_log(size, new_context, console, demo):
    _notices(demo)
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()

    sign_in(page, demo.admin.user.email)
    menu(page, "Organization")
    page.get_by_role("link", name="Delivery log").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    expect(page.locator(".log-table tbody tr")).to_have_count(4)
    expect(page.locator(".log-table")).to_contain_text("550 5.1.1 No such mailbox here")
    assert_no_horizontal_overflow(page)
    shot(page, f"delivery-log-{size}")

    page.get_by_label("Status").select_option("skipped")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".log-table tbody tr")).to_have_count(1)
    expect(page.locator(".log-table")).to_contain_text(OPTED_OUT_REASON)
    assert "status=skipped" in page.url

    page.get_by_label("Status").select_option("")
    page.get_by_label("Person (name or email)").fill(demo.managers[0].user.name)
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".log-table tbody tr")).to_have_count(1)
    expect(page.locator(".log-table")).to_contain_text("Your team has an overdue assignment")
    assert_no_horizontal_overflow(page)
    shot(page, f"delivery-log-filtered-{size}")
