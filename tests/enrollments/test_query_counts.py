"""Query budgets of the learner pages: at most 10 queries each, the same at a small and a large size.

Counts include what every signed-in request costs before its view (`REQUEST_PATH_QUERIES`: the user
with the acting membership, in one query; the session comes from the cache) and the SAVEPOINT/RELEASE
pair of each `transaction.atomic` block (the test runs inside a transaction; in production the same
block is a BEGIN/COMMIT pair, also counted, so the numbers are the same: see bench/README.md, which
measures them outside a test transaction).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Lesson
from enrollments import services
from enrollments.models import Attempt
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for
from tests.enrollments.conftest import as_post, right_answers, sized_course, wrong_answers

BUDGET = 10
MY_LEARNING_QUERIES = REQUEST_PATH_QUERIES + 3  # the home (also at /learn/): courses, progress, enrollments
MY_LEARNING_WITH_EARLIER_QUERIES = MY_LEARNING_QUERIES + 1  # plus the attempts of courses no longer offered
HOME_WITH_PROGRAMS_QUERIES = MY_LEARNING_QUERIES + 1  # plus the courses of the assigned programs, in order
HOME_WITH_EVERYTHING_QUERIES = MY_LEARNING_QUERIES + 2  # programs, and attempts of courses no longer offered
COURSE_PAGE_QUERIES = REQUEST_PATH_QUERIES + 5  # with the program context
# The lesson, the outline with what is done, the progress, the lesson's standards, the program context.
LESSON_PAGE_QUERIES = REQUEST_PATH_QUERIES + 5
LESSON_PAGE_MOVING_QUERIES = LESSON_PAGE_QUERIES + 1  # plus the upsert of where to resume, when it moves
LESSON_DONE_QUERIES = REQUEST_PATH_QUERIES + 6  # POST "mark as done" that does not complete the course
# The last lesson after a passed check: completion, certificate, the completion event and the look for
# enrollments it completes. Counted in a test transaction, so SAVEPOINT/RELEASE stand for BEGIN/COMMIT.
LESSON_DONE_COMPLETING_QUERIES = REQUEST_PATH_QUERIES + 9
CHECK_START_PAGE_QUERIES = REQUEST_PATH_QUERIES + 1  # GET of the check before an attempt: the start page
CHECK_START_QUERIES = REQUEST_PATH_QUERIES + 6  # POST that starts an attempt (progress exists), then a redirect
CHECK_RESUME_QUERIES = REQUEST_PATH_QUERIES + 2
SUBMIT_QUERIES = REQUEST_PATH_QUERIES + 8  # a passing submission that completes the course: certificate, event...
RESULT_PAGE_QUERIES = REQUEST_PATH_QUERIES + 1
CERTIFICATE_PAGE_QUERIES = 1  # signed out: no session, no user, no membership


# The performance issue's goal: no learner page (a GET) runs more than 6 queries on a warm request.
LEARNER_PAGE_GOAL = 6


def test_the_learner_pages_meet_the_goal():
    assert (
        max(
            MY_LEARNING_QUERIES,
            MY_LEARNING_WITH_EARLIER_QUERIES,
            HOME_WITH_PROGRAMS_QUERIES,
            HOME_WITH_EVERYTHING_QUERIES,
            COURSE_PAGE_QUERIES,
            LESSON_PAGE_QUERIES,
            CHECK_START_PAGE_QUERIES,
            CHECK_RESUME_QUERIES,
            RESULT_PAGE_QUERIES,
        )
        <= LEARNER_PAGE_GOAL
    )


def test_the_budgets_fit_the_design():
    assert (
        max(
            MY_LEARNING_QUERIES,
            MY_LEARNING_WITH_EARLIER_QUERIES,
            HOME_WITH_PROGRAMS_QUERIES,
            CHECK_START_PAGE_QUERIES,
            COURSE_PAGE_QUERIES,
            LESSON_PAGE_QUERIES,
            LESSON_PAGE_MOVING_QUERIES,
            LESSON_DONE_QUERIES,
            LESSON_DONE_COMPLETING_QUERIES,
            CHECK_START_QUERIES,
            CHECK_RESUME_QUERIES,
            SUBMIT_QUERIES,
            RESULT_PAGE_QUERIES,
        )
        <= BUDGET
    )


def _progress_through(membership, course, *, lessons_done: int) -> None:
    for lesson in Lesson.objects.filter(course=course)[:lessons_done]:
        services.lesson_complete(membership=membership, lesson=lesson)


@pytest.mark.parametrize("lessons", [3, 60])
def test_lesson_page(lessons, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=lessons, questions=5)
    _progress_through(carol, course, lessons_done=2)
    lesson = Lesson.objects.filter(course=course)[1]
    client = client_for(carol)
    url = reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})

    with django_assert_num_queries(LESSON_PAGE_QUERIES):
        response = client.get(url)

    assert response.status_code == 200
    assert f"Lesson 2 of {lessons}" in response.content.decode()


@pytest.mark.parametrize("lessons", [3, 60])
def test_lesson_page_on_a_first_visit(lessons, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=lessons, questions=5)
    lesson = Lesson.objects.filter(course=course).first()

    client = client_for(carol)

    with django_assert_num_queries(LESSON_PAGE_MOVING_QUERIES):
        response = client.get(reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}))

    assert response.status_code == 200


def _writes(queries) -> list[str]:
    writes = {"INSERT", "UPDATE", "DELETE"}
    return [query["sql"] for query in queries if query["sql"].split(None, 1)[0].upper() in writes]


def test_a_lesson_page_get_writes_only_when_the_resume_point_moves(carol, acme, django_assert_num_queries):
    # given: carol opened the first lesson (her progress says to resume there)
    course = sized_course(acme, lessons=3, questions=2)
    first, second = Lesson.objects.filter(course=course)[:2]
    client = client_for(carol)
    url = {lesson: reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
           for lesson in (first, second)}
    client.get(url[first])

    # when: she reads it again, then moves on to the second, then reads that again
    with django_assert_num_queries(LESSON_PAGE_QUERIES) as again:
        client.get(url[first])
    with django_assert_num_queries(LESSON_PAGE_MOVING_QUERIES) as moving:
        client.get(url[second])
    with django_assert_num_queries(LESSON_PAGE_QUERIES) as there:
        client.get(url[second])

    # then: one write, when the resume point moved, and it moved
    assert _writes(again.captured_queries) == _writes(there.captured_queries) == []
    assert len(_writes(moving.captured_queries)) == 1
    assert carol.course_progress.get(course=course).last_lesson_id == second.pk


@pytest.mark.parametrize("lessons", [3, 60])
def test_mark_as_done(lessons, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=lessons, questions=5)
    _progress_through(carol, course, lessons_done=1)
    lesson = Lesson.objects.filter(course=course)[1]

    client = client_for(carol)

    with django_assert_num_queries(LESSON_DONE_QUERIES):
        response = client.post(
            reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
        )

    assert response.status_code == 302


@pytest.mark.parametrize("lessons", [3, 60])
def test_mark_the_last_lesson_done_after_passing(lessons, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=lessons, questions=5)
    _progress_through(carol, course, lessons_done=lessons - 1)
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))
    last = Lesson.objects.filter(course=course).last()
    client = client_for(carol)

    with django_assert_num_queries(LESSON_DONE_COMPLETING_QUERIES):
        response = client.post(
            reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": last.pk})
        )

    assert response["Location"] == reverse("enrollments:course", kwargs={"course_id": course.pk})
    attempt.refresh_from_db()
    assert attempt.progress.completed_at is not None and attempt.progress.certificate.recipient_name == "Carol Employee"


@pytest.mark.parametrize("lessons, questions", [(3, 5), (60, 200)])
def test_course_page(lessons, questions, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=lessons, questions=questions)
    _progress_through(carol, course, lessons_done=lessons)
    for responses in (wrong_answers(course), right_answers(course)):
        attempt = services.attempt_start(membership=carol, course=course)
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)

    client = client_for(carol)

    with django_assert_num_queries(COURSE_PAGE_QUERIES):
        response = client.get(reverse("enrollments:course", kwargs={"course_id": course.pk}))

    assert response.status_code == 200
    assert "View your certificate" in response.content.decode()


@pytest.mark.parametrize("courses", [1, 15])
def test_my_learning(courses, carol, acme, django_assert_num_queries):
    for index in range(courses):
        course = sized_course(acme, lessons=4, questions=3, title=f"Course {index}")
        _progress_through(carol, course, lessons_done=index % 5)
        if index % 3 == 0:
            attempt = services.attempt_start(membership=carol, course=course)
            services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))

    client = client_for(carol)

    with django_assert_num_queries(MY_LEARNING_QUERIES):
        response = client.get(reverse("enrollments:my_learning"))

    assert response.status_code == 200
    assert response.content.decode().count('class="course-card"') == courses  # the library: nothing assigned


@pytest.mark.parametrize("questions", [5, 200])
def test_check_page_starting_and_resuming(questions, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=3, questions=questions)
    _progress_through(carol, course, lessons_done=1)
    client = client_for(carol)
    url = reverse("enrollments:check", kwargs={"course_id": course.pk})

    with django_assert_num_queries(CHECK_START_PAGE_QUERIES):
        start_page = client.get(url)
    with django_assert_num_queries(CHECK_START_QUERIES):
        started = client.post(url)
    with django_assert_num_queries(CHECK_RESUME_QUERIES):
        resumed = client.get(url)

    assert start_page.status_code == resumed.status_code == 200 and started.status_code == 302
    assert start_page.content.decode().count("<fieldset") == 0
    assert resumed.content.decode().count("<fieldset") == questions
    assert Attempt.objects.count() == 1


@pytest.mark.parametrize("courses", [1, 15])
def test_my_learning_with_earlier_courses(courses, carol, acme, django_assert_num_queries):
    for index in range(courses):
        course = sized_course(acme, lessons=2, questions=3, title=f"Course {index}")
        for responses in (wrong_answers(course), right_answers(course)):
            attempt = services.attempt_start(membership=carol, course=course)
            services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=responses)
        course.status = "archived" if index % 2 else "draft"
        course.save()

    client = client_for(carol)

    with django_assert_num_queries(MY_LEARNING_WITH_EARLIER_QUERIES):
        response = client.get(reverse("enrollments:my_learning"))

    assert response.status_code == 200
    assert response.content.decode().count("Attempt 2") == courses


@pytest.mark.parametrize("questions", [5, 200])
def test_check_page_before_any_lesson_stays_within_budget(questions, carol, acme, django_assert_max_num_queries):
    course = sized_course(acme, lessons=3, questions=questions)

    client = client_for(carol)

    with django_assert_max_num_queries(BUDGET):
        response = client.post(reverse("enrollments:check", kwargs={"course_id": course.pk}))

    assert response.status_code == 302


@pytest.mark.parametrize("questions", [5, 200])
def test_submission(questions, carol, acme, django_assert_num_queries):
    # given: every lesson done, so a passing submission also completes the course (the longest path)
    course = sized_course(acme, lessons=3, questions=questions)
    _progress_through(carol, course, lessons_done=3)
    attempt = services.attempt_start(membership=carol, course=course)
    data = as_post(right_answers(course))
    client = client_for(carol)

    # when
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = client.post(reverse("enrollments:attempt_submit", kwargs={"attempt_id": attempt.pk}), data)

    # then
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score_percent == 100 and attempt.progress.completed_at is not None


@pytest.mark.parametrize("questions", [5, 200])
def test_result_page(questions, carol, acme, django_assert_num_queries):
    course = sized_course(acme, lessons=3, questions=questions)
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    client = client_for(carol)

    with django_assert_num_queries(RESULT_PAGE_QUERIES):
        response = client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}))

    assert response.status_code == 200


def test_certificate_page(carol, course, django_assert_num_queries, client):
    progress = factories.CourseProgressFactory(membership=carol, course=course, completed_at=timezone.now())
    certificate = factories.CertificateFactory(progress=progress)

    with django_assert_num_queries(CERTIFICATE_PAGE_QUERIES):
        response = client.get(reverse("enrollments:certificate", kwargs={"code": certificate.code}))

    assert response.status_code == 200


@pytest.mark.parametrize(("programs", "courses_each"), [(1, 2), (6, 5)])
def test_home_with_assigned_programs(programs, courses_each, carol, acme, alice, django_assert_num_queries):
    from enrollments.models import AssignmentAudience

    for index in range(programs):
        program = factories.ProgramFactory(organization=acme, title=f"Program {index}")
        for position in range(courses_each):
            course = sized_course(acme, lessons=2, questions=2, title=f"Course {index}.{position}")
            factories.ProgramCourseFactory(program=program, course=course, order=position)
            _progress_through(carol, course, lessons_done=position % 3)
        services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=index + 1
        )
    client = client_for(carol)

    with django_assert_num_queries(HOME_WITH_PROGRAMS_QUERIES):
        response = client.get(reverse("enrollments:home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="assigned-item"') == programs
    assert html.count("continue-button") == 1


@pytest.mark.parametrize("size", [1, 6])
def test_home_with_programs_earlier_courses_and_a_renewal(size, carol, acme, alice, django_assert_num_queries):
    """The longest home: assigned programs, courses no longer offered, and certificates of earlier rounds."""
    from enrollments.models import AssignmentAudience, CourseProgress

    for index in range(size):
        program = factories.ProgramFactory(organization=acme, title=f"Program {index}", valid_for_days=365)
        course = sized_course(acme, lessons=2, questions=2, title=f"Course {index}")
        factories.ProgramCourseFactory(program=program, course=course, order=0)
        services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=index + 1
        )
        _progress_through(carol, course, lessons_done=2)
        attempt = services.attempt_start(membership=carol, course=course)
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(course))
        retired = sized_course(acme, lessons=1, questions=2, title=f"Retired {index}")
        attempt = services.attempt_start(membership=carol, course=retired)
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(retired))
        retired.status = "archived"
        retired.save()
    # a year on, every completion is renewed: the earlier rounds' certificates hang on archived progress
    services.enrollments_recertify(now=timezone.now() + timedelta(days=350))
    assert CourseProgress.objects.filter(membership=carol, archived_at__isnull=False).count() == size
    client = client_for(carol)
    client.get(reverse("enrollments:home"))  # warm: with completed programs, "Up next" is cached for a minute

    with django_assert_num_queries(HOME_WITH_EVERYTHING_QUERIES):
        response = client.get(reverse("enrollments:home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Retired ") >= size
