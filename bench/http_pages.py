"""The product's pages against Django itself, over HTTP, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicecraft \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/http_pages.py

(or `make bench-http`). It builds a throwaway database with the demo organization (`seed_demo`), plus
`--submitters` employees who each have an open knowledge-check attempt, and a second throwaway
database for the ceiling project (`bench/ceiling/`: startproject's settings and middleware, a
trivial view and a page that renders 20 rows from one query through a template). It serves both
with gunicorn (2 sync workers each; the product with its production settings, DEBUG off, sessions
on Redis), then loads each page for `--seconds` with `wrk` (`--connections` connections over
`--threads` threads), one page at a time, and prints requests per second, p50, p99 and the ratio of
each page's requests per second to the ceiling's 20-row page and trivial view.

The product is signed in as a demo employee (a manager for the dashboard) with a real session: a row
in django_session made with the production secret key, its cookie sent by wrk; gunicorn's workers
read it from the database once and then from Redis, as in production. The production settings
redirect plain HTTP to HTTPS: wrk sends `X-Forwarded-Proto: https` (the header
SECURE_PROXY_SSL_HEADER names, as the TLS-terminating proxy would), and for POSTs an `Origin` and
the CSRF cookie and header, so Django's CSRF check runs as in production. Nothing in the settings is
relaxed.

Every response must have the expected status (200, or 302 for the POSTs): any other, or a socket
error, stops the run. The submission rotates through the submitters, one recorded attempt per
request; the run says if it wrapped around (then some submissions were repeats, which record
nothing and answer faster).

This prints figures; it asserts nothing about speed. Timings depend on the machine and on what else
runs on it: compare the ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))
# One key for the sessions made here and for the gunicorn workers that read them (production
# settings refuse a short one). Set before Django reads its settings.
SECRET_KEY = os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(60))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from course_player import throwaway_database  # noqa: E402
from serving import (  # noqa: E402
    CSRF_TOKEN,
    HTTPS,
    bulk_sessions,
    collectstatic,
    forget_cached_sessions,
    gunicorn,
    product_env,
    session_cookie,
    wait_until_answers,
)

CEILING_DATABASE = "bench_ceiling"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="how long wrk loads each page, over all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="turns over the pages (see main())")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per project")
    parser.add_argument("--submitters", type=int, default=6000, help="people with an open attempt to submit")
    parser.add_argument("--only", help="comma-separated page names to load (the ceiling pages always run)")
    return parser.parse_args()


@dataclass
class Page:
    name: str
    server: str  # "product" or "ceiling"
    path: str
    cookie: str = ""
    expected: int = 200
    method: str = "GET"
    body: str = ""
    people_file: str = ""  # POSTs rotating through people (submissions)


@dataclass
class Round:
    """One wrk run of a page: its requests, its duration, and its latency as 100 quantiles."""

    requests: int
    seconds: float
    quantiles_us: list[int]  # the 1st to 99th percentiles, then the 99.9th

    LEVELS = [level / 100 for level in range(1, 100)] + [0.999]

    def cdf(self, latency_us: int) -> float:
        """The share of this round's requests at or under `latency_us` (from its quantiles)."""
        share = 0.0
        for level, value in zip(self.LEVELS, self.quantiles_us, strict=True):
            if value <= latency_us:
                share = level
        return share


@dataclass
class Result:
    """A page's rounds together: requests per second over all of them, percentiles of their mixture."""

    page: Page
    rounds: list[Round] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(one.requests for one in self.rounds)

    @property
    def per_second(self) -> float:
        return self.requests / sum(one.seconds for one in self.rounds)

    def percentile_ms(self, fraction: float) -> float:
        points = sorted({value for one in self.rounds for value in one.quantiles_us})
        for point in points:
            if sum(one.requests * one.cdf(point) for one in self.rounds) >= fraction * self.requests - 1e-9:
                return point / 1000
        return points[-1] / 1000


# --- Data -----------------------------------------------------------------------------------------


