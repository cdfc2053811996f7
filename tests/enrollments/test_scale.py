"""`manage.py seed_scale`: a synthetic organization with enrollments in every state."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from enrollments.models import CompletionEvent, DueState, Enrollment
from enrollments.scale import seed_scale
from organizations.models import Membership, Role, Team


def test_seed_scale_builds_teams_of_about_fifteen_with_enrollments_in_every_state(db):
    scale = seed_scale(employees=60)
    now = timezone.now()

    organization = scale.organization
    assert Membership.objects.filter(organization=organization, role=Role.EMPLOYEE).count() == 60
    assert Team.objects.filter(organization=organization).count() == 4
    assert all(team.managers.count() == 1 for team in Team.objects.filter(organization=organization))
    enrollments = list(
        Enrollment.objects.filter(membership__organization=organization).select_related("membership__user")
    )
    states = {e.due_state(now=now, time_zone=e.membership.user.time_zone) for e in enrollments}
    assert {DueState.COMPLETED, DueState.OVERDUE} <= states
    open_enrollments = Enrollment.objects.filter(membership__organization=organization, completed_at__isnull=True)
    started = set(open_enrollments.filter(membership__course_progress__isnull=False).values_list("pk", flat=True))
    assert started, "some open enrollments are in progress"
    assert Enrollment.objects.filter(
        membership__organization=organization, membership__course_progress__isnull=True
    ).exists()
    # a year of history, already consumed: nothing for the follow-up engine to plan
    assert not CompletionEvent.objects.filter(processed_at__isnull=True).exists()
    assert CompletionEvent.objects.filter(membership__organization=organization).exists()
    assert Enrollment.objects.open().filter(membership=scale.employee).exists()


def test_the_command_prints_the_sign_ins_and_refuses_production_settings(db, settings):
    out = io.StringIO()
    call_command("seed_scale", "--employees", "20", stdout=out)
    assert "20 employees" in out.getvalue() and "scale-password-2026" in out.getvalue()

    settings.SEED_DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        call_command("seed_scale", "--employees", "20", stdout=io.StringIO())
