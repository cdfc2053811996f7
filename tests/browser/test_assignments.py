"""End-to-end: a manager assigns a program to their team with a relative due date, sees the assignment
and cancels another one, on a phone and a desktop; a learner then sees the program in the player.

Every page is checked with axe-core (conftest.py). Screenshots go to ASSIGN_SHOTS (default
<tmp>/shots/assignui).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from enrollments import services
from enrollments.models import Assignment, AssignmentAudience, Enrollment
from organizations.demo import DemoOrganization
from organizations.models import Team
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, menu, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WIDE = {**DESKTOP, "viewport": {"width": 1366, "height": 900}}
SCREENSHOTS = Path(os.environ.get("ASSIGN_SHOTS") or Path(tempfile.gettempdir()) / "shots" / "assignui")


def _save(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desktop", WIDE)])
def test_a_manager_assigns_a_program_to_their_team_and_cancels_another(
    new_context, console, demo: DemoOrganization, size, viewport
):
    organization = demo.organization
    manager = next(manager for manager in demo.managers if not manager.can_author)
    team = Team.objects.filter(managers=manager).get()
    program = factories.ProgramFactory(organization=organization, title="New starter essentials")
    courses = [
        factories.published_course(organization, lessons=1, questions=0, title=title)
        for title in ("Greeting every customer", "Fixing a flat")
    ]
    for order, course in enumerate(courses):
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    other = services.assignment_create(
        actor=manager, course=courses[1], audience=AssignmentAudience.TEAM, team=team, due_on=factories.now().date()
    ).assignment
    page = new_context(**viewport).new_page()
    sign_in(page, manager.user.email)

    # The list, from the menu
    menu(page, "Assignments")
    expect(page.get_by_role("heading", name="Assignments", level=1)).to_be_visible()
    _save(page, f"{size}-list-before")
    page.get_by_role("button", name="New assignment").or_(page.get_by_role("link", name="New assignment")).click()

    # The form: only the inputs the choices need are shown (assignment-form.js)
    expect(page.get_by_role("heading", name="New assignment")).to_be_visible()
    page.get_by_role("combobox", name="Program").select_option(label=program.title)
    expect(page.get_by_label("A team")).to_be_checked()
    expect(page.get_by_role("group", name="People")).to_be_hidden()
    expect(page.get_by_label("Due date")).to_be_hidden()
    page.get_by_label("On a date").check()
    expect(page.get_by_label("Due date")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Number of days")).to_be_hidden()
    page.get_by_label("A number of days").check()
    page.get_by_role("combobox", name="Team").select_option(label=team.name)
    page.get_by_role("spinbutton", name="Number of days").fill("21")
    page.get_by_role("combobox", name="Counted from").select_option(
        label="the day each person joined (for people who join later)"
    )
    if size == "phone":
        assert_no_horizontal_overflow(page)
    _save(page, f"{size}-new")
    page.get_by_role("button", name="Assign").click()

    # The assignment's page
    assignment = Assignment.objects.get(program=program)
    enrolled = Enrollment.objects.filter(assignment=assignment).count()
    assert enrolled == team.members.filter(is_active=True).count() > 0
    expect(page.get_by_role("heading", name=program.title, level=1)).to_be_visible()
    expect(page.get_by_text(f"{enrolled} people enrolled.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("21 days after joining")
    expect(page.get_by_role("cell", name="Not started").first).to_be_visible()
    if size == "phone":
        assert_no_horizontal_overflow(page)
    _save(page, f"{size}-assignment")

    # Cancelling the other one, after a confirmation page that says what it does
    page.goto(f"/assignments/{other.pk}/")
    page.get_by_role("button", name="Cancel assignment").or_(page.get_by_role("link", name="Cancel assignment")).click()
    expect(page.get_by_text("People who started keep their enrollment")).to_be_visible()
    _save(page, f"{size}-cancel-confirm")
    page.get_by_role("button", name="Cancel the assignment").click()
    expect(page.get_by_text("Assignment cancelled")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Cancelled")
    other.refresh_from_db()
    assert other.is_cancelled

    menu(page, "Assignments")
    expect(page.get_by_role("link", name=program.title)).to_be_visible()
    if size == "phone":
        assert_no_horizontal_overflow(page)
    _save(page, f"{size}-list-after")

    # A learner of the team sees where the course sits in the program
    learner = team.members.filter(role="employee", is_active=True).first()
    learner_page = new_context(**viewport).new_page()
    sign_in(learner_page, learner.user.email)
    learner_page.goto(f"/learn/courses/{courses[1].pk}/")
    expect(learner_page.get_by_text("Course 2 of 2 in New starter essentials")).to_be_visible()
    _save(learner_page, f"{size}-player-context")
    console.assert_none()
