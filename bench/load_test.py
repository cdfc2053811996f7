"""Load test: simulated employees reading lessons, marking them done and submitting knowledge checks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicecraft \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/load_test.py

(or `make bench-load`). In a throwaway database it seeds the demo organization with its courses and
`--people` more employees, each with their own account and a real session, serves the product with
gunicorn (production settings, DEBUG off, 2 sync workers), and for `--seconds` each employee, on a
thread of their own with a keep-alive connection, works through the demo program's courses the way a
person does: opens a lesson, marks it done (which leads to the next one), and after the last lesson
starts the knowledge check, opens it and submits it: wrong answers first, then right ones (which
completes the course and issues the certificate), then the next course. After the last course they
start over with retakes and rereading (marking a lesson done again records nothing new).

At the end it checks, in the database, that nothing was lost and nothing doubled: the submitted
attempts, the lesson completions, the completed courses and the certificates of these people equal
what the clients counted from the responses they got; every response had the status the product
promises (200 for pages, 302 after every POST), or the run fails. It prints requests, errors and
p50/p95 per kind of request.

The smoke version (tests/test_load_smoke.py, run by `make test`) is the same code for 10 seconds with
fewer people, against the test database.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from serving import (  # noqa: E402
    CSRF_TOKEN,
    HTTPS,
    bulk_sessions,
    collectstatic,
    forget_cached_sessions,
    gunicorn,
    product_env,
    wait_until_answers,
)

SUBMIT_FORM = re.compile(r'action="(/learn/attempts/(\d+)/submit/)"')


# --- What the clients work through ----------------------------------------------------------------


@dataclass(frozen=True)
class CoursePlan:
    """One course as a client walks it: its lessons in order, and the two sets of answers it posts."""

    id: int
    lessons: list[int]
    right: str  # urlencoded form data: every question answered right
    wrong: str  # every question answered wrong (a failed attempt: recorded, nothing completed)


@dataclass
class Person:
    """A simulated employee: their session cookie and what they did, as the responses told them."""

    cookie: str
    membership_id: int
    lessons_marked: set[tuple[int, int]] = field(default_factory=set)  # (course, lesson) first marked
    submitted: int = 0
    completed: set[int] = field(default_factory=set)  # courses completed (first passing submission)


def course_plans() -> list[CoursePlan]:
    """The demo program's published courses, in order, with their lessons and answers."""
    from courses.demo_content import PROGRAM
    from courses.models import Choice, Lesson, Program

    program = Program.objects.get(title=PROGRAM["title"])
    plans = []
    for link in program.program_courses.select_related("course").order_by("order", "id"):
        course = link.course
        right: dict[str, list[str]] = {}
        wrong: dict[str, list[str]] = {}
        for question_id, choice_id, credit in Choice.objects.filter(question__course=course).values_list(
            "question_id", "id", "credit_percent"
        ):
            if credit > 0:
                right.setdefault(f"q_{question_id}", []).append(str(choice_id))
            elif f"q_{question_id}" not in wrong:
                wrong[f"q_{question_id}"] = [str(choice_id)]
        plans.append(
            CoursePlan(
                id=course.pk,
                lessons=list(Lesson.objects.filter(course=course).order_by("order", "id").values_list("pk", flat=True)),
                right=urlencode(right, doseq=True),
                wrong=urlencode(wrong, doseq=True),
            )
        )
    return plans


def seed(people: int) -> tuple[list[Person], list[CoursePlan]]:
    """The demo organization and its courses, and `people` new employees of it, each with a session."""
    from courses.demo import seed_demo_courses
    from organizations.demo import seed_demo_organization
    from organizations.models import Membership, Role, User

    demo = seed_demo_organization()
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    stamp = secrets.token_hex(3)
    users = User.objects.bulk_create(
        User(email=f"load{n}-{stamp}@load.test", name=f"Load Employee {n}", password=demo.admin.user.password)
        for n in range(people)
    )
    memberships = Membership.objects.bulk_create(
        Membership(user=user, organization=demo.organization, role=Role.EMPLOYEE, team=demo.teams[n % len(demo.teams)])
        for n, user in enumerate(users)
    )
    cookies = bulk_sessions(users)
    return (
        [Person(cookie=cookie, membership_id=m.pk) for cookie, m in zip(cookies, memberships, strict=True)],
        course_plans(),
    )


