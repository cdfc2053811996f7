"""The assignment pages (list, new, one assignment, cancel), the import-job page of an assignment job,
and the program context in the course player."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollments import services
from enrollments.models import Assignment, AssignmentAudience, CourseProgress, Enrollment
from enrollments.services import assignments as assignment_services
from organizations.models import ImportJob, ImportJobKind, Role
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for
from tests.enrollments.test_assignments import courses_of, finish_course

LIST = reverse("enrollments:assignment_list")
NEW = reverse("enrollments:assignment_create")
MANAGER_BUDGET = 20


def detail_url(assignment) -> str:
    return reverse("enrollments:assignment_detail", kwargs={"assignment_id": assignment.pk})


def cancel_url(assignment) -> str:
    return reverse("enrollments:assignment_cancel", kwargs={"assignment_id": assignment.pk})


@pytest.fixture
def kitchen(acme):
    return factories.TeamFactory(organization=acme, name="Kitchen")


@pytest.fixture
def cook(acme, kitchen):
    return factories.member(acme, team=kitchen, user__name="Cook Kitchen")


@pytest.fixture
def program(acme):
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    for order in range(2):
        course = factories.published_course(acme, lessons=1, questions=1, title=f"Course {order + 1}")
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


def team_post(program, team, **extra) -> dict:
    return {
        "program": program.pk, "course": "", "audience": "team", "team": team.pk,
        "due_kind": "days", "due_days": "14", "due_from": "assigned", **extra,
    }  # fmt: skip


# --- Who may ---------------------------------------------------------------------------------------


def test_an_employee_gets_404_everywhere(carol, bob, front_desk, program):
    assignment = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    ).assignment
    client = client_for(carol)

    for url in (LIST, NEW, detail_url(assignment), cancel_url(assignment)):
        assert client.get(url).status_code == 404
        assert client.post(url, team_post(program, front_desk)).status_code == 404
    assert Assignment.objects.count() == 1
    assert "Assignments" not in client.get(reverse("enrollments:my_learning")).content.decode()


def test_another_organizations_assignment_is_404(bob, globex, charlie, program):
    theirs_team = factories.TeamFactory(organization=globex)
    theirs_program = factories.ProgramFactory(organization=globex)
    factories.ProgramCourseFactory(program=theirs_program, course=factories.published_course(globex, lessons=1))
    theirs = services.assignment_create(
        actor=charlie, program=theirs_program, audience=AssignmentAudience.TEAM, team=theirs_team, due_days=7
    ).assignment

    client = client_for(bob)
    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(cancel_url(theirs)).status_code == 404
    assert client.post(cancel_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None


def test_a_manager_sees_and_is_offered_only_their_teams(alice, bob, carol, cook, front_desk, kitchen, program):
    ours = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    ).assignment
    theirs = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=kitchen, due_days=7
    ).assignment
    client = client_for(bob)

    listing = client.get(LIST).content.decode()
    form = client.get(NEW).context["form"]

    assert detail_url(ours) in listing and detail_url(theirs) not in listing
    assert client.get(detail_url(theirs)).status_code == 404
    assert list(form.fields["team"].queryset) == [front_desk]
    assert list(form.fields["people"].queryset) == [carol]
    assert "organization" not in dict(form.fields["audience"].choices)
    # an admin sees both and may assign to everyone
    admin_form = client_for(alice).get(NEW).context["form"]
    assert "organization" in dict(admin_form.fields["audience"].choices)
    assert {ours.pk, theirs.pk} <= {a.pk for a in client_for(alice).get(LIST).context["page"].object_list}


@pytest.mark.parametrize(
    "changes",
    [
        {"team": "kitchen"},
        {"audience": "people", "team": "", "people": "cook"},
        {"audience": "organization", "team": ""},
    ],
    ids=["another team", "a person of another team", "everyone"],
)
def test_a_manager_posting_outside_their_teams_gets_a_form_error_and_nothing_is_written(
    changes, bob, cook, front_desk, kitchen, program
):
    data = team_post(program, front_desk)
    for key, value in changes.items():
        data[key] = {"kitchen": kitchen.pk, "cook": cook.pk}.get(value, value)

    response = client_for(bob).post(NEW, data)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Assignment.objects.exists()
    assert not Enrollment.objects.exists()


def test_query_parameters_preselect_only_the_members_own_choices(bob, front_desk, kitchen, program, globex):
    client = client_for(bob)
    theirs = factories.ProgramFactory(organization=globex)

    mine = client.get(f"{NEW}?program={program.pk}&team={front_desk.pk}").context["form"]
    others = client.get(f"{NEW}?program={theirs.pk}&team={kitchen.pk}").context["form"]

    assert mine.initial["program"] == program.pk and mine.initial["team"] == front_desk.pk
    assert "program" not in others.initial and "team" not in others.initial


# --- Assigning -------------------------------------------------------------------------------------


def test_a_manager_assigns_a_program_to_their_team_with_a_relative_due_date(bob, carol, front_desk, program):
    response = client_for(bob).post(NEW, team_post(program, front_desk, due_from="joined"), follow=True)

    assignment = Assignment.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(assignment)
    assert (assignment.due_days, assignment.due_from, assignment.team) == (14, "joined", front_desk)
    body = response.content.decode()
    assert "1 person enrolled." in body
    assert "Carol Employee" in body and "Not started" in body
    assert Enrollment.objects.get().membership == carol


def test_a_due_date_or_days_is_required_and_a_single_course_works(alice, carol, front_desk, program):
    client = client_for(alice)
    course = courses_of(program)[0]
    missing = {"program": "", "course": course.pk, "audience": "people", "people": [carol.pk], "due_kind": "date"}

    refused = client.post(NEW, missing)
    accepted = client.post(NEW, {**missing, "due_on": (timezone.localdate() + timedelta(days=10)).isoformat()})
    both = client.post(NEW, {**missing, "program": program.pk, "due_on": "2030-01-01"})

    assert refused.status_code == 400 and "due_on" in refused.context["form"].errors
    assert accepted.status_code == 302
    assert both.status_code == 400 and "program" in both.context["form"].errors
    assert list(Assignment.objects.values_list("course_id", "audience")) == [(course.pk, "people")]


def test_a_draft_course_in_the_program_is_a_form_error(alice, acme, front_desk, program):
    factories.ProgramCourseFactory(program=program, course=factories.CourseFactory(organization=acme), order=5)

    response = client_for(alice).post(NEW, team_post(program, front_desk))

    assert response.status_code == 400
    assert "Publish" in str(response.context["form"].non_field_errors())
    assert not Assignment.objects.exists()


def test_submitting_twice_makes_one_assignment(bob, carol, front_desk, program):
    client = client_for(bob)

    first = client.post(NEW, team_post(program, front_desk))
    second = client.post(NEW, team_post(program, front_desk), follow=True)

    assignment = Assignment.objects.get()
    assert first.url == detail_url(assignment)
    assert second.redirect_chain[-1][0] == detail_url(assignment)
    assert "had just been made" in second.content.decode()
    # a different due rule is a different decision
    client.post(NEW, team_post(program, front_desk, due_days="30"))
    assert Assignment.objects.count() == 2


def test_the_same_assignment_later_is_a_new_one(bob, front_desk, program):
    then = timezone.now() - assignment_services.REPEAT_WINDOW - timedelta(seconds=1)
    services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14, now=then
    )

    client_for(bob).post(NEW, team_post(program, front_desk))

    assert Assignment.objects.count() == 2


def test_a_large_audience_goes_to_the_job_page_worded_as_an_assignment(monkeypatch, alice, acme, front_desk, program):
    monkeypatch.setattr(assignment_services, "ASSIGN_IN_BACKGROUND_OVER", 1)
    for _ in range(2):
        factories.member(acme, team=front_desk)
    client = client_for(alice)

    response = client.post(NEW, team_post(program, front_desk))

    job = ImportJob.objects.get(kind=ImportJobKind.ASSIGNMENT)
    assert response.url == reverse("organizations:import_job", kwargs={"job_id": job.pk})
    running = client.get(response.url).content.decode()
    assert "Enrolling 3 people" in running and "people enrolled" in running
    services.assignment_job_run(job=job)
    done = client.get(response.url).content.decode()
    assignment = Assignment.objects.get()
    assert "Enrolled 3 of 3 people" in done
    assert f'href="{detail_url(assignment)}"' in done and "See the assignment" in done
    assert Enrollment.objects.filter(assignment=assignment).count() == 3


def test_the_job_page_links_back_only_to_a_local_path(alice, acme):
    job = ImportJob.objects.create(
        organization=acme, created_by=alice, kind=ImportJobKind.ASSIGNMENT, total=1,
        payload={"assignment_id": 1, "membership_ids": [], "return_url": "https://evil.example/x"},
    )  # fmt: skip
    slashes = ImportJob.objects.create(
        organization=acme, created_by=alice, kind=ImportJobKind.ASSIGNMENT, total=1,
        payload={"assignment_id": 1, "membership_ids": [], "return_url": "//evil.example/x"},
    )  # fmt: skip
    client = client_for(alice)

    for one in (job, slashes):
        body = client.get(reverse("organizations:import_job", kwargs={"job_id": one.pk})).content.decode()
        assert "evil.example" not in body


# --- One assignment and cancelling ---------------------------------------------------------------------


def test_the_assignment_page_shows_each_persons_state(alice, acme, bob, carol, front_desk, program):
    dave = factories.member(acme, team=front_desk, user__name="Dave Done")
    erin = factories.member(acme, team=front_desk, user__name="Erin Started")
    frank = factories.member(acme, team=front_desk, user__name="Frank Late")
    then = timezone.now() - timedelta(days=30)
    late = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[frank], due_days=3, now=then
    ).assignment
    assignment = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    ).assignment
    for course in courses_of(program):
        finish_course(dave, course)
    CourseProgress.objects.create(membership=erin, course=courses_of(program)[0])

    rows = {
        row.enrollment.membership_id: row.state for row in client_for(bob).get(detail_url(assignment)).context["rows"]
    }
    late_rows = {
        row.enrollment.membership_id: row.state for row in client_for(alice).get(detail_url(late)).context["rows"]
    }

    assert rows == {carol.pk: "Not started", dave.pk: "Completed", erin.pk: "In progress"}
    assert late_rows == {frank.pk: "Overdue"}


def test_cancelling_asks_first_then_keeps_those_who_started(bob, carol, acme, front_desk, program):
    erin = factories.member(acme, team=front_desk)
    assignment = services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=14
    ).assignment
    CourseProgress.objects.create(membership=erin, course=courses_of(program)[0])
    client = client_for(bob)

    confirm = client.get(cancel_url(assignment)).content.decode()
    assert Assignment.objects.get().cancelled_at is None
    assert "keep their enrollment, their progress" in confirm
    response = client.post(cancel_url(assignment), follow=True)

    assignment.refresh_from_db()
    assert assignment.is_cancelled
    assert "1 enrollment of people who had not started stopped" in response.content.decode()
    assert Enrollment.objects.get(membership=carol).cancelled_at is not None
    assert Enrollment.objects.get(membership=erin).cancelled_at is None
    again = client.post(cancel_url(assignment), follow=True)
    assert "already cancelled" in again.content.decode()


def test_a_manager_cannot_cancel_another_teams_assignment(alice, bob, kitchen, cook, program):
    theirs = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=kitchen, due_days=7
    ).assignment

    assert client_for(bob).post(cancel_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None


# --- Query counts ------------------------------------------------------------------------------------

LIST_QUERIES = REQUEST_PATH_QUERIES + 2  # the paginator's count; the page with its three counts
DETAIL_QUERIES = REQUEST_PATH_QUERIES + 3  # the assignment; paginator count; the page of people


def _populate(acme, alice, team, program, *, people: int, assignments: int) -> Assignment:
    factories.MembershipFactory.create_batch(people, organization=acme, team=team, role=Role.EMPLOYEE)
    made = None
    for number in range(assignments):
        made = services.assignment_create(
            actor=alice, program=program, audience=AssignmentAudience.TEAM, team=team, due_days=7 + number
        ).assignment
    return made


@pytest.mark.parametrize("size", [1, 12])
def test_the_list_costs_the_same_at_any_size(size, acme, alice, bob, front_desk, program, django_assert_num_queries):
    _populate(acme, alice, front_desk, program, people=size, assignments=size)
    client = client_for(bob)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST)

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == size
    assert LIST_QUERIES <= MANAGER_BUDGET


@pytest.mark.parametrize("size", [1, 40])
def test_the_assignment_page_costs_the_same_at_any_size(
    size, acme, alice, bob, front_desk, program, django_assert_num_queries
):
    assignment = _populate(acme, alice, front_desk, program, people=size, assignments=1)
    client = client_for(bob)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(assignment))

    assert response.status_code == 200
    assert response.context["page"].paginator.count == size + 1  # and carol
    assert DETAIL_QUERIES <= MANAGER_BUDGET


# --- The program in the course player -----------------------------------------------------------------


def test_the_player_says_where_the_course_sits_in_the_program(bob, carol, front_desk, program):
    first, second = courses_of(program)
    client = client_for(carol)
    before = client.get(reverse("enrollments:course", kwargs={"course_id": second.pk})).content.decode()
    services.assignment_create(
        actor=bob, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    )

    course_page = client.get(reverse("enrollments:course", kwargs={"course_id": second.pk})).content.decode()
    lesson = second.lessons.first()
    lesson_page = client.get(
        reverse("enrollments:lesson", kwargs={"course_id": second.pk, "lesson_id": lesson.pk})
    ).content.decode()
    finish_course(carol, first)
    done_first = client.get(reverse("enrollments:course", kwargs={"course_id": first.pk})).content.decode()

    assert "New starter essentials" not in before
    assert "Course 2 of 2 in New starter essentials" in course_page
    assert "Course 2 of 2 in New starter essentials" in lesson_page
    assert "Course 1 of 2 in New starter essentials" in done_first
    assert f"Next course: {second.title}" in done_first
    assert "Next course" not in course_page


def test_a_manager_sees_only_their_teams_people_of_an_assignment_to_chosen_people(alice, bob, carol, cook, front_desk):
    program = factories.ProgramFactory(organization=carol.organization)
    factories.ProgramCourseFactory(program=program, course=factories.published_course(carol.organization, lessons=1))
    assignment = services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol, cook], due_days=7
    ).assignment

    bobs = [row.enrollment.membership_id for row in client_for(bob).get(detail_url(assignment)).context["rows"]]
    alices = [row.enrollment.membership_id for row in client_for(alice).get(detail_url(assignment)).context["rows"]]

    assert bobs == [carol.pk]
    assert sorted(alices) == sorted([carol.pk, cook.pk])


def test_the_team_pages_link_to_a_new_assignment(alice, bob, front_desk):
    assert f"{NEW}?team={front_desk.pk}" in client_for(alice).get(reverse("organizations:team_list")).content.decode()
    assert NEW in client_for(bob).get(reverse("organizations:member_list")).content.decode()
