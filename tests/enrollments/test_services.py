"""Course-player services against the real database: attempts, grading, completion, certificates."""

from __future__ import annotations

import random

import pytest

from courses.models import Choice, Lesson, Question
from enrollments import services
from enrollments.grading import MESSAGE_FOREIGN_CHOICE, MESSAGE_MISSING, ResponsesInvalid
from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress, LessonCompletion
from organizations.permissions import NotPermitted
from tests import factories
from tests.enrollments.conftest import right_answers, wrong_answers


def _all_lessons_done(membership, course) -> None:
    for lesson in Lesson.objects.filter(course=course):
        services.lesson_complete(membership=membership, lesson=lesson)


# --- attempt_start ------------------------------------------------------------------------------


def test_attempt_start_freezes_the_check_in_the_snapshot(carol, acme):
    # given
    standard = factories.ServiceStandardFactory(organization=acme, code="S7", title="Own the problem")
    course = factories.published_course(acme, lessons=1, questions=0, pass_mark_percent=70)
    question = factories.QuestionFactory(
        course=course, kind="multiple", title="Late checkout", prompt="A guest asks…", explanation="Because."
    )
    question.standards.add(standard)
    first = factories.ChoiceFactory(question=question, order=0, text="Say yes", credit_percent=50, feedback="Good")
    second = factories.ChoiceFactory(question=question, order=1, text="Ask the desk", credit_percent=50)
    factories.ChoiceFactory(question=question, order=2, text="Say no", credit_percent=-50)

    # when
    attempt = services.attempt_start(membership=carol, course=course)

    # then
    assert attempt.number == 1 and attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.snapshot["pass_mark_percent"] == 70
    assert attempt.snapshot["course"] == {"id": course.pk, "title": course.title}
    [frozen] = attempt.snapshot["questions"]
    assert frozen["id"] == question.pk
    assert frozen["kind"] == "multiple"
    assert (frozen["title"], frozen["prompt"], frozen["explanation"]) == ("Late checkout", "A guest asks…", "Because.")
    assert frozen["standards"] == [{"id": standard.pk, "code": "S7", "title": "Own the problem"}]
    assert {c["id"] for c in frozen["choices"]} >= {first.pk, second.pk} and len(frozen["choices"]) == 3
    frozen_first = next(c for c in frozen["choices"] if c["id"] == first.pk)
    assert frozen_first == {"id": first.pk, "text": "Say yes", "credit_percent": 50, "feedback": "Good"}


def test_attempt_snapshot_keeps_questions_and_choices_in_order_and_each_once(carol, acme):
    standards = [factories.ServiceStandardFactory(organization=acme) for _ in range(3)]
    course = factories.published_course(acme, lessons=1, questions=4, standards=standards)
    Question.objects.filter(course=course).order_by("order").first().delete()  # a gap in the order

    snapshot = services.attempt_snapshot(course=course)

    expected = list(Question.objects.filter(course=course).order_by("order", "id").values_list("pk", flat=True))
    assert [q["id"] for q in snapshot["questions"]] == expected
    for question in snapshot["questions"]:
        expected_choices = list(Choice.objects.filter(question_id=question["id"]).values_list("pk", flat=True))
        assert [c["id"] for c in question["choices"]] == expected_choices
        assert [s["id"] for s in question["standards"]] == [s.pk for s in standards]


def _shuffle_course(acme, *, questions: int = 8, choices: int = 4):
    course = factories.published_course(acme, lessons=1, questions=0)
    for index in range(questions):
        question = factories.QuestionFactory(course=course, order=index, prompt=f"Question {index}")
        for order in range(choices):
            factories.ChoiceFactory(question=question, order=order, credit_percent=100 if order == 0 else 0)
    return course


def _order(snapshot) -> list[tuple[int, list[int]]]:
    return [(q["id"], [c["id"] for c in q["choices"]]) for q in snapshot["questions"]]


