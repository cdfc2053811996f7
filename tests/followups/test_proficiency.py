"""Proficiency per person and standard (followups.proficiency), and its sections on the person page and the dashboard.

bob manages the front desk (carol and her colleagues), dave the kitchen; alice, the admin, sees everyone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups import proficiency, services
from followups.models import FollowUpSettings, MemoryState, Review, ReviewSource
from organizations.models import Role
from tests import factories
from tests.conftest import client_for
from tests.followups.program_fixtures import (  # noqa: F401  (fixtures)
    complete_program,
    front_desk,
    greet,
    resolve,
    service_program,
)

NOW = timezone.now()
MANAGER_PAGE_BUDGET = 20


@pytest.fixture
def kitchen(acme):
    team = factories.TeamFactory(organization=acme, name="Kitchen")
    dave = factories.member(acme, Role.MANAGER, user__email="dave@acme.test", user__name="Dave Kitchen")
    team.managers.add(dave)
    return team


def remember(person, standard, *, stability: float, days_ago: float, ratings=(3,), observed: int | None = None):
    """A memory of `standard` last reviewed `days_ago`, with its reviews (oldest first) and an observation."""
    last = NOW - timedelta(days=days_ago)
    MemoryState.objects.create(
        membership=person, standard=standard, stability=stability, difficulty=5.0, last_review=last,
        reviews=len(ratings) + (observed is not None),
    )
    for index, rating in enumerate(ratings):
        Review.objects.create(
            membership=person, standard=standard, source=ReviewSource.REFRESHER, rating=rating,
            reviewed_at=last - timedelta(days=len(ratings) - index),
        )
    if observed is not None:
        Review.objects.create(
            membership=person, standard=standard, source=ReviewSource.OBSERVATION, rating=observed, reviewed_at=last,
            notes="Seen at the desk.",
        )


def test_a_persons_recall_latest_observation_and_trend_per_standard(alice, carol, greet, resolve):
    remember(carol, greet, stability=60, days_ago=1, ratings=(2, 3), observed=4)
    remember(carol, resolve, stability=2, days_ago=20, ratings=(3, 2))

    found = proficiency.person_proficiency(viewer=alice, person=carol, now=NOW)

    by_code = {row.standard.code: row for row in found.standards}
    assert by_code["G1"].recall > 0.9 > by_code["R1"].recall
    assert by_code["G1"].outlook < by_code["G1"].recall and by_code["R1"].outlook < by_code["R1"].recall
    assert [row.standard.code for row in found.weak] == ["R1"]
    assert by_code["G1"].observation.rating == 4 and by_code["R1"].observation is None
    assert [r.rating for r in by_code["G1"].ratings] == [2, 3, 4] and by_code["G1"].trend == "up"
    assert by_code["R1"].trend == "down" and by_code["R1"].trend_label == "Slipping"


def test_another_organizations_viewer_gets_nothing(charlie, carol, greet):
    remember(carol, greet, stability=10, days_ago=1)

    assert proficiency.person_proficiency(viewer=charlie, person=carol, now=NOW) is None


def test_the_team_summary_marks_a_weak_standard_and_lists_the_weakest(acme, alice, bob, carol, front_desk, kitchen,
                                                                        greet, resolve):
    erin = factories.member(acme, team=front_desk, user__name="Erin Desk")
    cook = factories.member(acme, team=kitchen, user__name="Kim Cook")
    for person in (carol, erin):
        remember(person, greet, stability=90, days_ago=2, observed=3)
    remember(carol, resolve, stability=1, days_ago=30, ratings=(3, 1))
    remember(erin, resolve, stability=200, days_ago=1)
    remember(cook, resolve, stability=1, days_ago=60)  # not bob's

    mine = proficiency.team_proficiency(membership=bob, teams=list(bob.managed_teams.all()), now=NOW)
    everyone = proficiency.team_proficiency(membership=alice, teams=[], now=NOW)

    summary = {s.standard.code: s for s in mine.standards}
    assert (summary["G1"].people, summary["G1"].weak, summary["G1"].mean_observed) == (2, False, 3)
    assert (summary["R1"].people, summary["R1"].below_target, summary["R1"].slipping) == (2, 1, 1)
    assert summary["R1"].weak and [s.standard.code for s in mine.weak] == ["R1"]
    assert [(p.name, p.standard.code) for p in mine.weakest] == [("Carol Employee", "R1")]
    assert {p.name for p in everyone.weakest} == {"Carol Employee", "Kim Cook"}
    assert {s.standard.code: s.people for s in everyone.standards}["R1"] == 3


def test_the_target_is_the_organizations(alice, bob, carol, front_desk, greet):
    remember(carol, greet, stability=10, days_ago=3)  # recall about 0.96
    teams = list(bob.managed_teams.all())
    assert not proficiency.team_proficiency(membership=bob, teams=teams, now=NOW).weak

    services.followup_settings_save(actor=alice, target_recall=0.97, min_gap_days=3, max_gap_days=60)

    assert [s.standard.code for s in proficiency.team_proficiency(membership=bob, teams=teams, now=NOW).weak] == ["G1"]


def test_the_dashboard_shows_weakness_in_words_and_a_table(bob, carol, front_desk, greet, resolve):
    remember(carol, greet, stability=90, days_ago=1)
    remember(carol, resolve, stability=1, days_ago=30)

    body = client_for(bob).get(reverse("enrollments:dashboard")).content.decode()

    assert "Proficiency by standard" in body and "Weak standard:" in body
    assert body.count('<span class="weak-mark">Below target</span>') == 1  # the R1 row, in words, not colour only
    assert '<tr class="is-weak">' in body and "<caption" in body
    assert reverse("enrollments:person", args=[carol.pk]) in body


def test_the_person_page_shows_each_standard_and_observation_feedback(alice, bob, carol, front_desk, greet, resolve,
                                                                      service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    while services.followups_consume_completions():
        pass
    observation = enrollment.followups.get(kind="observation")
    services.observation_record(
        followup=observation, actor=bob, ratings={greet.pk: 4, resolve.pk: 1}, notes_by_standard={},
    )

    page = client_for(bob).get(reverse("enrollments:person", args=[carol.pk]))

    body = page.content.decode()
    assert "Proficiency by standard" in body and "4 Always" in body and "1 Not yet" in body
    assert reverse("followups:observation", args=[observation.pk]) in body  # her follow-ups, for bob


def _grow(acme, team, standards, people: int, start: int) -> None:
    for n in range(start, start + people):
        person = factories.member(acme, team=team, user__email=f"p{n}@acme.test", user__name=f"Person {n}")
        for index, standard in enumerate(standards):
            remember(person, standard, stability=1 + n + index, days_ago=5, ratings=(2, 3, 3), observed=2)


def _queries(client, url: str) -> int:
    client.get(url)  # warm: the session and the unread count come from the cache
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_sections_cost_the_same_at_two_sizes(acme, alice, bob, carol, front_desk, greet, resolve,
                                                 django_assert_num_queries):
    standards = [greet, resolve]
    remember(carol, greet, stability=5, days_ago=2, ratings=(3, 2), observed=3)
    _grow(acme, front_desk, standards, people=2, start=0)
    teams = list(bob.managed_teams.all())
    pages = {
        "dashboard as manager": (client_for(bob), reverse("enrollments:dashboard")),
        "dashboard as admin": (client_for(alice), reverse("enrollments:dashboard")),
        "person": (client_for(bob), reverse("enrollments:person", args=[carol.pk])),
    }
    small = {name: _queries(client, url) for name, (client, url) in pages.items()}

    _grow(acme, front_desk, [*standards, factories.ServiceStandardFactory(organization=acme)], people=12, start=2)
    for _ in range(6):
        Review.objects.create(membership=carol, standard=greet, source=ReviewSource.KNOWLEDGE_CHECK, rating=3)

    large = {name: _queries(client, url) for name, (client, url) in pages.items()}
    assert large == small and max(large.values()) <= MANAGER_PAGE_BUDGET
    # the selectors themselves: settings, then memory states with their ratings (and the person's reviews)
    with django_assert_num_queries(2):
        team = proficiency.team_proficiency(membership=bob, teams=teams, now=NOW)
    with django_assert_num_queries(3):
        person = proficiency.person_proficiency(viewer=bob, person=carol, now=NOW)
    assert sum(s.people for s in team.standards) == 2 * 2 + 12 * 3 + 1 and len(person.standards) == 1


def test_the_settings_default_until_saved(acme, alice, carol, greet):
    remember(carol, greet, stability=5, days_ago=2)
    assert not FollowUpSettings.objects.exists()

    assert proficiency.person_proficiency(viewer=alice, person=carol, now=NOW).target == 0.9
