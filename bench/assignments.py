"""Benchmark of assignments at scale: the bulk assignment, the manager's dashboard and the employee's home.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicecraft .venv/bin/python bench/assignments.py

(or `make bench`). In a throwaway database (`bench_servicecraft`, created, migrated and dropped at the
end like bench/course_player.py), it measures:

- **bulk assignment**: a program assigned to everyone in an organization of --bulk people (10,000),
  through `enrollments.services.assignment_create`, (a) enrolled in the request (the set-based path,
  with the background threshold lifted) and (b) the way production does it for a large audience: the
  request creates the job, then the job's task body enrolls in batches. Wall time and SQL statements.
- **dashboard and home** on `seed_scale --employees --employees` (5,000): the manager's dashboard (a
  manager of one team, and an admin who sees every team) and an employee's home, through Django's
  test Client with the whole middleware stack (DEBUG off): median and p95 server time over --requests
  requests after --warmup, and the query count of one request.

It prints figures and asserts nothing (query budgets are asserted by the tests).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from course_player import BENCH_DATABASE, count_queries, p95, throwaway_database, timed  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=int, default=10_000, help="people in the bulk assignment")
    parser.add_argument("--employees", type=int, default=5_000, help="employees of the seed_scale organization")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    return parser.parse_args()


def bench_bulk(people: int) -> list[tuple[str, float, int, int]]:
    import random

    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from enrollments import services
    from enrollments.models import AssignmentAudience, Enrollment
    from enrollments.scale import seed_content, seed_people
    from organizations.models import ImportJob, Organization, Role

    rows = []
    for label, in_request in (("enrolled in the request", True), ("job: request + task body", False)):
        organization = Organization.objects.create(name=f"Bulk {label}", slug=f"bulk-{int(in_request)}")
        rng, now = random.Random(1), timezone.now()
        password = make_password("bulk")
        people_of = partial(seed_people, organization=organization, rng=rng, password_hash=password, now=now)
        admin = people_of(count=1, role=Role.ADMIN, prefix="admin")[0]
        people_of(count=people - 1, role=Role.EMPLOYEE, prefix="person")
        program = seed_content(organization, rng)[0]
        threshold = services.assignments.ASSIGN_IN_BACKGROUND_OVER
        if in_request:
            services.assignments.ASSIGN_IN_BACKGROUND_OVER = people + 1
        try:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                outcome = services.assignment_create(
                    actor=admin, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=14
                )
                if outcome.job is not None:
                    services.assignment_job_run(job=ImportJob.objects.get(pk=outcome.job.pk))
                elapsed = time.perf_counter() - started
        finally:
            services.assignments.ASSIGN_IN_BACKGROUND_OVER = threshold
        enrolled = Enrollment.objects.filter(program=program).count()
        rows.append((label, elapsed * 1000, len(captured.captured_queries), enrolled))
    return rows


def bench_pages(employees: int, requests: int, warmup: int) -> list[tuple[str, list[float], int]]:
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from enrollments.scale import seed_scale

    scale = seed_scale(employees=employees)
    # Fresh statistics, as autovacuum would have them on a live database: without them PostgreSQL
    # plans the dashboard's queries for empty tables (ten times slower).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    pages = [
        ("dashboard, manager of one team", scale.manager, "enrollments:dashboard"),
        ("dashboard, admin (every team)", scale.admin, "enrollments:dashboard"),
        ("employee home", scale.employee, "enrollments:home"),
    ]
    rows = []
    for label, membership, name in pages:
        try:
            url = reverse(name)
        except NoReverseMatch:
            print(f"  ({label}: {name} does not exist yet)")
            continue
        client = Client()
        client.force_login(membership.user)
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code} for {label}")
        times = []
        for _ in range(requests):
            elapsed, _response = timed(lambda url=url, client=client: client.get(url))
            times.append(elapsed)
        rows.append((label, times, count_queries(lambda url=url, client=client: client.get(url))))
    return rows


def main() -> None:
    args = parse_args()
    import django

    django.setup()

    with throwaway_database() as server_version:
        bulk = bench_bulk(args.bulk)
        started = time.perf_counter()
        pages = bench_pages(args.employees, args.requests, args.warmup)
        seeded = time.perf_counter() - started

        cpu = platform.processor() or platform.machine()
        print("ServiceCraft assignments benchmark")
        print(
            f"machine:  {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}"
        )
        print(f"database: PostgreSQL {server_version}, throwaway database {BENCH_DATABASE}")
        print()
        print(f"bulk assignment of one program to {args.bulk:,} people (goal: ≤ 2 s, ≤ 30 statements)")
        for label, ms, statements, enrolled in bulk:
            print(f"  {label:34}{ms:>9.0f} ms{statements:>5} statements  ({enrolled:,} enrolled)")
        print()
        print(f"pages on seed_scale --employees {args.employees:,} (built and measured in {seeded:.0f} s)")
        print(f"  {'':34}{'n':>5}{'median':>11}{'p95':>11}{'queries':>9}")
        for label, times, queries in pages:
            print(f"  {label:34}{len(times):>5}{statistics.median(times):>8.1f} ms{p95(times):>8.1f} ms{queries:>9}")
        print("  goals: dashboard ≤ 150 ms and ≤ 20 queries, home ≤ 30 ms and ≤ 10 queries")


if __name__ == "__main__":
    main()
