"""The demo's training in motion (`enrollments.demo`, run by `manage.py seed_demo`)."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from courses.demo_content import COURSES, PROGRAM
from enrollments.models import Assignment, CompletionEvent, CompletionEventKind, DueState, Enrollment
from organizations.demo import DEMO_ORGANIZATION_SLUG, EMAIL_DOMAIN


def _enrollment(local_part: str) -> Enrollment:
    return Enrollment.objects.select_related("membership__user").get(
        membership__user__email=f"{local_part}@{EMAIL_DOMAIN}", cancelled_at__isnull=True
    )


def test_seed_demo_assigns_the_program_with_people_done_in_progress_and_overdue(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    now = timezone.now()

    # every employee of both shops is enrolled once in the program
    enrollments = Enrollment.objects.filter(
        membership__organization__slug=DEMO_ORGANIZATION_SLUG, program__title=PROGRAM["title"]
    )
    assert enrollments.filter(membership__role="employee").count() == 10
    assert "Assigned" in out.getvalue()

    def state(local_part: str) -> DueState:
        enrollment = _enrollment(local_part)
        return enrollment.due_state(now=now, time_zone=enrollment.membership.user.time_zone)

    assert state("priya.natarajan") == DueState.COMPLETED
    assert state("daniel.yazzie") == DueState.COMPLETED
    assert state("ben.carter") == DueState.OVERDUE
    assert [state(p) for p in ("jonas.weber", "keisha.brown", "sofia.marquez", "emily.chen")].count(
        DueState.OVERDUE
    ) == 0
    jonas = _enrollment("jonas.weber").membership
    assert jonas.course_progress.filter(completed_at__isnull=False).count() == 2
    assert jonas.course_progress.filter(completed_at__isnull=True).count() == 1
    assert CompletionEvent.objects.filter(kind=CompletionEventKind.ENROLLMENT).count() == 3  # with Tomás (follow-ups)
    assert len(COURSES) >= 3


def test_seed_demo_a_second_time_assigns_nothing_more(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Assignment.objects.count(), Enrollment.objects.count(), CompletionEvent.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (Assignment.objects.count(), Enrollment.objects.count(), CompletionEvent.objects.count()) == counts


def test_the_demo_reminds_the_overdue_employee_now_and_his_manager_three_days_later(db):
    """README.md's demo of the reminders: `notifications_run --now` today, then three days later."""
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.now().astimezone(UTC).date()
    ben, hannah = f"ben.carter@{EMAIL_DOMAIN}", f"hannah.begay@{EMAIL_DOMAIN}"

    def run(day) -> tuple[str, list[tuple[str, str]]]:
        mail.outbox.clear()
        out = io.StringIO()
        call_command("notifications_run", now=f"{day.isoformat()}T17:00", stdout=out)  # 10:00 in Arizona
        return out.getvalue(), [(email.to[0], email.subject) for email in mail.outbox]

    printed, sent = run(today)
    due = _enrollment("ben.carter").due_on
    due_text = f"{due:%A} {due.day} {due:%B}"  # as the emails write it: "Friday 27 November"
    assert "emails sent" in printed
    assert [subject for to, subject in sent if to == ben] == [f"Overdue: New starter essentials was due {due_text}"]
    assert all(to != hannah or subject.startswith("Your teams this week") for to, subject in sent)

    _, later = run(today + timedelta(days=3))
    assert [(to, subject) for to, subject in later if "Ben Carter" in subject] == [
        (hannah, f"Overdue: Ben Carter has not finished New starter essentials (due {due_text})")
    ]  # his manager, and no one above her yet
