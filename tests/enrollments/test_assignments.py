"""Assignments, enrollments, standing rules, due dates and completion events (enrollments.services.assignments)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from courses.models import CourseStatus
from enrollments import services
from enrollments.models import (
    Assignment,
    AssignmentAudience,
    CompletionEvent,
    CompletionEventKind,
    DueFrom,
    DueState,
    Enrollment,
    due_state,
)
from enrollments.selectors import enrollments_due
from organizations.models import ImportJob, ImportJobStatus, Role
from organizations.permissions import NotPermitted
from tests import factories
from tests.enrollments.conftest import right_answers

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def program(acme):
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    for order in range(2):
        course = factories.published_course(acme, lessons=1, questions=1, title=f"Course {order + 1}")
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


def finish_course(membership, course) -> None:
    """Do every lesson and pass the check, as the learner would."""
    for lesson in course.lessons.all():
        services.lesson_complete(membership=membership, lesson=lesson)
    if course.questions.exists():
        attempt = services.attempt_start(membership=membership, course=course)
        services.attempt_submit(attempt_id=attempt.pk, membership=membership, responses=right_answers(course))


def courses_of(program):
    return [pc.course for pc in program.program_courses.select_related("course").order_by("order")]


# --- Assigning ----------------------------------------------------------------------------------


def test_a_team_assignment_enrolls_the_team_once_and_again_creates_nothing(alice, bob, carol, front_desk, program):
    # given a second person in the team and one outside it
    dave = factories.member(carol.organization, team=front_desk)
    outsider = factories.member(carol.organization)

    # when bob assigns the program to his team twice
    first = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14, now=NOW
    )
    second = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14, now=NOW
    )

    # then carol and dave have one enrollment each, the outsider none
    assert first.enrolled == 2
    assert second.enrolled == 0
    assert sorted(Enrollment.objects.values_list("membership_id", flat=True)) == sorted([carol.pk, dave.pk])
    assert not Enrollment.objects.filter(membership=outsider).exists()


def test_the_earliest_due_date_wins(alice, carol, front_desk, program):
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.TEAM,
        team=front_desk,
        due_on=date(2026, 4, 30),
        now=NOW,
    )
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=date(2026, 4, 1),
        now=NOW,
    )
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=date(2026, 5, 20),
        now=NOW,
    )

    enrollment = Enrollment.objects.get(membership=carol)
    assert enrollment.due_on == date(2026, 4, 1)


def test_managers_are_confined_to_their_teams(acme, alice, bob, carol, front_desk, program):
    other_team = factories.TeamFactory(organization=acme, name="Kitchen")
    cook = factories.member(acme, team=other_team)

    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=bob, program=program, audience=AssignmentAudience.TEAM, team=other_team, due_days=7
        )
    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=bob, program=program, audience=AssignmentAudience.PEOPLE, people=[cook], due_days=7
        )
    with pytest.raises(NotPermitted):
        services.assignment_create(actor=bob, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=7)
    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=carol, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=7
        )
    assert not Assignment.objects.exists()
    assert not Enrollment.objects.exists()

    # an admin may assign anywhere
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=other_team, due_days=7
    )
    assert list(Enrollment.objects.values_list("membership_id", flat=True)) == [cook.pk]


def test_another_organizations_program_team_or_person_is_refused(alice, charlie, globex, program, front_desk):
    globex_program = factories.ProgramFactory(organization=globex)
    globex_team = factories.TeamFactory(organization=globex)
    globex_person = factories.member(globex)

    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=alice, program=globex_program, audience=AssignmentAudience.ORGANIZATION, due_days=7
        )
    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.TEAM, team=globex_team, due_days=7
        )
    with pytest.raises(NotPermitted):
        services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[globex_person], due_days=7
        )
    with pytest.raises(NotPermitted):
        services.assignment_create(actor=charlie, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=7)
    assert not Enrollment.objects.exists()


def test_a_program_with_a_draft_course_cannot_be_assigned(alice, acme, program, front_desk):
    draft = factories.CourseFactory(organization=acme, title="Unfinished", status=CourseStatus.DRAFT)
    factories.ProgramCourseFactory(program=program, course=draft, order=9)

    with pytest.raises(ValidationError, match="Unfinished"):
        services.assignment_create(actor=alice, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=7)
    assert not Assignment.objects.exists()


# --- Standing rules -----------------------------------------------------------------------------


def test_people_who_join_the_team_or_the_organization_later_are_enrolled_by_the_reconcile(
    acme, alice, front_desk, program
):
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    )
    course = factories.published_course(acme, lessons=1, questions=0, title="Welcome")
    services.assignment_create(actor=alice, course=course, audience=AssignmentAudience.ORGANIZATION, due_days=7)
    before = Enrollment.objects.count()

    # given a person who joins the front desk, and one who joins the organization without a team
    joiner = factories.member(acme, team=front_desk)
    loner = factories.member(acme)

    # when beat runs the reconcile (twice: the second run finds nothing to do)
    written = services.enrollments_reconcile()
    again = services.enrollments_reconcile()

    # then the joiner has the program and the course, the loner only the course
    assert written == 3 and again == 0
    assert Enrollment.objects.count() == before + 3
    assert set(Enrollment.objects.filter(membership=joiner).values_list("program_id", "course_id")) == {
        (program.pk, None),
        (None, course.pk),
    }
    assert list(Enrollment.objects.filter(membership=loner).values_list("course_id", flat=True)) == [course.pk]


def test_the_reconcile_task_runs_the_reconcile(acme, alice, front_desk, program):
    from enrollments.tasks import enrollments_reconcile

    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    )
    joiner = factories.member(acme, team=front_desk)

    assert enrollments_reconcile.apply().get() == 1
    assert Enrollment.objects.filter(membership=joiner, program=program).exists()


def test_deactivating_or_moving_someone_keeps_their_history_and_the_reconcile_does_not_reenroll(
    acme, alice, carol, front_desk, program
):
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    )
    finish_course(carol, courses_of(program)[0])
    dave = factories.member(acme, team=front_desk)
    services.enrollments_reconcile()

    carol.team = None
    carol.save(update_fields=["team"])
    dave.is_active = False
    dave.save(update_fields=["is_active"])
    services.enrollments_reconcile()

    assert Enrollment.objects.filter(membership=carol).count() == 1
    assert Enrollment.objects.filter(membership=dave).count() == 1
    assert carol.course_progress.filter(completed_at__isnull=False).count() == 1


def test_someone_who_already_completed_the_program_is_not_enrolled_again(alice, carol, front_desk, program):
    first = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=7
    )
    for course in courses_of(program):
        finish_course(carol, course)
    assert Enrollment.objects.get(assignment=first.assignment).completed_at is not None

    again = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    )

    assert again.enrolled == 0
    assert Enrollment.objects.filter(membership=carol).count() == 1


def test_courses_done_before_the_assignment_complete_the_enrollment_at_once(alice, carol, program):
    for course in courses_of(program):
        finish_course(carol, course)

    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=7
    )

    enrollment = Enrollment.objects.get(membership=carol)
    assert enrollment.completed_at is not None
    assert CompletionEvent.objects.filter(kind=CompletionEventKind.ENROLLMENT, enrollment=enrollment).count() == 1


# --- Cancelling ---------------------------------------------------------------------------------


def test_cancelling_stops_it_for_people_who_have_not_started_and_keeps_the_records_of_those_who_have(
    acme, alice, bob, carol, front_desk, program
):
    dave = factories.member(acme, team=front_desk)
    outcome = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    )
    lesson = courses_of(program)[0].lessons.first()
    services.lesson_complete(membership=carol, lesson=lesson)

    cancelled = services.assignment_cancel(actor=bob, assignment=outcome.assignment)
    again = services.assignment_cancel(actor=bob, assignment=outcome.assignment)

    assert (cancelled, again) == (1, 0)
    assert Enrollment.objects.get(membership=carol).cancelled_at is None
    assert Enrollment.objects.get(membership=dave).cancelled_at is not None
    # a standing rule cancelled no longer reaches joiners
    factories.member(acme, team=front_desk)
    assert services.enrollments_reconcile() == 0


def test_cancelling_one_assignment_leaves_people_another_assignment_reaches_enrolled(
    acme, alice, carol, front_desk, program
):
    team_rule = services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.TEAM,
        team=front_desk,
        due_on=date(2026, 6, 1),
        now=NOW,
    )
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.ORGANIZATION, due_on=date(2026, 9, 1), now=NOW
    )

    services.assignment_cancel(actor=alice, assignment=team_rule.assignment)

    open_ones = Enrollment.objects.open().filter(membership=carol)
    assert [e.due_on for e in open_ones] == [date(2026, 9, 1)]


def test_a_manager_cannot_cancel_an_assignment_outside_their_teams(acme, alice, bob, program):
    kitchen = factories.TeamFactory(organization=acme, name="Kitchen")
    factories.member(acme, team=kitchen)
    outcome = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=kitchen, due_days=7
    )

    with pytest.raises(NotPermitted):
        services.assignment_cancel(actor=bob, assignment=outcome.assignment)
    assert Assignment.objects.get().cancelled_at is None


# --- Due dates ----------------------------------------------------------------------------------


def test_a_due_date_ends_at_the_end_of_that_day_in_the_persons_own_time_zone(acme, alice, front_desk, program):
    tokyo = factories.member(acme, team=front_desk, user__time_zone="Asia/Tokyo")
    chicago = factories.member(acme, team=front_desk, user__time_zone="America/Chicago")

    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.TEAM,
        team=front_desk,
        due_on=date(2026, 3, 20),
        now=NOW,
    )

    tokyo_due = Enrollment.objects.get(membership=tokyo).due_at
    chicago_due = Enrollment.objects.get(membership=chicago).due_at
    assert tokyo_due == datetime(2026, 3, 20, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert chicago_due == datetime(2026, 3, 20, 23, 59, 59, 999999, tzinfo=ZoneInfo("America/Chicago"))
    assert chicago_due - tokyo_due == timedelta(hours=14)  # UTC+9 and, on daylight time by 20 March, UTC-5


def test_relative_due_dates_across_a_daylight_saving_change(acme, alice, front_desk, program):
    # given a person in New York, where clocks move forward on Sunday 8 March 2026
    person = factories.member(acme, team=front_desk, user__time_zone="America/New_York")
    assigned = datetime(2026, 3, 5, 4, 30, tzinfo=UTC)  # still 4 March, 23:30, in New York

    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7, now=assigned
    )

    enrollment = Enrollment.objects.get(membership=person)
    assert enrollment.due_on == date(2026, 3, 11)  # 4 March + 7 days, counted on New York's calendar
    assert enrollment.due_at == datetime(2026, 3, 12, 3, 59, 59, 999999, tzinfo=UTC)  # 23:59:59 EDT (UTC-4)
    ny = ZoneInfo("America/New_York")
    just_before = datetime(2026, 3, 11, 23, 59, tzinfo=ny)
    just_after = datetime(2026, 3, 12, 0, 0, 1, tzinfo=ny)
    assert enrollment.due_state(now=just_before, time_zone="America/New_York") == DueState.DUE_TODAY
    assert enrollment.due_state(now=just_after, time_zone="America/New_York") == DueState.OVERDUE


def test_after_joining_counts_from_the_join_day_for_joiners_and_from_the_assignment_for_those_already_there(
    acme, alice, front_desk, program
):
    veteran = factories.member(acme, team=front_desk, joined_at=datetime(2024, 1, 1, tzinfo=UTC))
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.TEAM,
        team=front_desk,
        due_days=10,
        due_from=DueFrom.JOINED,
        now=NOW,
    )
    joiner = factories.member(acme, team=front_desk, joined_at=NOW + timedelta(days=20))
    services.enrollments_reconcile()

    assert Enrollment.objects.get(membership=veteran).due_on == date(2026, 3, 12)
    assert Enrollment.objects.get(membership=joiner).due_on == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 10, 12, 0, tzinfo=UTC), DueState.ON_TRACK),  # 10 days left
        (datetime(2026, 3, 17, 12, 0, tzinfo=UTC), DueState.DUE_SOON),  # 3 days left
        (datetime(2026, 3, 20, 0, 30, tzinfo=UTC), DueState.DUE_SOON),  # still 19 March in Los Angeles
        (datetime(2026, 3, 20, 12, 0, tzinfo=UTC), DueState.DUE_TODAY),
        (datetime(2026, 3, 21, 6, 59, tzinfo=UTC), DueState.DUE_TODAY),  # 23:59 on 20 March in Los Angeles
        (datetime(2026, 3, 21, 7, 0, tzinfo=UTC), DueState.OVERDUE),
    ],
)
def test_due_state_is_computed_on_the_persons_own_calendar(now, expected):
    zone = ZoneInfo("America/Los_Angeles")
    due_at = datetime(2026, 3, 20, 23, 59, 59, 999999, tzinfo=zone)
    state = due_state(
        due_on=date(2026, 3, 20), due_at=due_at, completed_at=None, now=now, time_zone="America/Los_Angeles"
    )
    assert state == expected


def test_enrollments_due_lists_each_state_in_each_persons_zone(acme, alice, front_desk, program):
    tokyo = factories.member(acme, team=front_desk, user__time_zone="Asia/Tokyo")
    honolulu = factories.member(acme, team=front_desk, user__time_zone="Pacific/Honolulu")
    services.assignment_create(
        actor=alice,
        program=program,
        audience=AssignmentAudience.TEAM,
        team=front_desk,
        due_on=date(2026, 3, 20),
        now=NOW,
    )
    # 20 March, 16:00 UTC: 21 March 01:00 in Tokyo (overdue), 20 March 06:00 in Honolulu (due today)
    now = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)

    states = {row.enrollment.membership_id: row.state for row in enrollments_due(now=now)}

    assert states[tokyo.pk] == DueState.OVERDUE
    assert states[honolulu.pk] == DueState.DUE_TODAY


# --- Completion ---------------------------------------------------------------------------------


def test_completing_the_last_course_completes_the_enrollment_and_appends_one_event_each(
    alice, carol, front_desk, program
):
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    )
    first, last = courses_of(program)

    finish_course(carol, first)
    enrollment = Enrollment.objects.get(membership=carol)
    assert enrollment.completed_at is None

    finish_course(carol, last)
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    kinds = list(CompletionEvent.objects.filter(membership=carol).values_list("kind", "course_id", "enrollment_id"))
    assert kinds == [
        (CompletionEventKind.COURSE, first.pk, None),
        (CompletionEventKind.COURSE, last.pk, None),
        (CompletionEventKind.ENROLLMENT, None, enrollment.pk),
    ]


def test_claiming_events_is_exclusive_and_a_dead_consumers_claim_returns_after_its_lease(alice, carol, program):
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=7
    )
    for course in courses_of(program):
        finish_course(carol, course)
    assert CompletionEvent.objects.count() == 3
    now = datetime.now(UTC)

    token_a, claimed_a = services.completion_events_claim(limit=2, now=now)
    token_b, claimed_b = services.completion_events_claim(limit=10, now=now)
    assert len(claimed_a) == 2 and len(claimed_b) == 1
    assert not {e.pk for e in claimed_a} & {e.pk for e in claimed_b}

    # consumer B processes its row; consumer A dies without processing
    assert services.completion_events_processed(token=token_b, ids=[e.pk for e in claimed_b], now=now) == 1
    assert services.completion_events_claim(now=now + timedelta(minutes=1))[1] == []
    token_c, claimed_c = services.completion_events_claim(now=now + timedelta(minutes=6))
    assert sorted(e.pk for e in claimed_c) == sorted(e.pk for e in claimed_a)
    # A wakes up late: its token no longer holds the rows
    assert services.completion_events_processed(token=token_a, ids=[e.pk for e in claimed_a]) == 0
    assert services.completion_events_processed(token=token_c, ids=[e.pk for e in claimed_c]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_reconciles_enroll_each_person_once(acme, alice, program):
    team = factories.TeamFactory(organization=acme, name="Lobby")
    services.assignment_create(actor=alice, program=program, audience=AssignmentAudience.TEAM, team=team, due_days=7)
    for _ in range(30):
        factories.member(acme, team=team)
    # Both runs read the gaps before either writes: the second's upsert must find the first's rows.
    barrier = threading.Barrier(2, timeout=10)
    real_reached = services.assignments._reached

    def reached_then_wait(**kwargs):
        rows = real_reached(**kwargs)
        barrier.wait()
        return rows

    results, errors = [], []

    def run():
        try:
            results.append(services.enrollments_reconcile())
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    services.assignments._reached = reached_then_wait
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        services.assignments._reached = real_reached

    assert errors == []
    assert sorted(results)[1] == 30  # one run wrote all 30 rows; the other's upsert found them there
    assert Enrollment.objects.filter(program=program).count() == 30 + 0  # alice is not in the team
    assert connection.vendor == "postgresql"


# --- Bulk ---------------------------------------------------------------------------------------


def test_a_large_audience_is_enrolled_by_a_job_that_resumes_and_reports_progress(
    acme, alice, program, monkeypatch, django_capture_on_commit_callbacks
):
    from enrollments.services import assignments

    monkeypatch.setattr(assignments, "ASSIGN_IN_BACKGROUND_OVER", 5)
    monkeypatch.setattr(assignments, "ENROLL_BATCH_SIZE", 4)
    team = factories.TeamFactory(organization=acme, name="Lobby")
    people = [factories.member(acme, team=team) for _ in range(10)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.TEAM, team=team, due_days=7
        )
    assert outcome.job is not None and outcome.enrolled == 0
    assert len(callbacks) == 1
    assert not Enrollment.objects.exists()

    services.assignment_job_run(job=outcome.job)
    services.assignment_job_run(job=ImportJob.objects.get(pk=outcome.job.pk))  # a redelivered task

    job = ImportJob.objects.get(pk=outcome.job.pk)
    assert (job.status, job.done, job.total) == (ImportJobStatus.DONE, 10, 10)
    assert sorted(Enrollment.objects.values_list("membership_id", flat=True)) == sorted(p.pk for p in people)


def test_bulk_assignment_statement_count_does_not_grow_with_the_audience(
    acme, alice, program, django_assert_max_num_queries
):
    def assign_to_new_team(size: int) -> int:
        team = factories.TeamFactory(organization=acme)
        for _ in range(size):
            factories.member(acme, team=team)
        with django_assert_max_num_queries(30) as captured:
            outcome = services.assignment_create(
                actor=alice, program=program, audience=AssignmentAudience.TEAM, team=team, due_days=7
            )
        assert outcome.enrolled == size
        return len(captured)

    assert assign_to_new_team(5) == assign_to_new_team(60)


def test_roles_other_than_employee_are_enrolled_by_an_organization_assignment(acme, alice, bob, carol, program):
    services.assignment_create(actor=alice, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=7)
    assert sorted(Enrollment.objects.values_list("membership_id", flat=True)) == sorted([alice.pk, bob.pk, carol.pk])
    assert {m.role for m in (alice, bob, carol)} == {Role.ADMIN, Role.MANAGER, Role.EMPLOYEE}
