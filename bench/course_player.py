"""Benchmark of the course player: the lesson page and a full knowledge-check submission.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicecraft .venv/bin/python bench/course_player.py

(or `make bench`). It creates a throwaway database next to the one DATABASE_URL names
(`bench_servicecraft`, with Django's test-database utilities: create, migrate, and drop at the end,
even on failure), builds one organization with a published 50-lesson, 200-question course, signs in
an employee with Django's test Client (the whole middleware stack: sessions in the database, CSRF,
tenancy) and measures:

- the lesson page GET, cycling through the lessons (median and p95 over --requests requests);
- the knowledge-check page GET that starts a fresh attempt (snapshot of 200 questions);
- the submission POST with all 200 answers, a fresh attempt each time (median and p95 over
  --submissions submissions);

and prints the SQL query count of each. This prints figures; it asserts nothing (the query budgets are
asserted by tests/enrollments/test_query_counts.py). Timings are noisy: compare ratios on one machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

BENCH_DATABASE = "bench_servicecraft"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=50)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="lesson page GETs to time")
    parser.add_argument("--submissions", type=int, default=30, help="knowledge-check submissions to time")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of the counted requests")
    return parser.parse_args()


def build_course(*, lessons: int, questions: int):
    """One organization, its standards, an employee and a published course of the given size."""
    from courses.models import Choice, Course, CourseStatus, Lesson, Question, QuestionKind
    from organizations.models import Membership, Organization, Role, ServiceStandard, User

    organization = Organization.objects.create(name="Bench Hotels", slug="bench")
    standards = ServiceStandard.objects.bulk_create(
        ServiceStandard(organization=organization, code=f"S{i}", title=f"Standard {i}", order=i) for i in range(1, 9)
    )
    user = User.objects.create_user("employee@bench.test", "bench-password", name="Bench Employee")
    membership = Membership.objects.create(user=user, organization=organization, role=Role.EMPLOYEE)
    course = Course.objects.create(
        organization=organization, title="Greeting guests", status=CourseStatus.PUBLISHED, pass_mark_percent=80
    )
    body = "".join(
        f"<p>Paragraph {i}: greet every guest <strong>within ten seconds</strong>, with eye contact.</p>"
        for i in range(12)
    )
    created_lessons = Lesson.objects.bulk_create(
        Lesson(
            course=course,
            order=i,
            title=f"Lesson {i + 1}",
            body_html=body,
            video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ" if i % 3 == 0 else "",
            practice_prompt="Greet the next three guests by name." if i % 2 == 0 else "",
        )
        for i in range(lessons)
    )
    Lesson.standards.through.objects.bulk_create(
        Lesson.standards.through(lesson=lesson, servicestandard=standards[(i + k) % len(standards)])
        for i, lesson in enumerate(created_lessons)
        for k in range(2)
    )
    kinds = [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE, QuestionKind.SCENARIO]
    created_questions = Question.objects.bulk_create(
        Question(
            course=course,
            order=i,
            kind=kinds[i % len(kinds)],
            prompt=f"A guest walks up to the desk while you are on the phone ({i}). What do you do?",
            explanation="Acknowledge the guest at once; the call can wait a few seconds.",
        )
        for i in range(questions)
    )
    Question.standards.through.objects.bulk_create(
        Question.standards.through(question=question, servicestandard=standards[(i + k) % len(standards)])
        for i, question in enumerate(created_questions)
        for k in range(2)
    )
    choices = []
    for question in created_questions:
        if question.kind == QuestionKind.TRUE_FALSE:
            credits = [100, 0]
        elif question.kind == QuestionKind.MULTIPLE:
            credits = [50, 50, -50, -50]
        else:
            credits = [100, 0, 0, 0]
        choices += [
            Choice(question=question, order=j, text=f"Option {j + 1}", credit_percent=credit, feedback="Because.")
            for j, credit in enumerate(credits)
        ]
    Choice.objects.bulk_create(choices)
    return membership, course


def right_answers_post(course) -> dict[str, list[str]]:
    from courses.models import Choice

    answers: dict[str, list[str]] = {}
    for question_id, choice_id in Choice.objects.filter(question__course=course, credit_percent__gt=0).values_list(
        "question_id", "id"
    ):
        answers.setdefault(f"q_{question_id}", []).append(str(choice_id))
    return answers


def timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def count_queries(call: Callable[[], object], *, show: bool = False) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    if show:
        for query in captured.captured_queries:
            print("   ", query["sql"][:160])
    return len(captured.captured_queries)


@contextmanager
def throwaway_database(name: str = BENCH_DATABASE) -> Iterator[str]:
    """Create and migrate `name` on DATABASE_URL's server, and drop it at the end, even on failure.

    Yields the server's PostgreSQL version. Django's test-database utilities do the work.
    """
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a postgres:// URL: the benchmark runs on PostgreSQL.")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    setup_test_environment()
    original_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            yield cursor.fetchone()[0]
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
        teardown_test_environment()


def expect(response, status: int) -> None:
    if response.status_code != status:
        raise SystemExit(f"unexpected {response.status_code} for {response.request['PATH_INFO']} (expected {status})")


def main() -> None:
    args = parse_args()
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from courses.models import Lesson
    from enrollments.models import Attempt, AttemptStatus

    with throwaway_database() as server_version:
        membership, course = build_course(lessons=args.lessons, questions=args.questions)
        lessons = list(Lesson.objects.filter(course=course).values_list("pk", flat=True))
        client = Client()
        client.force_login(membership.user)
        lesson_urls = [
            reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": pk}) for pk in lessons
        ]
        check_url = reverse("enrollments:check", kwargs={"course_id": course.pk})
        answers = right_answers_post(course)

        # Every lesson done first, so the first passing submission completes the course (then the
        # timed ones take the usual path: graded, recorded, already complete).
        for pk in lessons:
            expect(
                client.post(reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": pk})),
                302,
            )

        # --- lesson page ---
        for i in range(args.warmup):
            expect(client.get(lesson_urls[i % len(lesson_urls)]), 200)
        lesson_times = []
        for i in range(args.requests):
            url = lesson_urls[i % len(lesson_urls)]
            elapsed, response = timed(lambda url=url: client.get(url))
            expect(response, 200)
            lesson_times.append(elapsed)
        lesson_queries = count_queries(lambda: client.get(lesson_urls[1]), show=args.show_queries)

        # --- knowledge check: start a fresh attempt (POST, then the check page it leads to), then submit ---
        def start_check():
            return client.post(check_url, follow=True)

        def open_attempt() -> Attempt:
            return Attempt.objects.get(progress__membership=membership, status=AttemptStatus.IN_PROGRESS)

        def submit_url(attempt: Attempt) -> str:
            return reverse("enrollments:attempt_submit", kwargs={"attempt_id": attempt.pk})

        for _ in range(args.warmup):
            expect(start_check(), 200)
            expect(client.post(submit_url(open_attempt()), answers), 302)
        start_times, submit_times = [], []
        for _ in range(args.submissions):
            elapsed, response = timed(start_check)
            expect(response, 200)
            start_times.append(elapsed)
            attempt = open_attempt()
            elapsed, response = timed(lambda attempt=attempt: client.post(submit_url(attempt), answers))
            expect(response, 302)
            submit_times.append(elapsed)
        start_queries = count_queries(start_check, show=args.show_queries)
        attempt = open_attempt()
        submit_queries = count_queries(lambda: client.post(submit_url(attempt), answers), show=args.show_queries)
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.SUBMITTED and attempt.score_percent == 100, attempt.score_percent
        snapshot_bytes = len(json.dumps(Attempt.objects.filter(pk=attempt.pk).values_list("snapshot", flat=True).get()))
        post_bytes = len(urlencode(answers, doseq=True))

        # --- report ---
        cpu = platform.processor() or platform.machine()
        print("ServiceCraft course-player benchmark")
        print(
            f"machine:  {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}"
        )
        print(f"database: PostgreSQL {server_version}, throwaway database {BENCH_DATABASE}")
        print(
            f"course:   {args.lessons} lessons, {args.questions} questions; "
            f"snapshot ≈ {snapshot_bytes // 1024} KiB, POST ≈ {post_bytes // 1024} KiB"
        )
        print()
        print(f"{'':42}{'n':>5}{'median':>11}{'p95':>11}{'queries':>9}")
        rows = [
            ("lesson page GET", lesson_times, lesson_queries),
            (f"check started (POST + page, {args.questions} q.)", start_times, start_queries),
            (f"submission POST ({args.questions} answers)", submit_times, submit_queries),
        ]
        for label, values, queries in rows:
            print(f"{label:42}{len(values):>5}{statistics.median(values):>8.1f} ms{p95(values):>8.1f} ms{queries:>9}")
        print()
        lesson_median = statistics.median(lesson_times)
        print(
            f"ratios (median): submission / lesson page = {statistics.median(submit_times) / lesson_median:.1f}×, "
            f"check start / lesson page = {statistics.median(start_times) / lesson_median:.1f}×"
        )


if __name__ == "__main__":
    main()
