"""End-to-end, the whole of assignments: a manager assigns the demo program to their team, due 14 days
after joining; a person invited into that team signs up and, once the standing rule's reconcile has run
(beat runs it every minute), finds the program on their home; on a phone they take its courses in
order from "Continue"; the manager's dashboard moves as they do; the manager exports the CSV and it
parses with no formula cell. axe checks every page.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from courses.demo import seed_demo_courses
from courses.demo_content import COURSES, PROGRAM
from enrollments.models import Attempt, AttemptStatus, Enrollment
from enrollments.tasks import enrollments_reconcile
from organizations.models import Membership
from tests.browser.conftest import DESKTOP, PHONE, link_in, shot, sign_in, sign_out

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NEWCOMER = "nina.newhire@switchbackcycles.example"


def take_next_course(page: Page, membership: Membership, position: int) -> str:
    """From the home's Continue card: every lesson marked done, then the knowledge check passed."""
    page.goto("/")
    card = page.locator(".continue-card")
    expect(card).to_contain_text(f"Course {position} of {len(COURSES)} in {PROGRAM['title']}")
    title = card.locator("h2").inner_text()
    card.locator(".continue-button").click()
    while page.get_by_role("button", name="Mark as done and continue").count():
        page.get_by_role("button", name="Mark as done and continue").click()
    page.get_by_role("button", name="Mark as done", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("button", name="Take the knowledge check").first.click()
    expect(page.get_by_role("button", name="Submit my answers")).to_be_visible()
    attempt = Attempt.objects.get(progress__membership=membership, status=AttemptStatus.IN_PROGRESS)
    for question in attempt.snapshot["questions"]:
        for choice in question["choices"]:
            if choice["credit_percent"] > 0:
                page.locator(f"input[name='q_{question['id']}'][value='{choice['id']}']").check()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 100%")
    return title


def dashboard_row(page: Page, name: str):
    page.goto("/team/")
    return page.locator(".people-table tbody tr", has=page.get_by_role("link", name=name))


def test_a_manager_assigns_a_newcomer_works_through_it_and_the_dashboard_follows(
    new_context, console, demo, eager_celery, live_server, settings
):
    settings.SITE_URL = live_server.url
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    manager = next(m for m in demo.managers if not m.can_author)  # Hannah Begay, Flagstaff
    team = manager.managed_teams.get()
    boss = new_context(**DESKTOP).new_page()

    # The manager assigns the program to their team, due 14 days after each person joins.
    sign_in(boss, manager.user.email)
    expect(boss).to_have_url(f"{live_server.url}/team/")
    boss.get_by_role("button", name="Assign a program").click()
    boss.get_by_role("combobox", name="Program").select_option(label=PROGRAM["title"])
    boss.get_by_label("A team").check()
    boss.get_by_role("combobox", name="Team").select_option(label=team.name)
    boss.get_by_label("A number of days").check()
    boss.get_by_role("spinbutton", name="Number of days").fill("14")
    boss.get_by_role("combobox", name="Counted from").select_option(
        label="the day each person joined (for people who join later)"
    )
    boss.get_by_role("button", name="Assign").click()
    expect(boss.locator("dl.facts")).to_contain_text("14 days after joining")
    shot(boss, "flow-assigned")

    # ...and invites a newcomer into that team.
    boss.goto("/invitations/new/")
    boss.get_by_label("Email").fill(NEWCOMER)
    boss.get_by_label("Name").fill("Nina Newhire")
    boss.get_by_role("button", name="Send the invitation").click()
    accept_url = link_in(mail.outbox[-1].body, re.escape(live_server.url) + r"/invitations/accept/\S+/")

    # The newcomer signs up on a phone.
    phone = new_context(**PHONE).new_page()
    phone.goto(accept_url)
    phone.get_by_label("Password:", exact=True).fill("pedal-power-2026!")
    phone.get_by_label("Password (again)").fill("pedal-power-2026!")
    phone.get_by_role("button", name="Create my account").click()
    expect(phone.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    phone.goto(link_in(mail.outbox[-1].body, r"https?://\S+/accounts/confirm-email/\S+/"))
    phone.get_by_role("button", name="Confirm").click()
    expect(phone.get_by_role("heading", name="Your training")).to_be_visible()
    newcomer = Membership.objects.select_related("user").get(user__email=NEWCOMER)
    assert newcomer.team == team

    # Within a minute, beat's reconcile enrolls them by the standing rule (run here as beat would).
    assert enrollments_reconcile.apply().get() >= 1
    enrollment = Enrollment.objects.get(membership=newcomer)
    phone.reload()
    expect(phone.locator(".continue-card")).to_contain_text(f"Course 1 of {len(COURSES)} in {PROGRAM['title']}")
    expect(phone.locator(".assigned-item")).to_contain_text(f"Due {enrollment.due_on:%A} {enrollment.due_on.day}")
    shot(phone, "flow-newcomer-home")
    row = dashboard_row(boss, "Nina Newhire")
    expect(row).to_contain_text("Not started")

    # The courses in order; the dashboard moves with them.
    take_next_course(phone, newcomer, 1)
    expect(dashboard_row(boss, "Nina Newhire")).to_contain_text("In progress")
    shot(boss, "flow-dashboard-in-progress")
    for position in range(2, len(COURSES) + 1):
        take_next_course(phone, newcomer, position)
    phone.goto("/")
    expect(phone.locator(".continue-card")).to_have_count(0)
    expect(phone.locator(".completed-list")).to_contain_text(PROGRAM["title"])
    shot(phone, "flow-newcomer-done")
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    expect(dashboard_row(boss, "Nina Newhire")).to_contain_text("Completed")

    # The CSV parses, with no cell a spreadsheet would run.
    with boss.expect_download() as download_info:
        boss.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text(encoding="utf-8-sig"))))
    nina = next(row for row in rows if row[0] == "Nina Newhire")
    assert nina[3] == "Completed"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    sign_out(boss)
    console.assert_none()
