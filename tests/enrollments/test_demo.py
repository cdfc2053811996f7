"""The demo's training in motion (`enrollments.demo`, run by `manage.py seed_demo`)."""

from __future__ import annotations

import io

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
    assert CompletionEvent.objects.filter(kind=CompletionEventKind.ENROLLMENT).count() == 2
    assert len(COURSES) >= 3


def test_seed_demo_a_second_time_assigns_nothing_more(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Assignment.objects.count(), Enrollment.objects.count(), CompletionEvent.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (Assignment.objects.count(), Enrollment.objects.count(), CompletionEvent.objects.count()) == counts
