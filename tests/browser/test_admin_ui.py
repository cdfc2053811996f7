"""End-to-end: what an admin or a manager runs into on a phone and a desktop (issue 12 §3).

Stacked tables and the phone menu are checked by their computed layout in Chromium (the CSS is what
is under test, so only a real browser can see it); the pages themselves are tested in tests/<app>/.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from courses.demo import seed_demo_courses
from courses.models import Course
from organizations.demo import DemoOrganization
from organizations.models import Membership
from tests import factories
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_no_horizontal_overflow,
    menu,
    open_menu,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MIN_TAP_TARGET_PX = 44


@pytest.fixture
def demo_with_courses(demo: DemoOrganization) -> DemoOrganization:
    seed_demo_courses(organization=demo.organization, author=demo.admin.user)
    return demo


def _stacked_table_pages(demo: DemoOrganization) -> list[str]:
    course = (
        Course.objects.filter(organization=demo.organization).order_by("pk").first()
    )
    standard = demo.organization.standards.order_by("pk").first()
    return [
        "/people/",
        "/standards/",
        f"/standards/{standard.pk}/history/",
        "/teams/",
        "/invitations/",
        "/author/courses/",
        f"/author/courses/{course.pk}/",
    ]


def _cell_layout(page: Page) -> dict:
    """The first body row of the page's first stacked table: each cell's display and box."""
    return page.evaluate(
        """() => {
            const row = document.querySelector("table.stack-on-phone tbody tr");
            const cells = [...row.children].filter((cell) => cell.getBoundingClientRect().height > 0);
            return {
                rowWidth: row.getBoundingClientRect().width,
                cells: cells.map((cell) => {
                    const box = cell.getBoundingClientRect();
                    return {display: getComputedStyle(cell).display, top: box.top, bottom: box.bottom,
                            width: box.width, tag: cell.tagName, label: cell.dataset.label || null,
                            isActions: cell.classList.contains("row-actions")};
                }),
            };
        }"""
    )


def test_wide_tables_stack_into_cards_on_a_phone_and_stay_tables_on_a_desktop(
    new_context, console, demo_with_courses
):
    demo = demo_with_courses
    pages = _stacked_table_pages(demo)
    factories.InvitationFactory(
        organization=demo.organization, invited_by=demo.admin.user
    )

    phone = new_context(**PHONE).new_page()
    sign_in(phone, demo.admin.user.email)
    for path in pages:
        phone.goto(path)
        expect(phone.locator("table.stack-on-phone").first).to_be_visible()
        assert_no_horizontal_overflow(phone)
        layout = _cell_layout(phone)
        cells = layout["cells"]
        assert len(cells) >= 2, path
        # Each cell is a block as wide as the card, below the previous one: a stack, not a row.
        assert {cell["display"] for cell in cells} == {"block"}, path
        for cell in cells:
            assert cell["width"] >= layout["rowWidth"] - 40, (path, cell)
        for above, below in pairwise(cells):
            assert below["top"] >= above["bottom"] - 1, (path, above, below)
        # A value never stands without its column's name (the header row is hidden on a phone).
        for cell in cells:
            assert cell["tag"] == "TH" or cell["isActions"] or cell["label"], (
                path,
                cell,
            )
        shot(phone, f"phone-stacked{path.replace('/', '-')}")

    desktop = new_context(**DESKTOP).new_page()
    sign_in(desktop, demo.admin.user.email)
    for path in pages:
        desktop.goto(path)
        cells = _cell_layout(desktop)["cells"]
        assert {cell["display"] for cell in cells} == {"table-cell"}, path
        tops = {round(cell["top"]) for cell in cells}
        assert len(tops) == 1, (path, cells)  # one row, side by side
    console.assert_none()


def test_phone_menu_links_are_44px_tap_targets_that_do_not_overlap(
    new_context, console, demo
):
    page = new_context(**PHONE).new_page()
    sign_in(page, demo.admin.user.email)
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.bounding_box()["height"] >= MIN_TAP_TARGET_PX
    open_menu(page)
    targets = page.locator("#nav-links").locator("a, button")
    names = targets.all_inner_texts()
    assert (
        "Invitations" in names
    )  # admins reach invitations from the menu, like managers
    boxes = [target.bounding_box() for target in targets.all()]
    for name, box in zip(names, boxes, strict=True):
        assert box["height"] >= MIN_TAP_TARGET_PX, (name, box)
    for (name_above, above), (name_below, below) in pairwise(zip(names, boxes, strict=True)):
        assert below["y"] >= above["y"] + above["height"], (
            f"{name_above} overlaps {name_below}"
        )
    shot(page, "phone-menu-open")
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    console.assert_none()


def test_coverage_matrix_is_a_labelled_region_reached_with_tab_and_scrolled_with_arrow_keys(
    new_context, console, demo_with_courses
):
    demo = demo_with_courses
    page = new_context(**PHONE).new_page()
    sign_in(page, demo.admin.user.email)
    page.goto("/author/coverage/")
    region = page.get_by_role("region", name="Coverage matrix (scrolls sideways)")
    expect(region).to_be_visible()
    assert region.evaluate("(box) => box.scrollWidth > box.clientWidth"), (
        "the matrix should be wider than a phone"
    )
    # Tab from the top of the page reaches the matrix (it is in the tab order, not only clickable).
    page.locator("h1").click()
    for _ in range(30):
        page.keyboard.press("Tab")
        if region.evaluate("(box) => box === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the coverage matrix")
    assert region.evaluate("(box) => box.scrollLeft") == 0
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.coverage-wrap').scrollLeft > 0"
    )
    # Cells are shaded by strength, and the numbers are still there as text.
    strong = page.locator("td.strength-strong").first
    expect(strong).to_contain_text("lessons")
    colors = strong.evaluate(
        "(cell) => [getComputedStyle(cell).color, getComputedStyle(cell).backgroundColor]"
    )
    assert colors == ["rgb(255, 255, 255)", "rgb(15, 92, 91)"]
    shot(page, "phone-coverage")
    console.assert_none()


def test_author_adds_choice_rows_without_saving_and_sees_only_the_fields_of_the_chosen_type(
    new_context, console, demo_with_courses
):
    demo = demo_with_courses
    course = (
        Course.objects.filter(organization=demo.organization).order_by("pk").first()
    )
    before = set(course.questions.values_list("pk", flat=True))
    page = new_context(**PHONE).new_page()
    sign_in(page, demo.admin.user.email)
    page.goto(f"/author/courses/{course.pk}/questions/new/?kind=single")
    rows = page.locator(".choice-rows fieldset.choice-row")
    expect(rows).to_have_count(4)

    # Only the fields of the chosen type: true/false answers appear only for a true/false question.
    true_false = page.locator(".kind-section[data-kinds='true_false']")
    choices = page.locator(".kind-section[data-kinds='single multiple scenario']")
    expect(true_false).to_be_hidden()
    expect(choices).to_be_visible()
    page.get_by_label("Question type").select_option("true_false")
    expect(true_false).to_be_visible()
    expect(choices).to_be_hidden()
    page.get_by_label("Question type").select_option("single")
    expect(choices).to_be_visible()

    # Three more rows, no save in between: the new rows are numbered and get the focus.
    add = page.get_by_role("button", name="Add a choice")
    for _ in range(3):
        add.click()
    expect(rows).to_have_count(7)
    expect(rows.nth(6).locator("legend")).to_have_text("Choice 7")
    expect(rows.nth(6).get_by_label("Choice")).to_be_focused()
    shot(page, "phone-question-added-rows")

    page.get_by_label("Question:", exact=True).fill("Which greeting meets S1?")
    rows.nth(0).get_by_label("Choice").fill("A nod from the workstand")
    rows.nth(6).get_by_label("Choice").fill("Step out and say hello within ten seconds")
    rows.nth(6).get_by_label("Correct").check()
    rows.nth(6).get_by_label("Feedback").fill("Meets S1.")
    page.get_by_label("S1 · Greet every rider within 10 seconds").check()
    page.get_by_role("button", name="Add question").click()
    expect(page.locator(".messages")).to_contain_text("Question added.")

    question = course.questions.exclude(pk__in=before).get()
    assert [
        (c.text, c.is_correct, c.feedback) for c in question.choices.order_by("order")
    ] == [
        ("A nod from the workstand", False, ""),
        ("Step out and say hello within ten seconds", True, "Meets S1."),
    ]
    console.assert_none()


def test_choice_rows_stop_at_the_formset_maximum(
    new_context, console, demo_with_courses
):
    demo = demo_with_courses
    course = (
        Course.objects.filter(organization=demo.organization).order_by("pk").first()
    )
    page = new_context(**DESKTOP).new_page()
    sign_in(page, demo.admin.user.email)
    page.goto(f"/author/courses/{course.pk}/questions/new/?kind=multiple")
    add = page.get_by_role("button", name="Add a choice")
    while add.is_enabled():
        add.click()
    expect(page.locator(".choice-rows fieldset.choice-row")).to_have_count(10)
    expect(
        page.get_by_role("status").filter(has_text="At most 10 rows.")
    ).to_be_visible()
    console.assert_none()


def test_lesson_editor_previews_the_markdown_as_learners_will_see_it(
    new_context, console, demo_with_courses
):
    demo = demo_with_courses
    course = (
        Course.objects.filter(organization=demo.organization).order_by("pk").first()
    )
    page = new_context(**DESKTOP).new_page()
    sign_in(page, demo.admin.user.email)
    page.goto(f"/author/courses/{course.pk}/lessons/new/")
    preview = page.locator("#lesson-preview")
    expect(preview).to_contain_text("Nothing to preview yet")
    page.get_by_label("Lesson text").fill(
        "## Greeting\n\nSay **hello** first. <script>window.hacked = 1</script>"
    )
    expect(preview.locator("h2")).to_have_text("Greeting")
    expect(preview.locator("strong")).to_have_text("hello")
    # The preview went through the sanitizer: no script element, nothing ran.
    assert preview.locator("script").count() == 0
    assert page.evaluate("() => window.hacked === undefined")
    # Beside the editor on a desktop.
    editor_box = page.get_by_label("Lesson text").bounding_box()
    preview_box = page.locator(".markdown-preview").bounding_box()
    assert preview_box["x"] > editor_box["x"] + editor_box["width"] - 1
    shot(page, "desktop-lesson-preview")
    console.assert_none()


def test_admin_adds_and_removes_team_members_on_a_phone_and_reads_the_settings_history(
    new_context, console, demo
):
    page = new_context(**PHONE).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Take … out of the team?"
    sign_in(page, demo.admin.user.email)
    menu(page, "Teams")
    team = demo.organization.teams.order_by("name").first()
    page.get_by_role("link", name=team.name, exact=True).click()
    members = page.locator("#members table.stack-on-phone tbody tr")
    count = members.count()
    assert count > 0

    newcomer = (
        Membership.objects.filter(organization=demo.organization, is_active=True)
        .exclude(team=team)
        .first()
    )
    page.get_by_label("Add a person").select_option(str(newcomer.pk))
    page.get_by_role("button", name="Add to the team").click()
    expect(page.locator(".messages")).to_contain_text(
        f"{newcomer.user.display_name} is now in “{team.name}”."
    )
    expect(members).to_have_count(count + 1)
    assert_no_horizontal_overflow(page)
    shot(page, "phone-team-members")

    page.get_by_role(
        "button", name=f"Remove {newcomer.user.display_name} from the team"
    ).click()
    expect(page.locator(".messages")).to_contain_text("is no longer in")
    expect(members).to_have_count(count)
    newcomer.refresh_from_db()
    assert newcomer.team is None

    menu(page, "Organization")
    page.get_by_label("Customer-experience promise").fill(
        "We treat your ride like our own, every time."
    )
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("link", name="History of changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "History of the vision and promise"
    )
    expect(page.locator("article.diff ins").first).to_have_text(
        "We treat your ride like our own, every time."
    )
    assert_no_horizontal_overflow(page)
    shot(page, "phone-organization-history")
    console.assert_none()
