"""End-to-end, issue 10's demo: with the demo data, an overdue assignment reminds the employee and, days
later by the pipeline, their manager; the employee unsubscribes from an optional category with one click
and still gets the mandatory reminder; the employee's in-app list and the admin's delivery log show both.

The pipeline runs in this process at chosen times (`notifications_run`, what `manage.py notifications_run
--now` does); the pages are the live server's, in Chromium at phone size, axe-checked by the fixtures.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from courses.demo import seed_demo_courses
from courses.demo_content import PROGRAM
from courses.models import Program
from enrollments.demo import seed_demo_assignments
from enrollments.models import AssignmentAudience
from enrollments.services import assignment_create
from notifications.models import OPTED_OUT_REASON, Message, MessageStatus
from notifications.services import notifications_run
from organizations.demo import EMAIL_DOMAIN
from organizations.models import Organization
from tests.browser.conftest import PHONE, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BEN, HANNAH, MAYA = (f"{name}@{EMAIL_DOMAIN}" for name in ("ben.carter", "hannah.begay", "maya.okafor"))


def _to(address: str) -> list:
    return [email for email in mail.outbox if email.to == [address]]


def test_reminder_escalation_and_a_one_click_unsubscribe_that_keeps_the_mandatory_reminder(
    new_context, console, demo
):
    # given the demo, with Switchback's sending window open all day so the run's real time is inside it
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    program = Program.objects.get(organization=demo.organization, title=PROGRAM["title"])
    seed_demo_assignments(demo=demo, program=program)
    Organization.objects.filter(pk=demo.organization.pk).update(
        sending_window_start=time(0), sending_window_end=time(23, 59, 59), sending_weekdays="1234567"
    )
    ben = next(m for m in demo.employees if m.user.email == BEN)
    hannah = next(m for m in demo.managers if m.user.email == HANNAH)
    courses = [link.course for link in program.program_courses.select_related("course").order_by("order")]
    now = timezone.now()

    # when the pipeline runs: Ben's overdue reminder, mandatory (no unsubscribe header)
    notifications_run(now=now)
    (overdue,) = [email for email in _to(BEN) if email.subject.startswith("Overdue")]
    assert "List-Unsubscribe" not in overdue.extra_headers

    # Hannah assigns him a course: the optional "new assignment" email carries a one-click unsubscribe
    assignment_create(actor=hannah, course=courses[0], audience=AssignmentAudience.PEOPLE, people=[ben], due_days=2)
    mail.outbox.clear()
    notifications_run(now=timezone.now())
    (news,) = [email for email in _to(BEN) if "List-Unsubscribe" in email.extra_headers]
    assert news.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page = new_context(**PHONE).new_page()
    link = news.extra_headers["List-Unsubscribe"].strip("<>")
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])  # the path on the live server
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You will no longer get", exact=False)).to_be_visible()
    shot(page, "phone-unsubscribed")

    # a second course: its notice is not emailed, the mandatory reminder still is
    assignment_create(actor=hannah, course=courses[1], audience=AssignmentAudience.PEOPLE, people=[ben], due_days=1)
    mail.outbox.clear()
    notifications_run(now=timezone.now())
    skipped = Message.objects.get(recipient=ben.user, category="assignment-new", object_id__isnull=False,
                                  status=MessageStatus.SKIPPED)
    assert skipped.skip_reason == OPTED_OUT_REASON
    to_ben = _to(BEN)
    assert to_ben and all("List-Unsubscribe" not in email.extra_headers for email in to_ben)
    reminder = Message.objects.filter(recipient=ben.user, category="assignment-reminder", status=MessageStatus.SENT)
    assert reminder.count() >= 2  # the overdue one, and the second course's

    # three days on, the pipeline tells his manager
    mail.outbox.clear()
    notifications_run(now=timezone.now() + timedelta(days=3))
    assert [e.subject for e in _to(HANNAH) if "Ben Carter" in e.subject][0].startswith("Overdue: Ben Carter")

    # then Ben's notifications list shows the mandatory reminder and the notice he no longer gets by email
    sign_in(page, BEN)
    page.goto("/notifications/")
    expect(page.get_by_role("link", name=overdue.subject, exact=False).first).to_be_visible()
    expect(page.get_by_role("link", name=skipped.subject, exact=False)).to_be_visible()
    shot(page, "phone-ben-notifications")
    console.assert_none()

    # and the admin's delivery log shows the reminder sent, the notice skipped with why, the escalation
    admin = new_context(**PHONE).new_page()
    sign_in(admin, MAYA)
    admin.goto("/organization/delivery-log/?q=ben.carter")
    expect(admin.get_by_text(OPTED_OUT_REASON).first).to_be_visible()
    expect(admin.get_by_text(overdue.subject).first).to_be_visible()
    admin.goto("/organization/delivery-log/?q=hannah.begay")
    expect(admin.get_by_text("Overdue: Ben Carter", exact=False).first).to_be_visible()
    shot(admin, "phone-delivery-log-escalation")