def build_data(submitters: int) -> dict:
    """The demo organization, and `submitters` more employees each with an open attempt at one course."""
    from courses.demo import seed_demo_courses
    from courses.demo_content import PROGRAM
    from courses.models import Choice, Lesson, Program
    from enrollments import services
    from enrollments.demo import seed_demo_assignments
    from enrollments.models import Attempt, CourseProgress
    from organizations.demo import seed_demo_organization
    from organizations.models import Membership, Role, User

    demo = seed_demo_organization()
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    program = Program.objects.get(organization=demo.organization, title=PROGRAM["title"])
    seed_demo_assignments(demo=demo, program=program)

    # The learner: a demo employee part-way through a course of the assigned program.
    progress = (
        CourseProgress.objects.filter(
            membership__in=demo.employees, completed_at__isnull=True, last_lesson__isnull=False
        )
        .select_related("membership__user", "course")
        .order_by("id")
        .first()
    )
    learner, course = progress.membership, progress.course
    lesson = Lesson.objects.get(pk=progress.last_lesson_id)  # where they are: reading it moves nothing
    services.attempt_start(membership=learner, course=course)  # an open attempt: the check page shows it

    # The submitters: employees of the same organization, each with an open attempt at the course.
    password = demo.admin.user.password
    stamp = secrets.token_hex(3)
    users = User.objects.bulk_create(
        User(email=f"submitter{n}-{stamp}@bench.test", name=f"Submitter {n}", password=password)
        for n in range(submitters)
    )
    memberships = Membership.objects.bulk_create(
        Membership(user=user, organization=demo.organization, role=Role.EMPLOYEE, team=learner.team)
        for user in users
    )
    progresses = CourseProgress.objects.bulk_create(
        CourseProgress(membership=membership, course=course) for membership in memberships
    )
    snapshot = services.attempt_snapshot(course=course)
    attempts = Attempt.objects.bulk_create(
        (Attempt(progress=progress, number=1, snapshot=snapshot) for progress in progresses), batch_size=1000
    )
    right = {}
    for question_id, choice_id in Choice.objects.filter(question__course=course, credit_percent__gt=0).values_list(
        "question_id", "id"
    ):
        right.setdefault(f"q_{question_id}", []).append(str(choice_id))
    from urllib.parse import urlencode

    manager = next(manager for manager in demo.managers if manager.team_id == learner.team_id)
    return {
        "learner": learner,
        "course": course,
        "lesson": lesson,
        "learner_cookie": session_cookie(learner.user),
        "manager_cookie": session_cookie(manager.user),
        "submissions": [
            (f"/learn/attempts/{attempt.pk}/submit/", cookie)
            for attempt, cookie in zip(attempts, bulk_sessions(users), strict=True)
        ],
        "answers": urlencode(right, doseq=True),
        "attempt_ids": [attempt.pk for attempt in attempts],
    }


@contextmanager
def ceiling_database(database_url: str) -> Iterator[str]:
    """A database for the ceiling project on the same server, migrated (40 rows); dropped at the end."""
    import psycopg2
    from django.db import connection
    from psycopg2 import sql

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    admin = psycopg2.connect(**params)
    admin.autocommit = True

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(CEILING_DATABASE)))

    drop()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(CEILING_DATABASE)))
    url = database_url.rsplit("/", 1)[0] + "/" + CEILING_DATABASE
    try:
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
            cwd=BENCH_DIR,
            env={
                **os.environ, "DJANGO_SETTINGS_MODULE": "ceiling.settings", "DATABASE_URL": url,
                "PYTHONPATH": str(BENCH_DIR),
            },
            check=True,
        )
        yield url
    finally:
        drop()
        admin.close()


# --- Servers --------------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def in_process(page: Page, requests: int = 60) -> tuple[float, int] | None:
    """The page's CPU time per request in this process (median, Django's test client, the harness's
    settings) and its query count: steadier than wall time on a busy machine. GETs only."""
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if page.method != "GET" or page.server != "product":
        return None
    client = Client()
    for part in page.cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == settings.SESSION_COOKIE_NAME:
            client.cookies[name] = value
    for _ in range(10):
        client.get(page.path)
    times = []
    for _ in range(requests):
        started = time.process_time()
        response = client.get(page.path)
        times.append((time.process_time() - started) * 1000)
    if response.status_code != page.expected:
        raise SystemExit(f"{page.name}: {response.status_code} in process, expected {page.expected}")
    with CaptureQueriesContext(connection) as queries:
        client.get(page.path)
    return statistics.median(times), len(queries)


