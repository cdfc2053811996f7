"""Concurrent requests on real PostgreSQL: each thread has its own connection and its own transaction.

Releasing threads together is not enough to prove a guard: they rarely meet between a check and the
write that depends on it. So each test also holds every thread at a point *inside* the service, right
between its read and its write (`pause_inside`), until all threads are there: without the guard they
all read the same state and all write, every time. A guard that serializes (a row lock) keeps the
second thread from arriving; the first then goes on after `PATIENCE` seconds, which is the guard at
work, not a failure. Every thread closes its connection at the end (Django opens one per thread).

Each guard of enrollments/services/learning.py, removed, then this test run 5 times (with the guard: 5/5 pass):

- attempt_submit's `UPDATE … WHERE status = 'in_progress'` (removed alone; the row lock does not
  replace it, the locked read still returns the attempt as it was): two submissions, 5/5 failed, both
  recorded.
- attempt_start's loser reusing the winner's attempt: two starts, 5/5 failed with an IntegrityError
  (attempt_number_unique).
- lesson_complete's ON CONFLICT DO NOTHING: the same lesson twice, 5/5 failed with an IntegrityError
  (lesson_completion_unique).
- attempt_submit locking the progress row before "is everything done?": last lesson and passing check
  at once, 5/5 failed, the course never completed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from unittest import mock

import pytest
from django.db import connection

from courses.models import Lesson
from enrollments import grading, services
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


PATIENCE = 1.0  # seconds a paused thread waits for the others before going on alone


@contextmanager
def pause_inside(owner: object, name: str, *, parties: int = 2, after: bool = False) -> Iterator[None]:
    """Hold each thread at `owner.name` (before the call, or `after` it) until `parties` threads are there.

    A thread that never arrives (blocked behind a lock the first one holds) breaks the rendezvous after
    PATIENCE seconds, and every thread goes on.
    """
    barrier = threading.Barrier(parties)
    real = getattr(owner, name)

    def meet() -> None:
        try:
            barrier.wait(timeout=PATIENCE)
        except threading.BrokenBarrierError:
            pass

    def paused(*args, **kwargs):
        if not after:
            meet()
        result = real(*args, **kwargs)
        if after:
            meet()
        return result

    with mock.patch.object(owner, name, paused):
        yield


def test_two_simultaneous_submissions_of_one_attempt_record_one(carol, course):
    # given
    attempt = services.attempt_start(membership=carol, course=course)
    responses = right_answers(course)

    # when: both have read the attempt as in progress and graded it before either records it
    with pause_inside(grading, "attempt_grade", after=True):
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
    services.lesson_visit(membership=carol, lesson=course.lessons.first())  # the progress row exists
    # Both have found no open attempt and built their snapshot before either inserts.
    with pause_inside(services.learning, "attempt_snapshot", after=True):
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

        # when: the last lesson is marked done while the passing answers are submitted, each having
        # written its part and about to check whether everything is done
        with pause_inside(services.learning, "_course_complete_if_earned"):
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


def test_the_same_lesson_marked_done_twice_at_once_is_one_completion(carol, course):
    from enrollments.models import LessonCompletion

    lesson = Lesson.objects.filter(course=course).select_related("course").first()
    services.lesson_visit(membership=carol, lesson=lesson)

    with pause_inside(services.learning, "_course_complete_if_earned"):
        outcomes = run_together(*[partial(services.lesson_complete, membership=carol, lesson=lesson)] * 2)

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert LessonCompletion.objects.filter(progress__membership=carol, lesson=lesson).count() == 1
