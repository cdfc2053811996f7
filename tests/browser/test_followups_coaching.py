"""End-to-end: practice at work, a manager's observation on the shop floor, proficiency, and the plan editor.

An employee who completed a program writes how their practice task went; their manager finds it from
the dashboard, replies, then fills in the observation checklist (big rating buttons on a phone); the
employee reads the reply and the feedback; the person page and the dashboard show proficiency; an
admin edits the program's follow-up plan. Phone (390 px) and desktop, every page axe-checked.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from followups import services
from followups.models import FollowUp, MemoryState, Review, StepKind
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, expect_message, shot, sign_in
from tests.followups.program_fixtures import complete_program

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _program(demo):
    """Three of the demo's standards, one course each with a "try this at work"."""
    program = factories.ProgramFactory(organization=demo.organization, title="Front of house")
    for order, standard in enumerate(demo.standards[:3]):
        course = factories.published_course(
            demo.organization, lessons=1, questions=4, standards=[standard], pass_mark_percent=50,
            title=f"{standard.code} in practice",
        )
        course.lessons.update(practice_prompt=f"With your next three customers: {standard.title.lower()}.")
        factories.ProgramCourseFactory(program=program, course=course, order=order)
    return program


def _completed(demo):
    manager = next(m for m in demo.managers if m.managed_teams.exists())
    team = manager.managed_teams.first()
    employee = next(e for e in demo.employees if e.team_id == team.pk)
    program = _program(demo)
    enrollment = complete_program(employee, program, actor=demo.admin, right={0: 4, 1: 2, 2: 4})
    while services.followups_consume_completions():
        pass
    FollowUp.objects.filter(enrollment=enrollment).update(due_at=timezone.now())
    return manager, employee, program, enrollment


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_practice_reply_observation_and_proficiency(size, new_context, console, demo):
    manager, employee, program, enrollment = _completed(demo)
    practice = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.PRACTICE)
    observation = FollowUp.objects.get(enrollment=enrollment, kind=StepKind.OBSERVATION)
    viewport = PHONE if size == "phone" else DESKTOP
    name = employee.user.display_name

    # the employee writes how the practice went
    mine = new_context(**viewport).new_page()
    sign_in(mine, employee.user.email)
    mine.goto(f"/followups/{practice.pk}/practice/")
    expect(mine.get_by_role("heading", name="Try this at work")).to_be_visible()
    mine.get_by_label("How did it go?").fill("Two customers smiled back; the third was in a hurry.")
    mine.get_by_role("button", name="Send my reflection").click()
    expect_message(mine, "Your reflection is saved")
    assert_no_horizontal_overflow(mine)
    shot(mine, f"practice-{size}")

    # the manager finds it from the dashboard and replies
    page = new_context(**viewport).new_page()
    sign_in(page, manager.user.email)
    page.goto("/team/")
    expect(page.locator(".work-summary")).to_contain_text("1 reflection to answer")
    expect(page.get_by_role("heading", name="Proficiency by standard")).to_be_visible()
    page.get_by_role("link", name="Follow-up work").last.click()
    expect(page.get_by_role("heading", name="Follow-up work", level=1)).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, f"team-followups-{size}")
    page.get_by_role("link", name=f"{name}: reply").click()
    expect(page.locator(".reflection")).to_contain_text("Two customers smiled back")
    page.get_by_label("Your reply").fill("Good start. Try it with regulars too.")
    page.get_by_role("button", name="Send reply").click()
    expect_message(page, "Your reply is saved")

    # the observation checklist, filled in with taps
    page.get_by_role("link", name=f"Observe {name}").click()
    expect(page.get_by_role("heading", name=f"Observe {name}")).to_be_visible()
    standards = demo.standards[:3]
    for standard, label in zip(standards, ("4 Always", "1 Not yet", "3 Usually"), strict=True):
        group = page.get_by_role("group", name=f"{standard.code} {standard.title}")
        option = group.locator("label.rating-option", has_text=label)
        box = option.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box  # a tap target on the shop floor
        option.click()
        expect(group.get_by_role("radio", name=label)).to_be_checked()
    page.get_by_label(f"Notes on {standards[1].code} (optional)").fill("Sent a customer to another desk.")
    page.get_by_label("General notes").fill("Warm with everyone; keep problems until they are solved.")
    assert_no_horizontal_overflow(page)
    shot(page, f"observation-checklist-{size}")
    page.get_by_role("button", name="Save observation").click()
    expect_message(page, "Observation saved")
    expect(page.locator(".observation-feedback")).to_contain_text("1 Not yet")
    shot(page, f"observation-recorded-{size}")
    assert Review.objects.filter(followup=observation).count() == 3

    # a week later (the memory moved back instead of the clock forward) the person page marks the standards
    # below target in words; the one rated "Not yet" has faded most
    MemoryState.objects.filter(membership=employee).update(last_review=F("last_review") - timedelta(days=7))
    page.goto(f"/team/people/{employee.pk}/")
    table = page.locator("table.proficiency-table")
    expect(table).to_contain_text("4 Always")
    weak = table.locator("tr.is-weak", has_text=f"{standards[1].code} {standards[1].title}")
    expect(weak).to_contain_text("Below target")
    expect(weak).to_contain_text("1 Not yet")
    expect(page.locator(".weak-summary")).to_contain_text(standards[1].title)
    assert_no_horizontal_overflow(page)
    shot(page, f"person-proficiency-{size}")
    page.goto("/team/")
    expect(page.locator("table.team-proficiency")).to_be_visible()
    shot(page, f"dashboard-proficiency-{size}")

    # the employee reads the reply and the feedback
    mine.goto(f"/followups/{practice.pk}/practice/")
    expect(mine.locator(".reply")).to_contain_text("Try it with regulars too")
    mine.goto(f"/followups/{observation.pk}/")
    expect(mine.get_by_text("Sent a customer to another desk.")).to_be_visible()
    shot(mine, f"observation-feedback-{size}")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_admin_edits_a_programs_plan_and_the_refresher_settings(size, new_context, console, demo):
    program = _program(demo)
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()
    sign_in(page, demo.admin.user.email)

    page.goto("/organization/settings/")
    page.get_by_role("link", name="Follow-ups").click()
    page.get_by_label("Target recall (%)").fill("85")
    page.get_by_role("button", name="Save refresher settings").click()
    expect_message(page, "Refresher settings saved")
    shot(page, f"followup-settings-{size}")

    page.get_by_role("link", name=program.title).click()
    expect(page.get_by_text("follows the default plan")).to_be_visible()
    page.get_by_role("button", name="Add a step").click()
    page.get_by_label("Step 6: days after completion").fill("21")
    page.get_by_label("Step 6: kind").select_option("message")
    page.get_by_label("Step 6: message (message steps only)").fill("Three weeks on: what has stuck?")
    page.get_by_label("Remove step 3").check()
    assert_no_horizontal_overflow(page)
    shot(page, f"plan-editor-{size}")
    page.get_by_role("button", name="Save plan").click()
    expect_message(page, "is saved")
    assert [(s.offset_days, s.kind) for s in program.followup_steps.all()] == [
        (2, "refresher"), (7, "practice"), (21, "message"), (30, "refresher"), (90, "refresher"),
    ]
