"""The follow-up engine against PostgreSQL: planning from completions, memory, refreshers, the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import AssignmentAudience, CompletionEvent, Enrollment
from followups import selectors, services
from followups.emails import followups_notify_due
from followups.models import DEFAULT_PLAN, FollowUp, FollowUpStatus, MemoryState, Review, StepKind
from notifications.models import Message
from organizations.permissions import NotPermitted
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


# --- Found in review: message steps, programs without questions, observers, the link's clock ---------


def test_a_message_step_is_done_once_announced_and_its_email_still_goes_out(alice, carol, service_program):
    from followups.models import PlanStep

    PlanStep.objects.create(program=service_program, offset_days=21, kind=StepKind.MESSAGE, message="How is it going?")
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    message_step = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.MESSAGE)

    followups_notify_due(now=at(enrollment, 21))
    for day in range(21, 26):  # five days at 10:00 UTC: at least three in the Monday-Friday window
        deliver(at(enrollment, day).replace(hour=10))

    message_step.refresh_from_db()
    assert message_step.status == FollowUpStatus.DONE  # not "to do" forever on the home and the list
    assert Message.objects.get(object_id=message_step.pk, category="followup").status == "sent"
    assert message_step not in selectors._up_next_rows(membership=carol, now=at(enrollment, 25))


def test_a_program_without_questions_plans_no_refresher(acme, alice, carol, greet):
    program = factories.ProgramFactory(organization=acme, title="Reading only")
    course = factories.published_course(acme, lessons=2, questions=0, standards=[greet])
    factories.ProgramCourseFactory(program=program, course=course, order=0)
    enrollment_services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=30
    )
    for lesson in course.lessons.all():  # a course without questions completes with its lessons
        enrollment_services.lesson_complete(membership=carol, lesson=lesson)
    enrollment = Enrollment.objects.get(membership=carol, program=program)
    assert enrollment.completed_at is not None
    consume()

    kinds = set(FollowUp.objects.filter(enrollment=enrollment).values_list("kind", flat=True))
    assert StepKind.REFRESHER not in kinds and StepKind.OBSERVATION in kinds


def test_nobody_is_asked_to_observe_themselves(acme, alice, bob, front_desk, service_program):
    # bob manages the front desk and works in it; alice is the organization's admin
    bob.team = front_desk
    bob.save(update_fields=["team"])
    enrollment = complete_program(bob, service_program, actor=alice)
    consume()

    followups_notify_due(now=at(enrollment, 14))

    observers = set(Message.objects.filter(category="observation-due").values_list("to_email", flat=True))
    assert observers == {alice.user.email}
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)
    with pytest.raises(NotPermitted):
        services.observation_record(
            actor=bob, followup=observation, ratings={}, notes_by_standard={}, now=at(enrollment, 14)
        )


def test_the_refresher_links_seven_days_start_when_it_is_sent_not_when_it_is_planned(alice, carol, service_program):
    acme = carol.organization
    acme.sending_weekdays = "1"  # Mondays only
    acme.save(update_fields=["sending_weekdays"])
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    refresher = _refresher(enrollment)
    planned_at = refresher.due_at + timedelta(minutes=1)
    while planned_at.isoweekday() != 2:  # a Tuesday: the email waits six days for Monday's window
        planned_at += timedelta(days=1)

    followups_notify_due(now=planned_at)
    message = Message.objects.get(object_id=refresher.pk, category="followup")
    token = next(line for line in message.body_text.splitlines() if "/r/" in line).strip().rstrip("/").rsplit("/", 1)[1]

    assert message.not_before - planned_at > timedelta(days=5)
    opened = selectors.refresher_for_token(token, now=message.not_before + timedelta(days=6, hours=23))
    assert opened.problem == "" and opened.followup.pk == refresher.pk
    late = selectors.refresher_for_token(token, now=message.not_before + timedelta(days=7, hours=1))
    assert late.problem == "expired"


def test_a_failing_completion_event_does_not_hold_back_the_others(monkeypatch, alice, carol, dana, service_program):
    carols = complete_program(carol, service_program, actor=alice)
    danas = complete_program(dana, service_program, actor=alice)
    original = services._plan_enrollment

    def fail_for_carol(*, enrollment_id, now):
        if enrollment_id == carols.pk:
            raise RuntimeError("a bad row")
        return original(enrollment_id=enrollment_id, now=now)

    monkeypatch.setattr(services, "_plan_enrollment", fail_for_carol)
    services.followups_consume_completions()

    assert FollowUp.objects.filter(enrollment=danas).exists()
    assert not FollowUp.objects.filter(enrollment=carols).exists()
    assert CompletionEvent.objects.filter(enrollment=carols, processed_at__isnull=True).count() == 1
    assert CompletionEvent.objects.filter(processed_at__isnull=True).count() == 1


def test_follow_up_subjects_are_plain_text(alice, carol, service_program):
    service_program.title = "Service & Care"
    service_program.save(update_fields=["title"])
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()

    followups_notify_due(now=at(enrollment, 2))

    assert Message.objects.get(category="followup").subject == "A 2-minute refresher on Service & Care"


def test_an_observation_never_retimes_a_refresher_past_the_horizon(alice, carol, greet, resolve, service_program):
    enrollment = complete_program(carol, service_program, actor=alice)
    consume()
    _answer_first_refresher(carol, enrollment, right_for={greet.pk, resolve.pk})
    adaptive = FollowUp.objects.get(enrollment=enrollment, status=FollowUpStatus.PENDING, step__isnull=True)
    # the program was completed long ago: any new date is past the 180 days of refreshers
    Enrollment.objects.filter(pk=enrollment.pk).update(completed_at=enrollment.completed_at - timedelta(days=200))

    services._retime_adaptive_refresher(membership_id=carol.pk, now=at(enrollment, 2))

    adaptive.refresh_from_db()
    assert adaptive.status == FollowUpStatus.CANCELLED