# --- The clients ----------------------------------------------------------------------------------


class UnexpectedResponse(Exception):
    pass


@dataclass
class Tally:
    """Every request's kind and latency, and every error, from all clients (appended under a lock)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Client:
    """One employee's browser: a keep-alive connection, their cookie, the proxy's HTTPS header."""

    def __init__(self, base_url: str, person: Person, tally: Tally) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"https://{parts.hostname}:{parts.port}"
        self.person, self.tally = person, tally
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, kind: str, method: str, path: str, *, body: str = "", expect: int) -> tuple[str, str]:
        headers = {**HTTPS, "Cookie": self.person.cookie}
        if method == "POST":
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "X-CSRFToken": CSRF_TOKEN,
                }
            )
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body.encode() or None, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnect on the next request
            raise
        self.tally.add(kind, time.perf_counter() - started)
        if response.status != expect:
            raise UnexpectedResponse(f"{method} {path}: {response.status}, expected {expect}: {text[:300]!r}")
        return response.getheader("Location") or "", text

    def close(self) -> None:
        self.connection.close()


def walk(client: Client, plans: list[CoursePlan], deadline: float) -> None:
    """What one employee does until the deadline: read, mark done, check; course after course, then again."""
    person = client.person
    rounds = 0
    while time.monotonic() < deadline:
        for plan in plans:
            for lesson in plan.lessons:
                if time.monotonic() >= deadline:
                    return
                client.request("lesson", "GET", f"/learn/courses/{plan.id}/lessons/{lesson}/", expect=200)
                client.request(
                    "mark done", "POST", f"/learn/courses/{plan.id}/lessons/{lesson}/done/", expect=302
                )
                person.lessons_marked.add((plan.id, lesson))
            client.request("course", "GET", f"/learn/courses/{plan.id}/", expect=200)
            # First round: fail once, then pass (which completes the course). Later rounds: retake and pass.
            for answers in ((plan.wrong, plan.right) if rounds == 0 else (plan.right,)):
                if time.monotonic() >= deadline:
                    return
                client.request("start check", "POST", f"/learn/courses/{plan.id}/check/", expect=302)
                _, page = client.request("check", "GET", f"/learn/courses/{plan.id}/check/", expect=200)
                found = SUBMIT_FORM.search(page)
                if found is None:
                    raise UnexpectedResponse(f"no open attempt on the check page of course {plan.id}")
                client.request("submit", "POST", found[1], body=answers, expect=302)
                person.submitted += 1
                if answers == plan.right:
                    person.completed.add(plan.id)
        client.request("My learning", "GET", "/learn/", expect=200)
        rounds += 1


def run_clients(base_url: str, people: list[Person], plans: list[CoursePlan], seconds: float) -> Tally:
    """Every person on a thread of their own, all starting together, for `seconds`."""
    tally = Tally()
    start = threading.Barrier(len(people) + 1)
    deadline_box: list[float] = []

    def employee(person: Person) -> None:
        client = Client(base_url, person, tally)
        start.wait()
        try:
            walk(client, plans, deadline_box[0])
        except Exception as error:  # every failure is counted and reported, never swallowed
            tally.error(f"{type(error).__name__}: {error}")
        finally:
            client.close()

    threads = [threading.Thread(target=employee, args=(person,), daemon=True) for person in people]
    for thread in threads:
        thread.start()
    deadline_box.append(time.monotonic() + seconds)
    start.wait()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    if any(thread.is_alive() for thread in threads):
        tally.error("a client did not finish within a minute of the deadline")
    return tally


# --- What the database says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    submitted_attempts: int
    lesson_completions: int
    completed_courses: int
    certificates: int


def client_counts(people: list[Person]) -> Counts:
    completed = sum(len(person.completed) for person in people)
    return Counts(
        submitted_attempts=sum(person.submitted for person in people),
        lesson_completions=sum(len(person.lessons_marked) for person in people),
        completed_courses=completed,
        certificates=completed,
    )


def database_counts(people: list[Person]) -> Counts:
    from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress, LessonCompletion

    ids = [person.membership_id for person in people]
    return Counts(
        submitted_attempts=Attempt.objects.filter(
            progress__membership_id__in=ids, status=AttemptStatus.SUBMITTED
        ).count(),
        lesson_completions=LessonCompletion.objects.filter(progress__membership_id__in=ids).count(),
        completed_courses=CourseProgress.objects.filter(membership_id__in=ids, completed_at__isnull=False).count(),
        certificates=Certificate.objects.filter(progress__membership_id__in=ids).count(),
    )


@dataclass
class Report:
    people: int
    seconds: float
    tally: Tally
    clients: Counts
    database: Counts

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.tally.latencies.values())

    @property
    def ok(self) -> bool:
        return not self.tally.errors and self.clients == self.database

    def percentile(self, values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def lines(self) -> list[str]:
        everything = [value for values in self.tally.latencies.values() for value in values]
        out = [
            f"{self.people} employees for {self.seconds:.0f} s: {self.requests} requests "
            f"({self.requests / self.seconds:.0f}/s), {len(self.tally.errors)} errors",
            "",
            f"{'request':14}{'n':>7}{'p50':>10}{'p95':>10}",
        ]
        for kind, values in sorted(self.tally.latencies.items(), key=lambda item: -len(item[1])):
            out.append(
                f"{kind:14}{len(values):>7}{self.percentile(values, 0.5):>7.1f} ms"
                f"{self.percentile(values, 0.95):>7.1f} ms"
            )
        if everything:
            out.append(
                f"{'all':14}{len(everything):>7}{self.percentile(everything, 0.5):>7.1f} ms"
                f"{self.percentile(everything, 0.95):>7.1f} ms"
            )
        out += ["", f"{'':22}{'clients':>9}{'database':>10}"]
        for name in Counts.__dataclass_fields__:
            mine, theirs = getattr(self.clients, name), getattr(self.database, name)
            out.append(f"{name.replace('_', ' '):22}{mine:>9}{theirs:>10}{'' if mine == theirs else '  MISMATCH'}")
        for error in Counter(self.tally.errors).most_common(10):
            out.append(f"error ×{error[1]}: {error[0]}")
        return out


@contextmanager
def served(*, database_name: str, workers: int, log: Path, secret_key: str) -> Iterator[str]:
    """The product on gunicorn (production settings) against `database_name` on DATABASE_URL's server."""
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database_name
    env = product_env(database_url=database_url, broker_url=os.environ["CELERY_BROKER_URL"], secret_key=secret_key)
    collectstatic(env)
    with gunicorn("config.wsgi", cwd=BENCH_DIR.parent, env=env, workers=workers, log=log) as base_url:
        wait_until_answers(base_url + "/healthz", HTTPS, log)
        yield base_url


