"""Accessibility: the main pages, as an admin, a manager and an employee, on a phone and a desktop.

conftest.py checks every page a browser test visits with axe-core and fails the test on a serious or
critical violation; this test makes sure the main pages are among those visited, in the states people
see them in (a list with rows, a course with lessons and questions, a failed and a passed knowledge
check, a certificate, the phone menu opened). Screenshots go to E2E_SHOTS when it is set.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from courses.models import CourseStatus
from enrollments.services import assignment_create
from organizations.demo import DemoOrganization
from organizations.models import Team
from tests import factories
from tests.browser.conftest import PHONE, assert_accessible, open_menu, shot, sign_in
from tests.browser.test_flows import answer, phone_course

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DESKTOP_WIDE = {"viewport": {"width": 1366, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP_WIDE}


def visit(page: Page, path: str, name: str) -> None:
    page.goto(path)
    expect(page.locator("main")).to_be_visible()
    shot(page, name)


def loaded(page: Page) -> None:
    """A page is checked once loaded; one left before (a click straight after a click) is not."""
    page.wait_for_load_state("load")


def menu_paths(page: Page) -> list[str]:
    """The main menu's links, in order (each role sees its own)."""
    links = page.get_by_role("navigation", name="Main").locator("#nav-links a")
    return list(links.evaluate_all("(links) => links.map((link) => link.getAttribute('href'))"))


def visit_menu(page: Page, prefix: str) -> None:
    """The home page, the opened menu, then every page of the menu."""
    visit(page, "/", f"{prefix}home")
    open_menu(page)
    assert_accessible(page)  # the opened phone menu
    for path in menu_paths(page):
        visit(page, path, f"{prefix}{path.strip('/').replace('/', '-') or 'home'}")


@pytest.mark.parametrize("size", SIZES)
def test_main_pages_have_no_serious_accessibility_violation(
    new_context, console, accessibility, demo: DemoOrganization, size
):
    course = phone_course(demo)
    draft = factories.CourseFactory(organization=demo.organization, title="Closing the shop", status=CourseStatus.DRAFT)
    factories.LessonFactory(course=draft, title="Lights and till")
    program = factories.ProgramFactory(organization=demo.organization, title="First week")
    factories.ProgramCourseFactory(program=program, course=course, order=0)
    factories.InvitationFactory(organization=demo.organization, invited_by=demo.admin.user)
    team = demo.teams[0]
    options = SIZES[size]

    def signed_in(membership) -> tuple[BrowserContext, Page]:
        context = new_context(**options)
        page = context.new_page()
        sign_in(page, membership.user.email)
        loaded(page)  # the home page it lands on is checked before the next visit leaves it
        return context, page

    # The admin: every page of the menu, and the pages one level down.
    _, admin = signed_in(demo.admin)
    visit_menu(admin, f"axe-{size}-admin-")
    standard = demo.standards[0]
    visit(admin, f"/standards/{standard.pk}/edit/", f"axe-{size}-admin-standard-edit")
    visit(admin, f"/standards/{standard.pk}/history/", f"axe-{size}-admin-standard-history")
    visit(admin, f"/teams/{team.pk}/edit/", f"axe-{size}-admin-team")
    visit(admin, f"/people/{demo.employees[0].pk}/edit/", f"axe-{size}-admin-person")
    visit(admin, "/invitations/new/", f"axe-{size}-admin-invite")

    # A manager who may author: their menu, a course's editor, a lesson's and a question's editor.
    _, author = signed_in(demo.author)
    visit_menu(author, f"axe-{size}-manager-")
    visit(author, f"/author/courses/{course.pk}/", f"axe-{size}-manager-course-edit")
    visit(author, f"/author/courses/{draft.pk}/", f"axe-{size}-manager-draft-edit")
    visit(
        author, f"/author/courses/{course.pk}/lessons/{course.lessons.first().pk}/", f"axe-{size}-manager-lesson-edit"
    )
    visit(
        author,
        f"/author/courses/{course.pk}/questions/{course.questions.first().pk}/",
        f"axe-{size}-manager-question-edit",
    )
    visit(author, f"/author/courses/{course.pk}/questions/import/", f"axe-{size}-manager-import")
    visit(author, f"/author/courses/{course.pk}/preview/", f"axe-{size}-manager-preview")
    visit(author, f"/author/programs/{program.pk}/", f"axe-{size}-manager-program")
    # Their assignments: a new one, one assignment with its people, and the cancel confirmation.
    author_team = Team.objects.filter(managers=demo.author).first()
    assignment = assignment_create(
        actor=demo.author, program=program, audience="team", team=author_team, due_days=14
    ).assignment
    visit(author, "/assignments/new/", f"axe-{size}-manager-assignment-new")
    visit(author, f"/assignments/{assignment.pk}/", f"axe-{size}-manager-assignment")
    visit(author, f"/assignments/{assignment.pk}/cancel/", f"axe-{size}-manager-assignment-cancel")

    # An employee: my learning, the course, a lesson, the knowledge check failed then passed, the certificate.
    _, employee = signed_in(demo.employees[0])
    visit_menu(employee, f"axe-{size}-employee-")  # the home, with the program assigned to their team
    visit(employee, "/promise/", f"axe-{size}-employee-promise")
    visit(employee, "/calendar/", f"axe-{size}-employee-calendar")
    visit(employee, f"/learn/courses/{course.pk}/", f"axe-{size}-employee-course")
    employee.get_by_role("button", name="Start the course").click()
    loaded(employee)
    expect(employee.get_by_role("heading", level=1)).to_have_text("The ten-second greeting")
    shot(employee, f"axe-{size}-employee-lesson")
    employee.get_by_role("button", name="Mark as done and continue").click()
    loaded(employee)
    employee.get_by_role("button", name="Mark as done").click()
    loaded(employee)
    employee.get_by_role("button", name="Take the knowledge check").first.click()
    loaded(employee)
    expect(employee.locator(".eyebrow")).to_contain_text("Knowledge check")
    shot(employee, f"axe-{size}-employee-check")
    answer(employee, ["Finish the wheel first, then greet them", "Hand over the bike and wish them a good ride"])
    loaded(employee)
    expect(employee.locator(".result-fail")).to_be_visible()
    shot(employee, f"axe-{size}-employee-result-fail")
    employee.get_by_role("button", name="Retry").click()
    loaded(employee)
    answer(
        employee, ["Look up and say “Be right with you, two minutes”", "Check brakes and shifting together with them"]
    )
    loaded(employee)
    expect(employee.locator(".result-pass")).to_be_visible()
    shot(employee, f"axe-{size}-employee-result-pass")
    employee.get_by_role("button", name="Back to the course").click()
    loaded(employee)
    employee.get_by_role("button", name="View your certificate").click()
    loaded(employee)
    expect(employee.locator(".certificate-name")).to_be_visible()
    shot(employee, f"axe-{size}-employee-certificate")
    certificate_path = employee.url

    # Signed out: the sign-in page and a certificate anyone can verify.
    public = new_context(**options).new_page()
    visit(public, "/accounts/login/", f"axe-{size}-public-login")
    visit(public, certificate_path, f"axe-{size}-public-certificate")

    assert accessibility.unchecked == []  # no page was left before its check
    assert len(accessibility.checked) >= 30, accessibility.checked
    console.assert_none()
