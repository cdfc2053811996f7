"""The follow-up engine against PostgreSQL: planning from completions, memory, refreshers, the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrollments.models import CompletionEvent
from followups import selectors, services
from followups.emails import followups_notify_due
from followups.models import DEFAULT_PLAN, FollowUp, FollowUpStatus, MemoryState, Review, StepKind
from notifications.models import Message
from tests import factories
from tests.followups.program_fixtures import (  # noqa: F401  (fixtures)
    answers,
    at,
    complete_program,
    front_desk,
    greet,
    resolve,
    service_program,
)
from tests.mailbox import deliver


@pytest.fixture
def dana(acme):
    return factories.member(acme, user__email="dana@acme.test", user__name="Dana Desk", user__time_zone="Europe/Paris")


def consume(now=None) -> int:
    total = 0
    while count := services.followups_consume_completions(now=now):
        total += count
    return total


def test_completing_a_program_plans_the_default_plan_once(alice, carol, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)

    assert consume() == 3  # two course completions, one program completion
    planned = list(FollowUp.objects.filter(enrollment=enrollment).values_list("kind", "due_at"))
    # the refreshers after the first are timed by the memory model, when the first is answered
    assert planned == [
        (kind, enrollment.completed_at + timedelta(days=days))
        for days, kind in DEFAULT_PLAN
        if (days, kind) not in ((30, StepKind.REFRESHER), (90, StepKind.REFRESHER))
    ]
    practice = FollowUp.objects.get(kind=StepKind.PRACTICE)
    assert practice.prompt.startswith("Try ") and practice.standard is not None


def test_the_same_completion_event_consumed_twice_plans_once(alice, carol, service_program):
    complete_program(carol, service_program, actor=alice)
    consume()
    followups, memories, reviews = FollowUp.objects.count(), list(MemoryState.objects.values()), Review.objects.count()

    CompletionEvent.objects.update(processed_at=None, claim_token=None, claimed_until=None)  # delivered again
    assert consume() == 3

    assert FollowUp.objects.count() == followups
    assert list(MemoryState.objects.values()) == memories
    assert Review.objects.count() == reviews


def test_the_knowledge_checks_seed_memory_per_standard(alice, carol, greet, resolve, service_program):
    complete_program(carol, service_program, actor=alice, right={0: 4, 1: 2})
    consume()

    states = {state.standard_id: state for state in MemoryState.objects.filter(membership=carol)}
    assert set(states) == {greet.pk, resolve.pk}
    assert states[greet.pk].stability > states[resolve.pk].stability  # all right vs half right


def _answer_first_refresher(member, enrollment, *, right_for: set[int]) -> services.RefresherResult:
    refresher = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.REFRESHER, status=FollowUpStatus.PENDING)
    when = at(enrollment, 2)
    services.refresher_open(followup=refresher, now=when)
    posted = {}
    for question in refresher.snapshot["questions"]:
        standard = question["standards"][0]["id"]
        right = [c for c in question["choices"] if c["credit_percent"] == 100][0]
        wrong = [c for c in question["choices"] if c["credit_percent"] == 0][0]
        posted[str(question["id"])] = [str((right if standard in right_for else wrong)["id"])]
    return services.refresher_answer(followup=refresher, responses=posted, now=when)


def test_a_weak_standard_brings_the_next_refresher_sooner(alice, carol, dana, greet, resolve, service_program):
    # given two people who did equally well in the checks, in an organization that allows 3-day gaps
    services.followup_settings_save(actor=alice, target_recall=0.9, min_gap_days=3, max_gap_days=60)
    carols = complete_program(carol, service_program, actor=alice)
    danas = complete_program(dana, service_program, actor=alice)
    consume()

    # when carol answers everything right at the first refresher and dana misses one standard
    strong = _answer_first_refresher(carol, carols, right_for={greet.pk, resolve.pk})
    weak = _answer_first_refresher(dana, danas, right_for={greet.pk})

    # then dana's next refresher comes sooner, and carol's is within the organization's gaps
    assert weak.next_refresher.due_at < strong.next_refresher.due_at
    gap = strong.next_refresher.due_at - at(carols, 2)
    assert timedelta(days=3) <= gap <= timedelta(days=60)
    assert weak.next_refresher.due_at - at(danas, 2) == timedelta(days=3)  # forgotten now: the minimum gap
    assert strong.next_refresher.key == "refresher:2"


def test_a_refresher_asks_three_to_five_questions_weakest_first_and_not_the_same_twice_in_a_row(
    alice, carol, greet, resolve, service_program
):
    enrollment = complete_program(carol, service_program, actor=alice, right={0: 4, 1: 2})  # resolve is weak
    consume()
    first = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.REFRESHER)
    services.refresher_open(followup=first, now=at(enrollment, 2))

    asked = first.snapshot["questions"]
    assert 3 <= len(asked) <= 5
    assert asked[0]["standards"][0]["id"] == resolve.pk
    result = _answer_first_refresher(carol, enrollment, right_for={greet.pk, resolve.pk})
    services.refresher_open(followup=result.next_refresher, now=result.next_refresher.due_at)
    again = {q["id"] for q in result.next_refresher.snapshot["questions"]}
    assert not again & {q["id"] for q in asked}  # 8 questions in the program: none repeated


def test_a_refresher_is_answered_once(alice, carol, greet, resolve, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    _answer_first_refresher(carol, enrollment, right_for={greet.pk})
    first = FollowUp.objects.get(enrollment=enrollment, key__startswith="step:", kind=StepKind.REFRESHER)

    with pytest.raises(ValidationError):
        services.refresher_answer(followup=first, responses=first.responses, now=at(enrollment, 2))
    assert Review.objects.filter(followup=first).count() == 2


def test_an_observation_updates_memory_and_retimes_the_next_refresher(alice, bob, carol, front_desk, greet, resolve,
                                                                      service_program):
    services.followup_settings_save(actor=alice, target_recall=0.9, min_gap_days=3, max_gap_days=60)
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    result = _answer_first_refresher(carol, enrollment, right_for={greet.pk, resolve.pk})
    before = MemoryState.objects.get(membership=carol, standard=resolve)
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)

    services.observation_record(
        followup=observation, actor=bob, ratings={greet.pk: 4, resolve.pk: 1},
        notes_by_standard={resolve.pk: "Sent the guest to another desk."}, now=at(enrollment, 5),
    )

    after = MemoryState.objects.get(membership=carol, standard=resolve)
    assert after.stability < before.stability and after.reviews == before.reviews + 1
    review = Review.objects.get(followup=observation, standard=resolve)
    assert (review.rating, review.notes, review.source) == (1, "Sent the guest to another desk.", "observation")
    retimed = FollowUp.objects.get(pk=result.next_refresher.pk)
    assert retimed.due_at < result.next_refresher.due_at


def test_only_the_persons_managers_observe(alice, bob, carol, charlie, service_program, greet):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)
    from organizations.permissions import NotPermitted

    for outsider in (bob, charlie, carol):  # bob manages no team of carol's; charlie is another organization
        with pytest.raises(NotPermitted):
            services.observation_record(
                followup=observation, actor=outsider, ratings={greet.pk: 3}, notes_by_standard={}
            )
    assert not Review.objects.filter(followup=observation).exists()


# --- The one-tap link ---------------------------------------------------------------------------------


def _refresher(enrollment) -> FollowUp:
    return FollowUp.objects.get(enrollment=enrollment, kind=StepKind.REFRESHER, key__startswith="step:")


def test_the_refresher_link_opens_that_refresher_without_signing_in_and_is_spent_once_answered(
    client, alice, carol, greet, resolve, service_program
):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    refresher = _refresher(enrollment)
    token = selectors.refresher_link_token(refresher, now=timezone.now())
    url = f"/r/{token}/"

    page = client.get(url)
    assert page.status_code == 200 and "quick question" in page.content.decode()
    refresher.refresh_from_db()
    posted = {
        f"q_{q['id']}": [str(next(c["id"] for c in q["choices"] if c["credit_percent"] == 100))]
        for q in refresher.snapshot["questions"]
    }
    result = client.post(url, posted)
    assert result.status_code == 200 and "Your next refresher" in result.content.decode()
    assert "100% right" in result.content.decode()

    # spent: posting again records nothing more, and the page only shows what was answered
    reviews = Review.objects.count()
    again = client.post(url, posted)
    assert again.status_code == 200 and Review.objects.count() == reviews
    # the link opens nothing else: not the person's pages, not another follow-up
    assert client.get("/followups/").status_code == 302  # sign-in
    other = FollowUp.objects.exclude(pk=refresher.pk).first()
    assert client.get(f"/followups/{other.pk}/").status_code == 302


def test_the_refresher_link_expires_after_seven_days_and_cannot_be_forged(client, alice, carol, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    refresher = _refresher(enrollment)
    old = selectors.refresher_link_token(refresher, now=timezone.now() - timedelta(days=7, minutes=1))

    assert client.get(f"/r/{old}/").status_code == 410
    assert client.get(f"/r/{old[:-3]}abc/").status_code == 404
    practice = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.PRACTICE)
    not_a_refresher = selectors.refresher_link_token(practice, now=timezone.now())
    assert client.get(f"/r/{not_a_refresher}/").status_code == 404
    refresher.refresh_from_db()
    assert refresher.snapshot is None  # nothing was opened


# --- Delivery through the ledger ---------------------------------------------------------------------


def test_due_follow_ups_are_emailed_once_in_the_window_with_a_working_link(client, alice, carol, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    two_days_later = at(enrollment, 2)

    deliver(at(enrollment, 1))  # the planner consumes the completion; nothing is due yet
    assert FollowUp.objects.filter(enrollment=enrollment).exists() and mail.outbox == []

    deliver(two_days_later.replace(hour=9) if two_days_later.isoweekday() < 6 else two_days_later + timedelta(days=2))
    deliver(two_days_later + timedelta(days=3))
    refresher_mails = [m for m in mail.outbox if "refresher" in m.subject]
    assert len(refresher_mails) == 1
    link = next(line for line in refresher_mails[0].body.splitlines() if "/r/" in line).strip()
    assert client.get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).status_code == 200
    assert Message.objects.filter(category="followup", object_id=_refresher(enrollment).pk).count() == 1


def test_a_follow_up_done_before_its_email_goes_out_is_skipped(alice, carol, greet, resolve, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    refresher = _refresher(enrollment)
    followups_notify_due(now=at(enrollment, 2))
    _answer_first_refresher(carol, enrollment, right_for={greet.pk, resolve.pk})

    deliver(at(enrollment, 5))

    message = Message.objects.get(object_id=refresher.pk, category="followup")
    assert (message.status, message.skip_reason) == ("skipped", "It was already done.")