def test_each_attempt_gets_its_own_order_of_questions_and_choices_kept_in_its_snapshot(carol, acme):
    # given: 8 questions of 4 choices, and two different random sources
    course = _shuffle_course(acme)
    authored = _order(services.attempt_snapshot(course=course))

    # when
    first = services.attempt_start(membership=carol, course=course, rng=random.Random(1))
    resumed = services.attempt_start(membership=carol, course=course, rng=random.Random(99))
    services.attempt_submit(attempt_id=first.pk, membership=carol, responses=wrong_answers(course))
    second = services.attempt_start(membership=carol, course=course, rng=random.Random(2))

    # then: each a reordering of the same questions and choices, not the authored order, not each other's
    for attempt in (first, second):
        order = _order(Attempt.objects.get(pk=attempt.pk).snapshot)
        assert sorted((qid, sorted(cids)) for qid, cids in order) == sorted(
            (qid, sorted(cids)) for qid, cids in authored
        )
        assert [qid for qid, _ in order] != [qid for qid, _ in authored]
        assert any(cids != dict(authored)[qid] for qid, cids in order)
    assert _order(first.snapshot) != _order(second.snapshot)
    # resuming the open attempt keeps its order (the snapshot), whatever the random source says
    assert resumed.pk == first.pk and _order(resumed.snapshot) == _order(first.snapshot)


def test_true_false_keeps_its_choices_in_the_authored_order(carol, acme):
    course = factories.published_course(acme, lessons=1, questions=0)
    question = factories.QuestionFactory(course=course, kind="true_false")
    true = factories.ChoiceFactory(question=question, order=0, text="True", credit_percent=0)
    false = factories.ChoiceFactory(question=question, order=1, text="False", credit_percent=100)
    snapshot = services.attempt_snapshot(course=course)

    for seed in range(20):
        shuffled = services.attempt_snapshot_shuffle(snapshot, rng=random.Random(seed))
        assert [c["id"] for c in shuffled["questions"][0]["choices"]] == [true.pk, false.pk]


def test_shuffling_leaves_the_authored_snapshot_untouched(acme):
    course = _shuffle_course(acme, questions=5, choices=3)
    snapshot = services.attempt_snapshot(course=course)
    before = _order(snapshot)

    services.attempt_snapshot_shuffle(snapshot, rng=random.Random(3))

    assert _order(snapshot) == before


def test_a_shuffled_attempt_is_graded_by_choice_not_by_position(carol, acme):
    course = _shuffle_course(acme, questions=6, choices=4)
    attempt = services.attempt_start(membership=carol, course=course, rng=random.Random(7))

    outcome = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    assert outcome.score_percent == 100 and outcome.passed


def test_attempt_start_resumes_the_open_attempt_and_starts_a_new_one_after_submitting(carol, course):
    first = services.attempt_start(membership=carol, course=course)

    assert services.attempt_start(membership=carol, course=course).pk == first.pk

    services.attempt_submit(attempt_id=first.pk, membership=carol, responses=wrong_answers(course))
    second = services.attempt_start(membership=carol, course=course)

    assert second.pk != first.pk and second.number == 2
    assert Attempt.objects.filter(progress__membership=carol, status=AttemptStatus.IN_PROGRESS).count() == 1


def test_attempt_start_refuses_a_course_without_questions(carol, acme):
    course = factories.published_course(acme, lessons=2, questions=0)

    with pytest.raises(services.NoKnowledgeCheck):
        services.attempt_start(membership=carol, course=course)
    assert not Attempt.objects.exists()


# --- attempt_submit -----------------------------------------------------------------------------


def test_submit_grades_from_the_snapshot_and_records_once(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)

    outcome = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    assert outcome.recorded and outcome.score_percent == 100 and outcome.passed
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submitted_at is not None
    assert attempt.score_percent == 100 and attempt.passed is True
    assert attempt.responses == {key: [int(v) for v in values] for key, values in right_answers(course).items()}


def test_submitting_the_same_attempt_twice_records_one_submission(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))
    before = Attempt.objects.values().get(pk=attempt.pk)

    again = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    assert again.recorded is False
    assert Attempt.objects.values().get(pk=attempt.pk) == before  # the first answers and score stand
    assert Attempt.objects.count() == 1


