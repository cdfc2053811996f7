"""The manager's dashboard, a person's page and the CSV export (enrollments.dashboard_*)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.csv_export import csv_text, safe_cell
from enrollments.models import AssignmentAudience
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for
from tests.enrollments.test_assignments import finish_course

PAST = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def kitchen(acme):
    team = factories.TeamFactory(organization=acme, name="Kitchen")
    factories.member(acme, team=team, user__name="Kim Cook")
    return team


@pytest.fixture
def program(acme):
    program = factories.ProgramFactory(organization=acme, title="New starter essentials")
    course = factories.published_course(acme, lessons=1, questions=0, title="Greeting")
    factories.ProgramCourseFactory(program=program, course=course)
    return program


def _people_names(response) -> list[str]:
    return [item["row"].user.display_name for item in response.context["people"]]


def test_a_manager_sees_only_the_teams_they_manage(alice, bob, carol, front_desk, kitchen, program):
    services.assignment_create(actor=alice, program=program, audience=AssignmentAudience.ORGANIZATION, due_days=7)

    mine = client_for(bob).get(reverse("enrollments:dashboard"))
    everyone = client_for(alice).get(reverse("enrollments:dashboard"))

    assert _people_names(mine) == ["Carol Employee"]
    assert "Kim Cook" not in mine.content.decode()
    assert {"Carol Employee", "Kim Cook", "Alice Admin", "Bob Manager"} <= set(_people_names(everyone))


def test_employees_and_other_organizations_get_404(carol, charlie, bob, front_desk):
    assert client_for(carol).get(reverse("enrollments:dashboard")).status_code == 404
    assert client_for(carol).get(reverse("enrollments:dashboard_export")).status_code == 404
    assert client_for(charlie).get(reverse("enrollments:person", args=[carol.pk])).status_code == 404


def test_a_manager_cannot_open_a_person_outside_their_teams(acme, bob, carol, front_desk, kitchen):
    cook = kitchen.members.get()

    assert client_for(bob).get(reverse("enrollments:person", args=[carol.pk])).status_code == 200
    assert client_for(bob).get(reverse("enrollments:person", args=[cook.pk])).status_code == 404


def test_filtering_by_a_team_not_managed_is_a_form_error_and_shows_nothing_of_it(bob, front_desk, kitchen):
    response = client_for(bob).get(reverse("enrollments:dashboard"), {"team": kitchen.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["team"]
    assert "Kim Cook" not in response.content.decode()


def test_statuses_filter_the_table(acme, alice, bob, carol, front_desk, program):
    dave = factories.member(acme, team=front_desk, user__name="Dave Late")
    erin = factories.member(acme, team=front_desk, user__name="Erin Done")
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[dave], due_days=3, now=PAST
    )
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol, erin], due_days=30
    )
    finish_course(erin, program.program_courses.get().course)
    client = client_for(bob)

    def names(status: str) -> list[str]:
        return _people_names(client.get(reverse("enrollments:dashboard"), {"status": status}))

    assert names("overdue") == ["Dave Late"]
    assert names("not_started") == ["Carol Employee"]
    assert names("completed") == ["Erin Done"]
    services.lesson_visit(membership=carol, lesson=program.program_courses.get().course.lessons.get())
    assert names("in_progress") == ["Carol Employee"]


def test_htmx_requests_get_only_the_results(bob, front_desk):
    response = client_for(bob).get(reverse("enrollments:dashboard"), {"status": "overdue"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html and 'id="people-heading"' in html


def test_the_summary_counts_completion_overdue_and_not_started(acme, alice, bob, carol, front_desk, program):
    late = factories.member(acme, team=front_desk, user__name="Dave Late")
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[late], due_days=3, now=PAST
    )
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.PEOPLE, people=[carol], due_days=9
    )

    summary = client_for(bob).get(reverse("enrollments:dashboard")).context["summary"]

    assert [(row.title, row.assigned, row.completed) for row in summary.by_program] == [
        ("New starter essentials", 2, 0)
    ]
    assert summary.overdue_count == 1 and summary.overdue[0].membership == late
    assert summary.not_started_count == 1 and summary.not_started[0].membership == carol
    assert len(summary.weeks) == 12 and [row.title for row in summary.by_team] == ["Front desk"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.test","click")', '\'=HYPERLINK("http://evil.test","click")'),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Zoë O'Brien", "Zoë O'Brien"),
        (3, "3"),
        (None, ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralized(value, expected):
    assert safe_cell(value) == expected


def test_csv_is_rfc_4180_with_quotes_doubled_and_crlf():
    text = csv_text(header=["Name", "Note"], rows=[['Ann "Boss" Lee', "a,b"], ["=1+1", "line\nbreak"]])

    assert text.startswith("\ufeffName,Note\r\n")
    assert '"Ann ""Boss"" Lee","a,b"\r\n' in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["Name", "Note"], ['Ann "Boss" Lee', "a,b"], ["'=1+1", "line\nbreak"]]


def test_the_export_has_the_filtered_table_and_no_formula_cell(acme, alice, bob, carol, front_desk, program):
    factories.member(acme, team=front_desk, user__name='=HYPERLINK("http://evil.test")')
    services.assignment_create(
        actor=alice, program=program, audience=AssignmentAudience.TEAM, team=front_desk, due_days=7
    )

    response = client_for(bob).get(reverse("enrollments:dashboard_export"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Name", "Email", "Team", "Status"]
    assert {row[0] for row in rows[1:]} == {"Carol Employee", '\'=HYPERLINK("http://evil.test")'}
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_managers_and_admins_land_on_the_dashboard(alice, bob, carol):
    assert client_for(bob).get("/")["Location"] == reverse("enrollments:dashboard")
    assert client_for(alice).get("/")["Location"] == reverse("enrollments:dashboard")
    assert client_for(carol).get("/").status_code == 200


def test_the_people_list_is_paginated(acme, alice):
    for _ in range(55):
        factories.member(acme)

    response = client_for(alice).get(reverse("organizations:member_list"))

    assert len(response.context["members"]) == 50
    assert "Page 1 of 2" in response.content.decode()


def _team_of(acme, manager, size: int, program):
    team = factories.TeamFactory(organization=acme)
    team.managers.add(manager)
    people = [factories.member(acme, team=team) for _ in range(size)]
    services.assignment_create(actor=manager, program=program, audience=AssignmentAudience.TEAM, team=team, due_days=7)
    for person in people[::3]:
        finish_course(person, program.program_courses.first().course)
    return team


@pytest.mark.parametrize(("people", "programs"), [(5, 1), (60, 4)])
def test_dashboard_and_person_page_queries_do_not_grow(people, programs, acme, bob, django_assert_num_queries):
    for index in range(programs):
        program = factories.ProgramFactory(organization=acme, title=f"Program {index}")
        factories.ProgramCourseFactory(program=program, course=factories.published_course(acme, lessons=1, questions=1))
        team = _team_of(acme, bob, people // programs, program)
    client = client_for(bob)
    person = team.members.first()

    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("enrollments:dashboard")).status_code == 200
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("enrollments:dashboard"), {"status": "completed"}).status_code == 200
    with django_assert_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(reverse("enrollments:person", args=[person.pk])).status_code == 200


# Both include the follow-up sections (followups/proficiency.py): on the dashboard the follow-up work count,
# the organization's target and the proficiency rows (3); on a person's page the target, their memory, their
# reviews and their follow-ups (4).
DASHBOARD_QUERIES = REQUEST_PATH_QUERIES + 17  # manager pages: at most 20
PERSON_PAGE_QUERIES = REQUEST_PATH_QUERIES + 11
