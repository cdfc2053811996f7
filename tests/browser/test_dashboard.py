"""End-to-end: a manager's dashboard on a phone and a desktop. Filters swap the results without a full
reload (htmx), a person's page opens, and the CSV downloads and parses with no formula cell; axe-checked."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from courses.demo import seed_demo_courses
from courses.demo_content import PROGRAM
from courses.models import Program
from enrollments.demo import seed_demo_assignments
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_manager_filters_opens_a_person_and_exports(size, new_context, console, demo):
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    program = Program.objects.get(organization=demo.organization, title=PROGRAM["title"])
    seed_demo_assignments(demo=demo, program=program)
    manager = next(m for m in demo.managers if not m.can_author)  # Flagstaff: Ben Carter is overdue there
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()

    sign_in(page, manager.user.email)
    expect(page.get_by_role("heading", name="Team training")).to_be_visible()
    expect(page.locator("#overdue-heading")).to_contain_text("1")
    assert_no_horizontal_overflow(page)
    shot(page, f"dashboard-{size}")

    # Filtering swaps the results in place: a marker set on the window survives (no full reload).
    page.evaluate("window.stillHere = true")
    page.get_by_label("Status").select_option("overdue")
    expect(page.locator(".people-table tbody tr")).to_have_count(1)
    expect(page.locator(".people-table")).to_contain_text("Ben Carter")
    assert page.evaluate("window.stillHere") is True
    assert "status=overdue" in page.url
    shot(page, f"dashboard-overdue-{size}")

    page.get_by_role("link", name="Ben Carter").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben Carter")
    expect(page.get_by_text("Overdue").first).to_be_visible()
    shot(page, f"person-{size}")
    page.go_back()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Name" and [row[0] for row in rows[1:]] == ["Ben Carter"]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
