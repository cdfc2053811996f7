"""Two simultaneous submissions of the new assignment form on real PostgreSQL make one assignment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrollments.models import Assignment, Enrollment
from tests import factories
from tests.conftest import client_for
from tests.enrollments.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_identical_posts_make_one_assignment(acme, bob, carol):
    team = factories.TeamFactory(organization=acme, name="Front desk")
    team.managers.add(bob)
    carol.team = team
    carol.save(update_fields=["team"])
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    factories.ProgramCourseFactory(program=program, course=factories.published_course(acme, lessons=1, questions=1))
    data = {
        "program": program.pk, "course": "", "audience": "team", "team": team.pk,
        "due_kind": "days", "due_days": "14", "due_from": "assigned",
    }  # fmt: skip
    clients = [client_for(bob), client_for(bob)]

    responses = run_together(
        *[lambda client=client: client.post(reverse("enrollments:assignment_create"), data) for client in clients]
    )

    assert not any(isinstance(response, Exception) for response in responses), responses
    assignment = Assignment.objects.get()
    assert [response.url for response in responses] == [
        reverse("enrollments:assignment_detail", kwargs={"assignment_id": assignment.pk})
    ] * 2
    assert Enrollment.objects.filter(membership=carol).count() == 1
