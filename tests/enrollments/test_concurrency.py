"""Concurrent requests on real PostgreSQL: each thread has its own connection and its own transaction.

A threading.Barrier releases the threads together so their statements interleave; every thread
closes its connection at the end (Django opens one per thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from courses.models import Lesson
from enrollments import services
from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress
from tests import factories
from tests.enrollments.conftest import right_answers

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released at the same moment; results (or raised exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def test_two_simultaneous_submissions_of_one_attempt_record_one(carol, course):
    # given
    attempt = services.attempt_start(membership=carol, course=course)
    responses = right_answers(course)

    # when
    outcomes = run_together(
        *[lambda: services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)] * 2
    )

    # then
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sorted(outcome.recorded for outcome in outcomes) == [False, True]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score_percent == 100
    assert Attempt.objects.count() == 1


def test_two_simultaneous_starts_share_one_open_attempt(carol, course):
    outcomes = run_together(*[lambda: services.attempt_start(membership=carol, course=course)] * 2)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).count() == 1
    assert CourseProgress.objects.count() == 1


def test_simultaneous_starts_before_any_progress_exists(acme):
    # Several people's worth of races: every one ends with exactly one progress row and one open attempt.
    for _ in range(5):
        membership = factories.member(acme)
        course = factories.published_course(acme, lessons=1, questions=2)

        outcomes = run_together(*[partial(services.attempt_start, membership=membership, course=course)] * 3)

        assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
        assert len({outcome.pk for outcome in outcomes}) == 1
        assert CourseProgress.objects.filter(membership=membership).count() == 1
        assert Attempt.objects.filter(progress__membership=membership).count() == 1


def test_last_lesson_and_passing_check_at_the_same_time_complete_the_course_once(acme):
    for _ in range(5):
        # given: every lesson but the last done, an open attempt
        membership = factories.member(acme)
        course = factories.published_course(acme, lessons=2, questions=2)
        first, last = Lesson.objects.filter(course=course).select_related("course")
        services.lesson_complete(membership=membership, lesson=first)
        attempt = services.attempt_start(membership=membership, course=course)
        responses = right_answers(course)

        # when: the last lesson is marked done while the passing answers are submitted
        outcomes = run_together(
            partial(services.lesson_complete, membership=membership, lesson=last),
            partial(services.attempt_submit, attempt_id=attempt.pk, membership=membership, responses=responses),
        )

        # then: whichever committed second saw the other's write and completed the course, once
        assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
        progress = CourseProgress.objects.get(membership=membership, course=course)
        assert progress.completed_at is not None
        assert Certificate.objects.filter(progress=progress).count() == 1
        completed_by = [outcomes[0] is True, outcomes[1].course_completed]
        assert completed_by.count(True) == 1
