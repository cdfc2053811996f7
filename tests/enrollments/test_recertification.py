"""Recertification: expiring completions, renewals run twice and concurrently, history kept
(enrollments.services.recertification, and the expiry written by enrollments.services.assignments)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollments import services
from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress, Enrollment
from enrollments.services import recertification
from tests import factories
from tests.conftest import client_for
from tests.enrollments.conftest import right_answers


@pytest.fixture
def safety(acme):
    """A program of two courses whose completion counts for a year."""
    program = factories.ProgramFactory(organization=acme, title="Food safety", valid_for_days=365)
    for order in range(2):
        course = factories.published_course(acme, lessons=1, questions=1, title=f"Safety {order + 1}")
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


@pytest.fixture
def carol_in_new_york(carol):
    carol.user.time_zone = "America/New_York"
    carol.user.save(update_fields=["time_zone"])
    return carol


def courses_of(program):
    return [pc.course for pc in program.program_courses.select_related("course").order_by("order")]


def finish_course(membership, course) -> None:
    for lesson in course.lessons.all():
        services.lesson_complete(membership=membership, lesson=lesson)
    attempt = services.attempt_start(membership=membership, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=membership, responses=right_answers(course))


def assign_and_finish(actor, person, program) -> Enrollment:
    services.assignment_create(actor=actor, program=program, audience="people", people=[person], due_days=30)
    for course in courses_of(program):
        finish_course(person, course)
    return Enrollment.objects.get(membership=person, program=program, renews__isnull=True)


# --- The expiry of a completion -------------------------------------------------------------------


def end_of(day, zone_name: str) -> datetime:
    return datetime.combine(day, datetime.max.time(), tzinfo=ZoneInfo(zone_name)).astimezone(UTC)


def test_a_completion_expires_at_the_end_of_the_local_day_and_its_certificates_carry_it(
    alice, carol_in_new_york, safety, acme
):
    # given an organization in Paris and carol in New York: the certificates show Paris dates
    acme.time_zone = "Europe/Paris"
    acme.save(update_fields=["time_zone"])
    carol = carol_in_new_york
    outside = factories.published_course(acme, lessons=1, questions=1, title="Not in the program")
    finish_course(carol, outside)

    enrollment = assign_and_finish(alice, carol, safety)

    # the completion counts until the end of carol's day, 365 days after the day she completed it
    expires_on = enrollment.completed_at.astimezone(ZoneInfo("America/New_York")).date() + timedelta(days=365)
    assert enrollment.expires_at == end_of(expires_on, "America/New_York")
    # its certificates are valid until the end of that same date where they show their dates
    certificates = Certificate.objects.filter(progress__membership=carol)
    assert {c.course_title: c.valid_until for c in certificates} == {
        "Safety 1": end_of(expires_on, "Europe/Paris"),
        "Safety 2": end_of(expires_on, "Europe/Paris"),
        "Not in the program": None,  # no certification rests on it
    }
    assert all(c.is_valid for c in certificates)
    certificate = certificates.get(course_title="Safety 1")
    page = Client().get(reverse("enrollments:certificate", kwargs={"code": certificate.code})).content.decode()
    in_paris = certificate.valid_until.astimezone(ZoneInfo("Europe/Paris"))
    assert f'valid until <time datetime="{in_paris.isoformat()}' in page
    assert expires_on.strftime("%-d %B %Y") in page


def test_a_program_without_validity_never_expires(alice, carol, acme):
    program = factories.ProgramFactory(organization=acme, title="Welcome")
    factories.ProgramCourseFactory(program=program, course=factories.published_course(acme, lessons=1, questions=1))
    enrollment = assign_and_finish(alice, carol, program)
    assert enrollment.completed_at is not None and enrollment.expires_at is None
    assert Certificate.objects.get(progress__membership=carol).valid_until is None
    assert services.enrollments_recertify(now=timezone.now() + timedelta(days=3650)) == 0


# --- Renewing -------------------------------------------------------------------------------------


def test_recertify_renews_once_keeps_the_history_and_the_retaken_course_issues_a_new_certificate(
    alice, carol_in_new_york, safety
):
    carol = carol_in_new_york
    old = assign_and_finish(alice, carol, safety)
    old_certificates = {c.course_title: c for c in Certificate.objects.filter(progress__membership=carol)}
    old_attempts = set(Attempt.objects.filter(progress__membership=carol).values_list("pk", flat=True))

    # 31 days before expiry, nothing is due yet
    assert services.enrollments_recertify(now=old.expires_at - timedelta(days=31)) == 0
    # 30 days before, one renewal; a second run (the next hourly beat) creates nothing more
    now = old.expires_at - timedelta(days=29)
    assert services.enrollments_recertify(now=now) == 1
    assert services.enrollments_recertify(now=now + timedelta(hours=1)) == 0

    renewal = Enrollment.objects.get(renews=old)
    assert Enrollment.objects.filter(membership=carol, program=safety).count() == 2
    assert renewal.completed_at is None and renewal.enrolled_at == now
    assert renewal.assignment_id is None  # made by the program's validity, not by an assignment
    # due on the expiry date, on carol's calendar, at the end of her day
    assert renewal.due_on == old.expires_at.astimezone(ZoneInfo("America/New_York")).date()
    assert renewal.due_at == old.expires_at
    # the old completion stays as it was, as history
    old.refresh_from_db()
    assert old.completed_at is not None and old.expires_at is not None
    archived = CourseProgress.objects.filter(membership=carol, archived_at=now)
    assert archived.count() == 2
    assert set(Attempt.objects.filter(progress__membership=carol).values_list("pk", flat=True)) == old_attempts
    assert CourseProgress.objects.current().filter(membership=carol).count() == 0

    # the old certificate is still viewable, by its holder and by anyone with its code
    certificate = old_certificates["Safety 1"]
    page = client_for(carol).get(reverse("enrollments:certificate", kwargs={"code": certificate.code}))
    assert page.status_code == 200 and "Safety 1" in page.content.decode()
    assert Client().get(reverse("enrollments:certificate", kwargs={"code": certificate.code})).status_code == 200

    # and listed on her home among her certificates, next to the renewal she now has to take
    home = client_for(carol).get(reverse("enrollments:home")).content.decode()
    assert certificate.code in home and "Food safety" in home

    # the course page starts over: carol retakes the courses
    first, second = courses_of(safety)
    page = client_for(carol).get(reverse("enrollments:course", kwargs={"course_id": first.pk})).content.decode()
    assert "Completed" not in page
    finish_course(carol, first)
    renewal.refresh_from_db()
    assert renewal.completed_at is None  # one course of two retaken
    finish_course(carol, second)
    renewal.refresh_from_db()
    assert renewal.completed_at is not None
    # retaken early, it counts from the old expiry: a year after that day, on carol's calendar
    zone = ZoneInfo("America/New_York")
    next_day = old.expires_at.astimezone(zone).date() + timedelta(days=365)
    assert renewal.expires_at == datetime.combine(next_day, datetime.max.time(), tzinfo=zone).astimezone(UTC)

    # each retaken course issued a new certificate with the new expiry; the old ones keep theirs
    certificates = Certificate.objects.filter(progress__membership=carol, progress__course=first)
    assert certificates.count() == 2
    new = certificates.get(progress__archived_at__isnull=True)
    assert new.code != certificate.code and new.valid_until > certificate.valid_until
    certificate.refresh_from_db()
    assert certificate.valid_until == old_certificates["Safety 1"].valid_until  # unchanged
    assert Attempt.objects.filter(progress__membership=carol, status=AttemptStatus.SUBMITTED).count() == 4

    # the renewal is itself renewed a year later, and only it
    assert services.enrollments_recertify(now=renewal.expires_at - timedelta(days=1)) == 1
    assert Enrollment.objects.filter(membership=carol, program=safety).count() == 3


def test_the_home_of_a_recertified_person_stays_within_the_learner_budget(
    alice, carol, safety, django_assert_max_num_queries
):
    old = assign_and_finish(alice, carol, safety)
    services.enrollments_recertify(now=old.expires_at)
    client = client_for(carol)
    client.get(reverse("enrollments:home"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("enrollments:home")).content.decode()
    assert page.count("/certificates/") >= 2  # both certificates of the earlier round


def test_only_active_people_are_renewed(alice, carol, acme, safety):
    dave = factories.member(acme)
    old_carol = assign_and_finish(alice, carol, safety)
    old_dave = assign_and_finish(alice, dave, safety)
    dave.is_active = False
    dave.save(update_fields=["is_active"])

    assert services.enrollments_recertify(now=old_dave.expires_at) == 1
    assert Enrollment.objects.filter(renews=old_carol).exists()
    assert not Enrollment.objects.filter(renews=old_dave).exists()
    assert CourseProgress.objects.current().filter(membership=dave).count() == 2  # nothing archived


def test_a_course_in_progress_is_not_archived(alice, carol, acme, safety):
    """Archiving takes only completed progress: a course added to the program later keeps its steps."""
    old = assign_and_finish(alice, carol, safety)
    added = factories.published_course(acme, lessons=2, questions=1, title="Added later")
    factories.ProgramCourseFactory(program=safety, course=added, order=5)
    services.lesson_complete(membership=carol, lesson=added.lessons.first())

    assert services.enrollments_recertify(now=old.expires_at) == 1
    assert CourseProgress.objects.current().get(membership=carol).course == added


def test_the_progress_upsert_skips_archived_rows(alice, carol, safety):
    old = assign_and_finish(alice, carol, safety)
    services.enrollments_recertify(now=old.expires_at)
    lesson = courses_of(safety)[0].lessons.first()

    first = services.lesson_visit(membership=carol, lesson=lesson)
    again = services.lesson_visit(membership=carol, lesson=lesson)

    assert first == again
    rows = CourseProgress.objects.filter(membership=carol, course=lesson.course)
    assert rows.count() == 2 and rows.current().get().pk == first


def test_the_beat_runs_recertification_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["recertify-enrollments"]
    assert entry == {"task": "enrollments.tasks.enrollments_recertify", "schedule": 3600}


# --- Concurrency ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recertifications_create_one_renewal(acme, alice, carol, safety):
    # given a completion about to expire, and two runs that both read it before either writes
    old = assign_and_finish(alice, carol, safety)
    now = old.expires_at - timedelta(days=1)
    barrier = threading.Barrier(2, timeout=10)
    real_read = recertification._expiring_without_renewal

    def read_then_wait(**kwargs):
        rows = real_read(**kwargs)
        barrier.wait()  # both runs have read "no renewal yet"; now both write
        return rows

    results, errors = [], []

    def run():
        try:
            results.append(services.enrollments_recertify(now=now))
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    recertification._expiring_without_renewal = read_then_wait
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        recertification._expiring_without_renewal = real_read

    # then one renewal exists, made by one of the two runs, and the progress was archived once
    assert errors == []
    assert sorted(results) == [0, 1]
    assert Enrollment.objects.filter(renews=old).count() == 1
    assert Enrollment.objects.filter(membership=carol, program=safety).count() == 2
    assert CourseProgress.objects.filter(membership=carol, archived_at=now).count() == 2
    assert connection.vendor == "postgresql"


# --- Who expires in the next 30 days --------------------------------------------------------------


def completed(person, program, *, expires_at, renewal_completed=False) -> Enrollment:
    """A completion of `program` expiring at `expires_at` (rows written directly: the list only reads)."""
    old = Enrollment.objects.create(
        membership=person, program=program, completed_at=expires_at - timedelta(days=365), expires_at=expires_at
    )
    if renewal_completed:
        Enrollment.objects.create(
            membership=person, program=program, renews=old, completed_at=expires_at - timedelta(days=2)
        )
    return old


@pytest.fixture
def expiring_world(acme, bob, carol, globex):
    now = timezone.now()
    front, back = (
        factories.TeamFactory(organization=acme, name="Front desk"),
        factories.TeamFactory(organization=acme, name="Back office"),
    )
    front.managers.add(bob)
    carol.team = front
    carol.save(update_fields=["team"])
    program = factories.ProgramFactory(organization=acme, title="Food safety", valid_for_days=365)
    dave = factories.member(acme, team=back, user__name="Dave Back")
    erin = factories.member(acme, team=front, user__name="Erin Gone", is_active=False)
    frank = factories.member(acme, team=front, user__name="Frank Renewed")
    gina = factories.member(acme, team=front, user__name="Gina Later")
    rows = {
        "carol": completed(carol, program, expires_at=now + timedelta(days=10)),
        "dave": completed(dave, program, expires_at=now + timedelta(days=20)),
        "erin": completed(erin, program, expires_at=now + timedelta(days=5)),  # inactive: left out
        "frank": completed(frank, program, expires_at=now + timedelta(days=3), renewal_completed=True),
        "gina": completed(gina, program, expires_at=now + timedelta(days=31)),  # outside the window
        "expired": completed(gina, factories.ProgramFactory(organization=acme), expires_at=now - timedelta(days=1)),
    }
    other = factories.ProgramFactory(organization=globex, title="Globex safety", valid_for_days=30)
    completed(factories.member(globex), other, expires_at=now + timedelta(days=4))
    return now, rows


def test_admins_see_everyone_expiring_managers_their_teams_employees_nobody(alice, bob, carol, charlie, expiring_world):
    from enrollments.recertification_selectors import completions_expiring_for

    now, rows = expiring_world

    def names(member):
        return [
            row.enrollment.membership.user.display_name for row in completions_expiring_for(membership=member, now=now)
        ]

    assert names(alice) == ["Carol Employee", "Dave Back"]  # soonest first
    assert names(bob) == ["Carol Employee"]
    assert names(carol) == []
    assert len(names(charlie)) == 1 and "Carol Employee" not in names(charlie)  # Globex's own only

    services.enrollments_recertify(now=now)
    (row,) = completions_expiring_for(membership=bob, now=now)
    assert row.has_renewal and row.renewal.due_on == row.expires_on


def test_the_expiring_page_lists_the_actors_scope_and_is_a_404_for_employees(
    alice, bob, carol, charlie, expiring_world
):
    url = reverse("enrollments:expiring")
    page = client_for(bob).get(url).content.decode()
    assert "Carol Employee" in page and "Dave Back" not in page and "Frank Renewed" not in page
    assert "Expiring in the next 30 days" in page
    admin_page = client_for(alice).get(url).content.decode()
    assert "Dave Back" in admin_page and "Globex" not in admin_page
    assert client_for(carol).get(url).status_code == 404
    assert "Carol Employee" not in client_for(charlie).get(url).content.decode()


def test_the_expiring_page_costs_the_same_queries_at_two_sizes(alice, acme, django_assert_max_num_queries):
    program = factories.ProgramFactory(organization=acme, title="Food safety", valid_for_days=365)
    team = factories.TeamFactory(organization=acme)
    client = client_for(alice)
    counts = []
    for size in (2, 12):
        while Enrollment.objects.filter(renews__isnull=True).count() < size:
            person = factories.member(acme, team=team)
            old = completed(person, program, expires_at=timezone.now() + timedelta(days=size))
            if person.pk % 2:  # half of them already renewed by beat
                Enrollment.objects.create(membership=person, program=program, renews=old, due_on=old.expires_at.date())
        client.get(reverse("enrollments:expiring"))  # warm the session
        with django_assert_max_num_queries(20) as captured:
            response = client.get(reverse("enrollments:expiring"))
        assert response.content.decode().count('data-label="Expires"') == size
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_completing_a_program_with_validity_costs_the_same_queries_at_two_sizes(alice, carol, acme):
    """The learner's last step completes the course and the enrollment, stamps the expiry and the
    certificates: a fixed number of statements whatever the number of courses and lessons."""
    counts = []
    for size in (2, 8):
        program = factories.ProgramFactory(organization=acme, title=f"Safety {size}", valid_for_days=365)
        courses = [factories.published_course(acme, lessons=size, questions=1) for _ in range(size)]
        for order, course in enumerate(courses):
            factories.ProgramCourseFactory(program=program, course=course, order=order)
        services.assignment_create(actor=alice, program=program, audience="people", people=[carol], due_days=30)
        for course in courses[:-1]:
            finish_course(carol, course)
        last = courses[-1]
        for lesson in list(last.lessons.all())[:-1]:
            services.lesson_complete(membership=carol, lesson=lesson)
        attempt = services.attempt_start(membership=carol, course=last)
        services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=right_answers(last))
        with CaptureQueriesContext(connection) as captured:
            assert services.lesson_complete(membership=carol, lesson=last.lessons.last())
        enrollment = Enrollment.objects.get(membership=carol, program=program)
        assert enrollment.expires_at is not None
        assert Certificate.objects.filter(progress__membership=carol, valid_until=None).count() == 0
        counts.append(len(captured))
    assert counts[0] == counts[1]