def load(*, base_url: str, people: list[Person], plans: list[CoursePlan], seconds: float) -> Report:
    tally = run_clients(base_url, people, plans, seconds)
    clients, database = client_counts(people), database_counts(people)
    return Report(people=len(people), seconds=seconds, tally=tally, clients=clients, database=database)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    secret_key = os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(60))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    sys.path.insert(0, str(BENCH_DIR.parent))
    import django

    django.setup()
    import tempfile

    from course_player import throwaway_database
    from django.db import connection

    with ExitStack() as stack:
        server_version = stack.enter_context(throwaway_database())
        people, plans = seed(args.people)
        log = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-"))) / "gunicorn.log"
        base_url = stack.enter_context(
            served(database_name=connection.settings_dict["NAME"], workers=args.workers, log=log, secret_key=secret_key)
        )
        try:
            report = load(base_url=base_url, people=people, plans=plans, seconds=args.seconds)
        finally:
            forget_cached_sessions([person.cookie for person in people], os.environ["CELERY_BROKER_URL"])
    print("ServiceCraft load test")
    print(
        f"machine:  {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; PostgreSQL {server_version}"
    )
    print(f"server:   gunicorn, {args.workers} sync workers, config.settings.production (DEBUG off)")
    print(f"courses:  the demo program, {len(plans)} courses, {sum(len(plan.lessons) for plan in plans)} lessons")
    print()
    print("\n".join(report.lines()))
    if not report.ok:
        raise SystemExit("FAILED: errors, or the database's counts differ from the clients'")


if __name__ == "__main__":
    main()