def test_a_choice_of_another_question_is_refused_and_nothing_recorded(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    first, second = Question.objects.filter(course=course).order_by("order")
    responses = right_answers(course)
    responses[str(first.pk)] = [str(Choice.objects.filter(question=second).first().pk)]

    with pytest.raises(ResponsesInvalid) as refused:
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)

    assert refused.value.errors == {str(first.pk): MESSAGE_FOREIGN_CHOICE}
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.responses == {} and attempt.score_percent is None


def test_a_missing_answer_is_refused_and_nothing_recorded(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    responses = right_answers(course)
    missing = next(iter(responses))
    del responses[missing]

    with pytest.raises(ResponsesInvalid) as refused:
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)

    assert refused.value.errors == {missing: MESSAGE_MISSING}
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS


def test_a_choice_of_another_organizations_course_is_refused(carol, course, globex):
    foreign = factories.published_course(globex, lessons=1, questions=1)
    foreign_choice = Choice.objects.filter(question__course=foreign).first()
    attempt = services.attempt_start(membership=carol, course=course)
    responses = right_answers(course)
    key = next(iter(responses))
    responses[key] = [str(foreign_choice.pk)]

    with pytest.raises(ResponsesInvalid):
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize("who", ["another person", "another organization"])
def test_someone_elses_attempt_is_not_found(who, carol, bob, charlie, course):
    attempt = services.attempt_start(membership=carol, course=course)
    intruder = bob if who == "another person" else charlie

    with pytest.raises(services.AttemptNotFound):
        services.attempt_submit(attempt_id=attempt.pk, membership=intruder, responses=right_answers(course))
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS


def test_an_attempt_of_a_course_unpublished_since_is_not_found(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    course.status = "draft"
    course.save()

    with pytest.raises(services.AttemptNotFound):
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))


def test_partial_credit_and_penalties_are_clamped_per_question(carol, acme):
    course = factories.published_course(acme, lessons=0, questions=0, pass_mark_percent=50)
    question = factories.QuestionFactory(course=course, kind="multiple")
    good = factories.ChoiceFactory(question=question, credit_percent=50)
    factories.ChoiceFactory(question=question, credit_percent=50)
    bad = factories.ChoiceFactory(question=question, credit_percent=-50)
    attempt = services.attempt_start(membership=carol, course=course)

    outcome = services.attempt_submit(
        attempt_id=attempt.pk, membership=carol, responses={str(question.pk): [good.pk, bad.pk]}
    )

    assert outcome.score_percent == 0 and outcome.passed is False


# --- Completion and certificates -----------------------------------------------------------------


def test_passing_after_all_lessons_completes_the_course_with_one_certificate(carol, course):
    _all_lessons_done(carol, course)
    attempt = services.attempt_start(membership=carol, course=course)

    outcome = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    assert outcome.course_completed
    progress = CourseProgress.objects.get(membership=carol, course=course)
    assert progress.completed_at is not None
    certificate = Certificate.objects.get(progress=progress)
    assert certificate.recipient_name == "Carol Employee"
    assert certificate.course_title == "Greeting guests"
    assert certificate.organization_name == "Acme Hotels"
    assert certificate.issued_at == progress.completed_at


def test_the_certificate_keeps_the_organizations_time_zone_of_its_issue(carol, acme, course):
    acme.time_zone = "Europe/Paris"
    acme.save()
    carol.user.time_zone = "Pacific/Auckland"  # the holder's own zone does not matter
    carol.user.save()
    _all_lessons_done(carol, course)
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    acme.time_zone = "America/New_York"  # changed later: the certificate keeps what it said
    acme.save()

    assert Certificate.objects.get().time_zone == "Europe/Paris"


def test_passing_again_issues_no_second_certificate(carol, course):
    _all_lessons_done(carol, course)
    for _ in range(2):
        attempt = services.attempt_start(membership=carol, course=course)
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    assert Certificate.objects.count() == 1


def test_failing_does_not_complete_the_course(carol, course):
    _all_lessons_done(carol, course)
    attempt = services.attempt_start(membership=carol, course=course)

    outcome = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    assert outcome.passed is False and not outcome.course_completed
    assert CourseProgress.objects.get(membership=carol, course=course).completed_at is None
    assert not Certificate.objects.exists()


