"""End-to-end, issue 11's demo: training that continues after the program.

With the demo data, Aiyana Tso completes New starter essentials on a phone; the pipeline, run two days
later, emails her a refresher whose link opens it on the phone without signing in, and her answers set
the next refresher's date shown on the result page; run a week later, it brings her practice task: she
writes how it went and her manager, Hannah Begay, replies; run two weeks later, it brings Hannah the
observation checklist, which she fills in on her phone; Aiyana reads the feedback; Aiyana's proficiency on
her person page reflects all of it. The pipeline runs in this process at chosen times
(`notifications_run`, what `manage.py notifications_run --now` does); every page is axe-checked.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from courses.demo_content import COURSES
from enrollments.models import Enrollment
from followups.models import FollowUp, FollowUpStatus, MemoryState, Review, StepKind
from notifications.services import notifications_run
from organizations.demo import EMAIL_DOMAIN
from organizations.models import Membership, Organization
from tests.browser.conftest import PHONE, shot, sign_in
from tests.browser.test_assignment_flow import take_next_course

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AIYANA, HANNAH = (f"{name}@{EMAIL_DOMAIN}" for name in ("aiyana.tso", "hannah.begay"))


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _link(email, marker: str) -> str:
    return _path(next(line.strip() for line in email.body.splitlines() if marker in line and "://" in line))


def _run_and_read(now, to: str, subject: str):
    mail.outbox.clear()
    notifications_run(now=now)
    return next(email for email in mail.outbox if email.to == [to] and email.subject.startswith(subject))


def test_refresher_practice_observation_and_proficiency_after_the_demo_program(new_context, console, demo):
    call_command("seed_demo", "--no-sign-ins", stdout=__import__("io").StringIO())
    Organization.objects.filter(pk=demo.organization.pk).update(  # send at whatever hour the test runs
        sending_window_start=time(0), sending_window_end=time(23, 59, 59), sending_weekdays="1234567"
    )
    aiyana = Membership.objects.select_related("user").get(user__email=AIYANA)

    # Aiyana completes the program on her phone
    page = new_context(**PHONE).new_page()
    sign_in(page, AIYANA)
    for position in range(1, len(COURSES) + 1):
        take_next_course(page, aiyana, position)
    enrollment = Enrollment.objects.get(membership=aiyana, program__isnull=False, completed_at__isnull=False)
    done = enrollment.completed_at

    # two days later the refresher arrives; its link opens it on a phone, signed out
    refresher_email = _run_and_read(done + timedelta(days=2, hours=1), AIYANA, "A 2-minute refresher")
    signed_out = new_context(**PHONE).new_page()
    signed_out.goto(_link(refresher_email, "/r/"))
    expect(signed_out.get_by_role("heading", name="quick question", exact=False)).to_be_visible()
    refresher = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.REFRESHER, key__startswith="step:")
    for question in refresher.snapshot["questions"]:
        for choice in question["choices"]:
            if choice["credit_percent"] > 0:
                signed_out.locator(f"input[name='q_{question['id']}'][value='{choice['id']}']").check()
    shot(signed_out, "phone-refresher-by-link")
    signed_out.get_by_role("button", name="Check my answers").click()
    expect(signed_out.get_by_role("heading", name="Done: 100% right")).to_be_visible()
    following = FollowUp.objects.get(enrollment=enrollment, key="refresher:2")
    expect(signed_out.locator(".next-refresher")).to_contain_text(f"{following.due_at:%A} {following.due_at.day}")
    assert Review.objects.filter(followup=refresher).exists()  # the answers moved her memory
    shot(signed_out, "phone-refresher-result")

    # a week after completing: the practice task; she writes how it went
    practice_email = _run_and_read(done + timedelta(days=7, hours=1), AIYANA, "Try this at work")
    page.goto(_link(practice_email, "/followups/"))
    page.get_by_label("How did it go?").fill("Asked three customers what they ride before suggesting anything.")
    page.get_by_role("button", name="Send my reflection").click()
    expect(page.get_by_text("Asked three customers", exact=False).first).to_be_visible()

    # Hannah replies from her follow-up work, on her phone
    manager = new_context(**PHONE).new_page()
    sign_in(manager, HANNAH)
    manager.goto("/team/followups/")
    manager.get_by_role("link", name="Aiyana Tso", exact=False).first.click()
    manager.get_by_label("Your reply").fill("Great habit. Try it on the phone bookings too.")
    manager.get_by_role("button", name="Send reply").click()
    expect(manager.get_by_text("Your reply is saved", exact=False)).to_be_visible()
    practice = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.PRACTICE)
    page.goto(f"/followups/{practice.pk}/practice/")
    expect(page.get_by_text("Great habit.", exact=False)).to_be_visible()

    # two weeks after completing: the observation checklist reaches Hannah, filled in on her phone
    observation_email = _run_and_read(done + timedelta(days=14, hours=1), HANNAH, "Observe Aiyana")
    manager.goto(_link(observation_email, "/team/followups/"))
    fieldsets = manager.locator("fieldset.checklist-standard")
    rated = fieldsets.count()
    for index in range(rated):
        fieldsets.nth(index).get_by_text("3 Usually").click()
    fieldsets.first.get_by_label("Notes on", exact=False).fill("Greets every rider by name.")
    shot(manager, "phone-observation-checklist")
    manager.get_by_role("button", name="Save observation").click()
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)
    assert observation.status == FollowUpStatus.DONE
    assert Review.objects.filter(followup=observation, rating=3).count() == rated > 0

    # Aiyana sees the feedback; her proficiency shows the observation and the memory it moved
    page.goto(f"/followups/{observation.pk}/")
    expect(page.get_by_text("Greets every rider by name.")).to_be_visible()
    shot(page, "phone-observation-feedback")
    manager.goto(f"/team/people/{aiyana.pk}/")
    table = manager.locator(".proficiency-table")
    expect(table).to_contain_text("Usually")
    assert MemoryState.objects.filter(membership=aiyana).count() >= rated
    shot(manager, "phone-proficiency")
    console.assert_none()
