"""End-to-end: a manager opens "Expiring" from the menu and sees who must recertify in the next 30 days,
with the renewal beat made; the program form's validity field. Phone (390x844) and desktop (1366x900),
every page axe-checked by the conftest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollments import services
from enrollments.models import Enrollment
from tests import factories
from tests.browser.conftest import PHONE, open_menu, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": PHONE, "desktop": {"viewport": {"width": 1366, "height": 900}}}


@pytest.mark.parametrize("size", SIZES)
def test_a_manager_sees_who_expires_in_the_next_30_days(size, new_context, console, demo):
    # given two people of the manager's team whose year of food safety ends soon, one already renewed
    manager = next(m for m in demo.managers if demo.teams[0].managers.filter(pk=m.pk).exists())
    team_people = [e for e in demo.employees if e.team_id == demo.teams[0].pk][:2]
    program = factories.ProgramFactory(organization=demo.organization, title="Food safety", valid_for_days=365)
    now = timezone.now()
    for days, person in zip((6, 28), team_people, strict=True):
        Enrollment.objects.create(
            membership=person,
            program=program,
            completed_at=now - timedelta(days=365 - days),
            expires_at=now + timedelta(days=days),
        )
    services.enrollments_recertify(now=now - timedelta(days=5))  # beat renewed the first one only

    page = new_context(**SIZES[size]).new_page()
    sign_in(page, manager.user.email)
    open_menu(page)
    page.get_by_role("link", name="Expiring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Expiring completions")
    table = page.get_by_role("table")
    for person in team_people:
        expect(table).to_contain_text(person.user.display_name)
    expect(table).to_contain_text("Not enrolled yet")
    expect(table).to_contain_text("Food safety")
    shot(page, f"recert-expiring-{size}")

    # the same list on the team dashboard, in its own section
    page.goto("/team/")
    section = page.locator("section[aria-labelledby=dashboard-expiring-heading]")
    expect(section.get_by_role("heading", level=2)).to_contain_text("Expiring in the next 30 days")
    for person in team_people:
        expect(section).to_contain_text(person.user.display_name)
    section.scroll_into_view_if_needed()
    shot(page, f"recert-dashboard-{size}")
    console.assert_none()


@pytest.mark.parametrize("size", SIZES)
def test_an_author_sets_a_programs_validity(size, new_context, console, demo):
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, demo.author.user.email)
    page.goto("/author/programs/new/")
    field = page.get_by_label("Valid for (days)")
    expect(field).to_be_visible()
    expect(page.get_by_text("leave empty if it never expires")).to_be_visible()
    field.fill("365")
    shot(page, f"recert-program-form-{size}")
    console.assert_none()