def test_the_last_lesson_marked_done_after_passing_completes_the_course(carol, course):
    *first_lessons, last = Lesson.objects.filter(course=course)
    for lesson in first_lessons:
        assert services.lesson_complete(membership=carol, lesson=lesson) is False
    attempt = services.attempt_start(membership=carol, course=course)
    assert not services.attempt_submit(
        attempt_id=attempt.pk, membership=carol, responses=right_answers(course)
    ).course_completed

    assert services.lesson_complete(membership=carol, lesson=last) is True

    assert CourseProgress.objects.get(membership=carol, course=course).completed_at is not None
    assert Certificate.objects.filter(progress__membership=carol).count() == 1


def test_a_course_without_questions_completes_with_its_last_lesson(carol, acme):
    course = factories.published_course(acme, lessons=2, questions=0)

    results = [
        services.lesson_complete(membership=carol, lesson=lesson) for lesson in Lesson.objects.filter(course=course)
    ]

    assert results == [False, True]
    assert Certificate.objects.filter(progress__course=course).count() == 1


def test_marking_a_lesson_done_twice_keeps_one_completion(carol, course):
    lesson = Lesson.objects.filter(course=course).first()

    services.lesson_complete(membership=carol, lesson=lesson)
    services.lesson_complete(membership=carol, lesson=lesson)

    assert LessonCompletion.objects.filter(lesson=lesson).count() == 1
    assert CourseProgress.objects.filter(membership=carol, course=course).count() == 1


def test_visiting_a_lesson_records_where_to_resume(carol, course):
    first, second, _ = Lesson.objects.filter(course=course)

    progress_id = services.lesson_visit(membership=carol, lesson=first)
    assert services.lesson_visit(membership=carol, lesson=second) == progress_id

    progress = CourseProgress.objects.get(pk=progress_id)
    assert progress.last_lesson_id == second.pk and progress.membership_id == carol.pk


def test_attempt_start_losing_the_race_reuses_the_winners_attempt(carol, course, monkeypatch):
    # given: another request inserts an open attempt between our read and our insert
    real_snapshot = services.attempt_snapshot
    winner: list[Attempt] = []

    def snapshot_then_someone_else_starts(*, course):
        snapshot = real_snapshot(course=course)
        progress = CourseProgress.objects.get(membership=carol, course=course)
        winner.append(Attempt.objects.create(progress=progress, number=1, snapshot=snapshot))
        return snapshot

    monkeypatch.setattr(services.learning, "attempt_snapshot", snapshot_then_someone_else_starts)

    # when
    attempt = services.attempt_start(membership=carol, course=course)

    # then: our INSERT failed in its savepoint and we got theirs; the transaction is still usable
    assert attempt.pk == winner[0].pk
    assert Attempt.objects.filter(progress__membership=carol).count() == 1


def test_the_certificate_names_the_person_by_email_when_they_have_no_name(acme):
    # given: a membership loaded without its user (as the request's is), a person without a name
    from organizations.models import Membership

    nameless = factories.member(acme, user__name="", user__email="nameless@acme.test")
    membership = Membership.objects.select_related("organization").get(pk=nameless.pk)
    course = factories.published_course(acme, lessons=1, questions=0)

    # when
    services.lesson_complete(membership=membership, lesson=Lesson.objects.select_related("course").get(course=course))

    # then
    assert Certificate.objects.get(progress__membership=nameless).recipient_name == "nameless@acme.test"


# --- The member acts for themselves, in their own organization ------------------------------------


@pytest.mark.parametrize("who", ["charlie", "inactive carol"])
def test_learner_services_refuse_another_organizations_course_and_inactive_members(carol, charlie, course, who):
    if who == "inactive carol":
        carol.is_active = False
        carol.save(update_fields=["is_active"])
    actor = {"charlie": charlie, "inactive carol": carol}[who]
    lesson = Lesson.objects.filter(course=course).first()

    for call in (
        lambda: services.lesson_visit(membership=actor, lesson=lesson),
        lambda: services.lesson_complete(membership=actor, lesson=lesson),
        lambda: services.attempt_start(membership=actor, course=course),
    ):
        with pytest.raises(NotPermitted):
            call()

    assert not CourseProgress.objects.exists()
