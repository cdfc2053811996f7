"""The follow-up pages cost the same number of queries with 1 follow-up as with many (at most 6, issue 13)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services
from followups.models import FollowUp, StepKind
from tests.conftest import client_for
from tests.followups.program_fixtures import (  # noqa: F401  (fixtures)
    complete_program,
    greet,
    resolve,
    service_program,
)

LEARNER_BUDGET = 6  # a learner page on a warm request


def _grow(enrollment, count: int) -> None:
    FollowUp.objects.bulk_create(
        FollowUp(
            enrollment=enrollment, membership=enrollment.membership, key=f"extra:{kind}:{n}", kind=kind,
            due_at=enrollment.completed_at + timedelta(days=n % 10), prompt="Say the guest's name.",
        )
        for n in range(count)
        for kind in (StepKind.MESSAGE, StepKind.PRACTICE)
    )


def _queries(client, url: str) -> int:
    client.get(url)  # warm: the session and the first-open writes are not what is counted
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_follow_up_pages_cost_the_same_at_two_sizes(alice, carol, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    while services.followups_consume_completions():
        pass
    client = client_for(carol)
    refresher = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.REFRESHER)
    practice = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.PRACTICE)
    urls = [
        reverse("followups:list"),
        reverse("followups:refresher", args=[refresher.pk]),
        reverse("followups:practice", args=[practice.pk]),
        reverse("enrollments:my_learning"),  # with "Up next"
    ]

    small = {url: _queries(client, url) for url in urls}
    _grow(enrollment, 40)
    large = {url: _queries(client, url) for url in urls}

    assert small == large
    assert max(large.values()) <= LEARNER_BUDGET, large