def check_once(url: str, page: Page, headers: dict[str, str]) -> None:
    """One request before loading the page: the expected status, or stop with what came instead."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers, method=page.method, data=page.body.encode() or None)
    try:
        with opener.open(request, timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    if status != page.expected:
        raise SystemExit(
            f"{page.name}: {page.method} {url} answered {status}, expected {page.expected}:\n{body[:2000]}"
        )


def run_wrk(
    base: str, page: Page, args: argparse.Namespace, headers: dict[str, str], *, seconds: float, first: int = 0
) -> Round:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s"]
    command += ["--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(BENCH_DIR / "wrk_report.lua"), base + page.path, "--", str(page.expected), str(args.threads)]
    if page.people_file:
        command += [page.people_file, str(first)]
    env = dict(os.environ)
    if page.method == "POST":
        env["WRK_BODY"] = page.body
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    report = json.loads(output.strip().splitlines()[-1])
    if report["socket_errors"] or report["http_errors"] or report["unexpected"]:
        raise SystemExit(f"{page.name}: errors under load: {report}\n{output}")
    return Round(requests=report["requests"], seconds=report["duration_us"] / 1e6, quantiles_us=report["quantiles_us"])


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: `make bench-http` installs Debian's package (apt-get install wrk).")
    import django

    django.setup()
    from django.db import connection

    broker_url = os.environ["CELERY_BROKER_URL"]
    database_url = os.environ["DATABASE_URL"]
    with ExitStack() as stack:
        server_version = stack.enter_context(throwaway_database())
        started = time.monotonic()
        data = build_data(args.submitters)
        took = time.monotonic() - started
        print(f"data: demo organization + {args.submitters} submitters in {took:.0f} s", flush=True)
        bench_url = database_url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
        ceiling_url = stack.enter_context(ceiling_database(database_url))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))

        env = product_env(database_url=bench_url, broker_url=broker_url, secret_key=SECRET_KEY)
        collectstatic(env)
        product_log, ceiling_log = workdir / "product.log", workdir / "ceiling.log"
        product = stack.enter_context(
            gunicorn("config.wsgi", cwd=ROOT, env=env, workers=args.workers, log=product_log)
        )
        product_host = product.split("://", 1)[1]
        ceiling = stack.enter_context(
            gunicorn(
                "ceiling.wsgi", cwd=BENCH_DIR,
                env={
                    "DJANGO_SETTINGS_MODULE": "ceiling.settings", "DATABASE_URL": ceiling_url,
                    "PYTHONPATH": str(BENCH_DIR),
                },
                workers=args.workers, log=ceiling_log,
            )
        )
        wait_until_answers(product + "/healthz", HTTPS, product_log)
        wait_until_answers(ceiling + "/trivial/", {}, ceiling_log)
        course, lesson = data["course"], data["lesson"]
        people_file = workdir / "submitters.txt"
        people_file.write_text(
            "".join(f"{path} {cookie.replace(' ', '')} {CSRF_TOKEN}\n" for path, cookie in data["submissions"])
        )
        learner, manager = data["learner_cookie"], data["manager_cookie"]
        pages = [
            Page("ceiling: trivial view", "ceiling", "/trivial/"),
            Page("ceiling: 20 rows, 1 query", "ceiling", "/rows/"),
            Page("/healthz (with a session cookie)", "product", "/healthz", cookie=learner),
            Page("lesson", "product", f"/learn/courses/{course.pk}/lessons/{lesson.pk}/", cookie=learner),
            Page("course", "product", f"/learn/courses/{course.pk}/", cookie=learner),
            Page("My learning (/learn/)", "product", "/learn/", cookie=learner),
            Page("employee home (/)", "product", "/", cookie=learner),
            Page("knowledge check (open attempt)", "product", f"/learn/courses/{course.pk}/check/", cookie=learner),
            Page(
                "submission POST (recorded)", "product", "/learn/attempts/0/submit/", expected=302, method="POST",
                body=data["answers"], people_file=str(people_file),
            ),
            Page("manager dashboard (/team/)", "product", "/team/", cookie=manager),
            # For reference: the product's layout around one query (the organization's standards).
            Page("Our promise (layout + 1 query)", "product", "/promise/", cookie=learner),
        ]
        if args.only:
            wanted = {name.strip() for name in args.only.split(",")}
            pages = [page for page in pages if page.server == "ceiling" or page.name.split()[0] in wanted]

        # Each page is loaded in `--rounds` turns, the pages one after the other in every round, so that
        # what else runs on the machine weighs on every page alike instead of on whichever ran then.
        results = [Result(page=page) for page in pages]
        measured = {page.name: in_process(page) for page in pages}
        submissions_sent = 0
        for number in range(args.rounds):
            for result in results:
                page = result.page
                base = product if page.server == "product" else ceiling
                headers = dict(HTTPS) if page.server == "product" else {}
                if page.cookie:
                    headers["Cookie"] = page.cookie
                if page.method == "POST":
                    headers.update(
                        {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{product_host}"}
                    )
                if number == 0:
                    if page.people_file:
                        path, cookie = data["submissions"][-1]
                        check_once(base + path, page, {**headers, "Cookie": cookie, "X-CSRFToken": CSRF_TOKEN})
                    else:
                        check_once(base + page.path, page, headers)
                one = run_wrk(
                    base, page, args, headers, seconds=args.seconds / args.rounds,
                    # past every person an earlier round used, requests still in flight at its end included
                    first=submissions_sent + number * 2 * args.connections,
                )
                if page.people_file:
                    submissions_sent += one.requests
                result.rounds.append(one)
            print(f"  round {number + 1} of {args.rounds} done", flush=True)

        from enrollments.models import Attempt, AttemptStatus

        recorded = Attempt.objects.filter(pk__in=data["attempt_ids"], status=AttemptStatus.SUBMITTED).count()
        # The workers cached these sessions in Redis; the database they belong to is dropped next.
        forget_cached_sessions(
            [learner, manager, *(cookie for _, cookie in data["submissions"])], os.environ["CELERY_BROKER_URL"]
        )

    by_name = {result.page.name: result for result in results}
    trivial = by_name["ceiling: trivial view"].per_second
    rows = by_name["ceiling: 20 rows, 1 query"].per_second
    cpu = platform.processor() or platform.machine()
    print()
    print("ServiceCraft pages against Django itself (HTTP, gunicorn, one run)")
    print(
        f"machine:  {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average before: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"servers:  gunicorn, {args.workers} sync workers each; product on config.settings.production "
        f"(DEBUG off, sessions cached_db on Redis); PostgreSQL {server_version}"
    )
    print(
        f"load:     wrk, {args.threads} threads, {args.connections} connections, {args.seconds:g} s per page "
        f"in {args.rounds} rounds"
    )
    print()
    print(f"{'page':38}{'req/s':>9}{'p50':>10}{'p99':>10}{'× 20 rows':>11}{'× trivial':>11}{'CPU':>10}{'queries':>9}")
    for result in results:
        cpu_ms, queries = measured[result.page.name] or (None, None)
        print(
            f"{result.page.name:38}{result.per_second:>9,.0f}{result.percentile_ms(0.5):>7.1f} ms"
            f"{result.percentile_ms(0.99):>7.1f} ms"
            f"{result.per_second / rows:>10.2f}×{result.per_second / trivial:>10.2f}×"
            + (f"{cpu_ms:>7.1f} ms{queries:>9}" if cpu_ms is not None else f"{'—':>10}{'—':>9}")
        )
    print(
        "\nCPU and queries: one request in the harness's own process (Django's test client, median CPU time "
        "of 60 after 10), warm; the request path's query included."
    )
    if any(result.page.people_file for result in results):
        sent = next(result.requests for result in results if result.page.people_file)
        wrapped = "" if sent <= len(data["attempt_ids"]) else " (the list wrapped around: some were repeats)"
        print(
            f"\nsubmissions: {recorded} attempts recorded for {sent} requests counted by wrk{wrapped}; the few "
            "more recorded were in flight when a round ended, or the check before the first"
        )


if __name__ == "__main__":
    main()
