"""The employee's home (enrollments.selectors.home_for and the "/" page): one next step, assignments by
urgency with their courses in program order, due states in the person's zone, the library, certificates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import AssignmentAudience, DueState
from enrollments.selectors import home_for
from tests import factories
from tests.conftest import client_for
from tests.enrollments.test_assignments import finish_course

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _program(acme, title: str, courses: list[str]):
    program = factories.ProgramFactory(organization=acme, title=title)
    for order, course_title in enumerate(courses):
        course = factories.published_course(acme, lessons=2, questions=1, title=course_title)
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


def _assign(alice, carol, *, due_on: date, program=None, course=None):
    return services.assignment_create(
        actor=alice,
        program=program,
        course=course,
        audience=AssignmentAudience.PEOPLE,
        people=[carol],
        due_on=due_on,
        now=NOW,
    )


def test_assignments_come_by_urgency_with_courses_in_program_order(acme, alice, carol):
    later = _program(acme, "Later program", ["Zebra course", "Alpha course"])
    overdue = _program(acme, "Overdue program", ["Second", "First"])
    _assign(alice, carol, program=later, due_on=date(2026, 4, 30))
    _assign(alice, carol, program=overdue, due_on=date(2026, 3, 1))

    page = home_for(membership=carol, now=NOW, time_zone="America/Chicago")

    assert [item.title for item in page.assigned] == ["Overdue program", "Later program"]
    assert [item.state for item in page.assigned] == [DueState.OVERDUE, DueState.ON_TRACK]
    assert [card.course.title for card in page.assigned[1].courses] == ["Zebra course", "Alpha course"]
    assert [item.status for item in page.assigned] == ["Overdue", "Not started"]


def test_continue_goes_to_the_next_course_of_the_most_urgent_assignment(acme, alice, carol):
    urgent = _program(acme, "Urgent", ["Step one", "Step two"])
    _assign(alice, carol, program=_program(acme, "Relaxed", ["Other"]), due_on=date(2026, 6, 1))
    _assign(alice, carol, program=urgent, due_on=date(2026, 3, 4))
    step_one, step_two = (link.course for link in urgent.program_courses.order_by("order"))
    finish_course(carol, step_one)
    services.lesson_visit(membership=carol, lesson=step_two.lessons.order_by("order").last())

    page = home_for(membership=carol, now=NOW, time_zone="UTC")

    assert page.continue_card.item.title == "Urgent"
    assert page.continue_card.card.course == step_two and page.continue_card.position == 2
    last_lesson = step_two.lessons.order_by("order").last()
    assert page.continue_card.card.resume_url == reverse(
        "enrollments:lesson", kwargs={"course_id": step_two.pk, "lesson_id": last_lesson.pk}
    )
    assert page.assigned[0].status == "Due soon"


def test_due_today_depends_on_the_persons_own_calendar(acme, alice, carol):
    _assign(alice, carol, program=_program(acme, "P", ["C"]), due_on=date(2026, 3, 3))
    evening_utc = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 2 March, 21:00 in Chicago; 3 March, 12:00 in Tokyo

    chicago = home_for(membership=carol, now=evening_utc, time_zone="America/Chicago")
    tokyo = home_for(membership=carol, now=evening_utc, time_zone="Asia/Tokyo")

    assert chicago.assigned[0].state == DueState.DUE_SOON
    assert tokyo.assigned[0].state == DueState.DUE_TODAY


def test_the_library_holds_the_other_published_courses_and_completed_assignments_go_below(acme, alice, carol):
    program = _program(acme, "Done program", ["Only course"])
    extra = factories.published_course(acme, lessons=1, questions=0, title="Extra reading")
    factories.CourseFactory(organization=acme, title="Draft course")
    _assign(alice, carol, program=program, due_on=date(2026, 3, 20))
    finish_course(carol, program.program_courses.get().course)

    page = home_for(membership=carol, now=NOW, time_zone="UTC")

    assert page.assigned == [] and [item.title for item in page.completed] == ["Done program"]
    assert [card.course.title for card in page.library] == ["Extra reading"]
    assert [c.course_title for c in page.certificates] == ["Only course"]
    assert page.continue_card is None
    assert extra.pk not in {card.course.pk for item in page.completed for card in item.courses}


def test_without_assignments_continue_offers_a_started_course(acme, carol):
    course = factories.published_course(acme, lessons=2, questions=0, title="Started alone")
    services.lesson_visit(membership=carol, lesson=course.lessons.first())

    page = home_for(membership=carol, now=NOW, time_zone="UTC")

    assert page.continue_card.card.course == course and page.continue_card.item is None


@pytest.mark.parametrize("path", ["/", "/learn/"])
def test_the_home_page_shows_continue_first_and_links_our_promise(path, acme, alice, carol):
    _assign(alice, carol, program=_program(acme, "New starter essentials", ["Greeting"]), due_on=date(2026, 3, 20))

    html = client_for(carol).get(path).content.decode()

    assert html.index("continue-button") < html.index("Assigned to you") < html.index("Library")
    assert "New starter essentials" in html and reverse("organizations:promise") in html


def test_our_promise_page_shows_the_vision_and_standards(acme, carol):
    acme.vision = "Every guest leaves happier"
    acme.save()
    factories.ServiceStandardFactory(organization=acme, code="S1", title="Greet within ten seconds")

    html = client_for(carol).get(reverse("organizations:promise")).content.decode()

    assert "Every guest leaves happier" in html and "Greet within ten seconds" in html


def test_signing_in_lands_on_the_home(carol):
    from django.conf import settings

    assert reverse(settings.LOGIN_REDIRECT_URL) == "/"
