"""End-to-end: the issues' "Done when" flows, driven in headless Chromium against the live server.

Three people of the Switchback Cycles demo organization (organizations/demo.py) use the real pages:

1. the admin signs in, reads the vision, promise and standards, edits a standard and reads its
   history, invites someone; the invitee follows the emailed link, signs up, confirms their address
   and lands in the organization as an employee;
2. a manager who may author builds a course (lesson, scenario question, GIFT import, tagging) and
   publishes it;
3. an employee, on a phone, takes a course from My learning to the certificate, fails the knowledge
   check once, passes it, and anyone signed out can verify the certificate.

Every page visited must log no console error (a CSP violation, a missing static file and a script
error all show up there). The phone flow also checks that no page scrolls sideways.

Fixtures and helpers (the browser, contexts, sign-in, the menu) are in conftest.py beside this file.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from courses.content import render_markdown
from courses.models import Course, CourseStatus, Question, QuestionKind
from enrollments.models import Certificate
from organizations.demo import DemoOrganization
from organizations.models import Membership, Role, ServiceStandard
from tests import factories
from tests.browser.conftest import (
    PHONE,
    assert_no_horizontal_overflow,
    expect_message,
    link_in,
    menu,
    shot,
    sign_in,
    sign_out,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


# --- 1. Admin: standards, history, invitation; the invitee joins ---------------------------------


def test_admin_edits_a_standard_and_invites_someone_who_signs_up_and_joins(
    context, console, demo, eager_celery, live_server, settings
):
    settings.SITE_URL = live_server.url  # the invitation email's links point at this server
    organization = demo.organization
    page = context.new_page()

    sign_in(page, demo.admin.user.email)
    # An admin lands on the team dashboard; Our promise (vision, promise and standards) is one tap
    # from their own training page.
    expect(page).to_have_url(f"{live_server.url}/team/")
    page.goto("/learn/")
    page.get_by_role("link", name="Our promise").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(organization.vision)
    expect(page.locator(".promise")).to_contain_text("we treat your ride like our own")
    cards = page.locator(".standard-card")
    expect(cards).to_have_count(6)
    expect(cards.first).to_contain_text("Greet every rider within 10 seconds")
    expect(cards.first).to_contain_text("Steps out from behind the counter")
    shot(page, "desktop-home")

    # Edit S1's title; the history says who changed what.
    menu(page, "Standards")
    page.get_by_role("link", name="Greet every rider within 10 seconds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit S1")
    page.get_by_label("Title").fill("Greet every rider within 5 seconds")
    page.get_by_role("button", name="Save changes").click()
    expect_message(page, "S1 saved as version 2.")
    page.get_by_role("link", name="History of S1").click()
    version_2 = page.locator("article.diff", has=page.get_by_role("heading", name="Version 2"))
    expect(version_2).to_contain_text(f"By {demo.admin.user.name}")
    expect(version_2.locator("del")).to_have_text("Greet every rider within 10 seconds")
    expect(version_2.locator("ins")).to_have_text("Greet every rider within 5 seconds")
    shot(page, "desktop-standard-history")

    # Invite someone.
    menu(page, "People")
    page.get_by_role("button", name="Invite people").click()
    page.get_by_role("button", name="Invite someone").click()
    page.get_by_label("Email").fill("nina.newhire@switchbackcycles.example")
    page.get_by_label("Name").fill("Nina Newhire")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("table")).to_contain_text("nina.newhire@switchbackcycles.example")
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    invitation_email = mail.outbox[0]
    assert invitation_email.to == ["nina.newhire@switchbackcycles.example"]
    accept_url = link_in(invitation_email.body, re.escape(live_server.url) + r"/invitations/accept/\S+/")
    sign_out(page)

    # The invitee follows the link, signs up with the locked address, confirms it and is in.
    page.goto(accept_url)
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_text(f"Invitation to {organization.name}")).to_be_visible()
    email_field = page.get_by_label("Email")
    expect(email_field).to_have_value("nina.newhire@switchbackcycles.example")
    expect(email_field).to_have_attribute("readonly", "")
    expect(page.get_by_label("Your name")).to_have_value("Nina Newhire")
    page.get_by_label("Password:", exact=True).fill("pedal-power-2026!")
    page.get_by_label("Password (again)").fill("pedal-power-2026!")
    shot(page, "desktop-signup")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()

    assert len(mail.outbox) == 2
    confirmation_email = mail.outbox[1]
    assert confirmation_email.to == ["nina.newhire@switchbackcycles.example"]
    page.goto(link_in(confirmation_email.body, r"https?://\S+/accounts/confirm-email/\S+/"))
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".brand")).to_contain_text(organization.name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your training")
    expect(page.get_by_role("link", name="People")).to_have_count(0)  # an employee's menu
    membership = Membership.objects.get(user__email="nina.newhire@switchbackcycles.example")
    assert (membership.organization_id, membership.role, membership.user.name) == (
        organization.pk,
        Role.EMPLOYEE,
        "Nina Newhire",
    )
    console.assert_none()


# --- 2. Author: a course from nothing to published -----------------------------------------------

GIFT = """\
// Two questions written elsewhere, imported as they are.
::Loaner:: A rider's repair will be a day late. What do you offer? {
=A loaner bike and a call with the new time#That keeps the promise we can still keep.
~Nothing: delays happen#The rider hears about it too late.
}

::Quote:: Work may start before the customer agreed to a written estimate. {F}
"""


def test_author_builds_tags_imports_and_publishes_a_course(context, console, demo, tmp_path):
    author = demo.author
    page = context.new_page()
    sign_in(page, author.user.email)

    menu(page, "Courses")
    page.get_by_role("button", name="New course").click()
    page.get_by_label("Title").fill("Owning a problem at the counter")
    page.get_by_label("Summary").fill("What to do when a repair goes wrong, from the first word to the follow-up.")
    page.get_by_role("button", name="Create course").click()
    expect_message(page, "created as a draft")
    course = Course.objects.get(organization=demo.organization, title="Owning a problem at the counter")

    # A lesson tagged with S6.
    page.get_by_role("button", name="Add lesson").click()
    page.get_by_label("Title").fill("Listen, apologize, fix")
    page.get_by_label("Lesson text").fill(
        "## First, listen\n\nLet the rider finish. **Then** apologize and say what you will do."
    )
    page.get_by_label("S6 · Own the problem until it is solved").check()
    page.get_by_role("button", name="Add lesson").click()
    expect_message(page, "Lesson “Listen, apologize, fix” added.")
    expect(page.locator("#lessons tbody tr")).to_contain_text("S6")

    # A scenario question with per-choice feedback, tagged with S6.
    page.locator("#questions summary", has_text="Add question").click()
    page.get_by_role("link", name="Scenario").click()
    expect(page.get_by_label("Question type")).to_have_value(QuestionKind.SCENARIO)
    page.get_by_label("Question:", exact=True).fill(
        "A rider's brakes squeal a day after your repair. They are upset. What do you say?"
    )
    first, second = page.locator("fieldset.choice-row").nth(0), page.locator("fieldset.choice-row").nth(1)
    first.get_by_label("Choice").fill("“I'm sorry. Let me look at it right now, and it's on us.”")
    first.get_by_label("Correct").check()
    first.get_by_label("Feedback").fill("Meets S6: you own the problem and fix it without passing it on.")
    second.get_by_label("Choice").fill("“The mechanic who did it is off today, come back tomorrow.”")
    second.get_by_label("Feedback").fill("Misses S6: the rider is passed around.")
    page.get_by_label("S6 · Own the problem until it is solved").check()
    shot(page, "desktop-question-form")
    page.get_by_role("button", name="Add question").click()
    expect_message(page, "Question added.")
    scenario = Question.objects.get(course=course)
    assert scenario.kind == QuestionKind.SCENARIO
    assert list(scenario.standards.values_list("code", flat=True)) == ["S6"]
    assert [(c.is_correct, c.feedback[:9]) for c in scenario.choices.order_by("order")] == [
        (True, "Meets S6:"),
        (False, "Misses S6"),
    ]

    # Import a GIFT file, then tag what came in on the review page.
    page.get_by_role("link", name="Import questions (GIFT/Aiken)").click()
    gift_file = tmp_path / "switchback.gift"
    gift_file.write_text(GIFT, encoding="utf-8")
    page.get_by_label("Question file").set_input_files(str(gift_file))
    page.get_by_role("button", name="Import questions").click()
    expect_message(page, "2 questions imported")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review untagged questions")
    expect(page.locator(".question-list > li")).to_have_count(2)
    questions = page.locator(".question-list > li")
    questions.nth(0).get_by_label("S4 · Ready when we said").check()
    questions.nth(1).get_by_label("S3 · No surprises: quote before we wrench").check()
    shot(page, "desktop-question-review")
    page.get_by_role("button", name="Save standards").click()
    expect_message(page, "Standards saved for 2 questions.")
    expect(page.get_by_text("Every question of this course is tagged")).to_be_visible()

    # Publish.
    page.get_by_role("link", name="Back to the course").click()
    expect(page.locator("#publish-checklist")).to_contain_text("Ready")
    page.get_by_role("button", name="Publish").click()
    expect_message(page, "“Owning a problem at the counter” is published")
    expect(page.get_by_role("heading", level=1).locator(".badge")).to_have_text("Published")
    shot(page, "desktop-course-published")
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.questions.count() == 3
    console.assert_none()


# --- 3. Employee on a phone: lessons, knowledge check, certificate -------------------------------


def phone_course(demo: DemoOrganization) -> Course:
    """A published two-lesson course with two questions, tagged with the demo's S1 and S5."""
    s1, s5 = (ServiceStandard.objects.get(organization=demo.organization, code=code) for code in ("S1", "S5"))
    course = factories.CourseFactory(
        organization=demo.organization,
        status=CourseStatus.PUBLISHED,
        title="Welcome and handover",
        summary="The first ten seconds and the last two minutes of every visit.",
        estimated_minutes=10,
        pass_mark_percent=80,
    )
    lessons = [
        ("The ten-second greeting", s1, "Look up, smile and greet every rider **within ten seconds**."),
        ("A safe, confident start", s5, "Set the saddle with the rider on the bike, then check the brakes together."),
    ]
    for order, (title, standard, text) in enumerate(lessons):
        lesson = factories.LessonFactory(
            course=course, order=order, title=title, body_markdown=text, body_html=render_markdown(text),
            practice_prompt="Try it with the next three riders who come in.",
        )
        lesson.standards.set([standard])
    checks = [
        (s1, "You are truing a wheel when the door chimes. What do you do?",
         "Look up and say “Be right with you, two minutes”", "Finish the wheel first, then greet them",
         "The rider waits unseen and may walk out."),
        (s5, "A rider picks up a rental. What do you do before they leave?",
         "Check brakes and shifting together with them", "Hand over the bike and wish them a good ride",
         "They leave without knowing the bike works for them."),
    ]
    for order, (standard, prompt, right, wrong, why_wrong) in enumerate(checks):
        question = factories.QuestionFactory(
            course=course, order=order, kind=QuestionKind.SINGLE, prompt=prompt,
            explanation=f"{standard.code}: {standard.title}.",
        )
        question.standards.set([standard])
        factories.ChoiceFactory(question=question, order=0, text=right, credit_percent=100, feedback="Yes.")
        factories.ChoiceFactory(question=question, order=1, text=wrong, credit_percent=0, feedback=why_wrong)
    return course


def answer(page: Page, texts: list[str]) -> None:
    for text in texts:
        page.get_by_label(text).check()
    page.get_by_role("button", name="Submit my answers").click()


def test_employee_on_a_phone_completes_a_course_and_anyone_can_verify_the_certificate(
    new_context, console, demo, live_server
):
    employee = demo.employees[0]
    course = phone_course(demo)
    right = ["Look up and say “Be right with you, two minutes”", "Check brakes and shifting together with them"]
    wrong = ["Finish the wheel first, then greet them", "Hand over the bike and wish them a good ride"]
    page = new_context(**PHONE).new_page()

    sign_in(page, employee.user.email)
    assert_no_horizontal_overflow(page)
    shot(page, "phone-home")
    menu(page, "My learning")
    expect(page.get_by_role("heading", name="Your training")).to_be_visible()
    page.get_by_role("link", name="Welcome and handover").click()

    # The course page, then each lesson marked done.
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome and handover")
    expect(page.get_by_text("0 of 3 steps done")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "phone-course")
    page.get_by_role("button", name="Start the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The ten-second greeting")
    assert_no_horizontal_overflow(page)
    shot(page, "phone-lesson")
    page.get_by_role("button", name="Mark as done and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A safe, confident start")
    expect(page.get_by_text("1 of 3 steps done")).to_be_visible()
    assert_no_horizontal_overflow(page)
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome and handover")
    expect(page.get_by_text("✓ Done")).to_have_count(2)

    # The knowledge check: wrong answers fail with feedback, the retry passes.
    page.get_by_role("button", name="Take the knowledge check").first.click()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 1")
    assert_no_horizontal_overflow(page)
    shot(page, "phone-check")
    answer(page, wrong)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 0%")
    expect(page.locator(".result-fail")).to_contain_text("Not passed yet")
    expect(page.locator(".choice-feedback").filter(has_text="The rider waits unseen and may walk out.")).to_be_visible()
    expect(page.get_by_text("S5: Send every rider out safe and confident.")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "phone-result-fail")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 2")
    answer(page, right)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 100%")
    expect(page.locator(".result-pass")).to_contain_text("Passed")
    assert_no_horizontal_overflow(page)

    # Completed, with a certificate.
    page.get_by_role("button", name="Back to the course").click()
    expect(page.locator(".course-hero")).to_contain_text("✓ Completed on")
    expect(page.get_by_text("Completed (100%)")).to_be_visible()
    page.get_by_role("button", name="View your certificate").click()
    certificate = Certificate.objects.get(progress__membership=employee, progress__course=course)
    expect(page).to_have_url(f"{live_server.url}/certificates/{certificate.code}/")
    expect(page.locator(".certificate-name")).to_have_text(employee.user.name)
    expect(page.locator(".certificate-course")).to_have_text("Welcome and handover")
    assert_no_horizontal_overflow(page)
    shot(page, "phone-certificate")
    menu(page, "My learning")
    card = page.locator(".course-card", has_text="Welcome and handover")
    expect(card.locator(".badge")).to_have_text("Completed")
    certificate_link = card.get_by_role("button", name="Certificate")
    expect(certificate_link).to_have_attribute("href", f"/certificates/{certificate.code}/")

    # Signed out, anyone with the code sees the certificate as valid.
    public = new_context(**PHONE).new_page()
    public.goto(f"/certificates/{certificate.code}/")
    expect(public.locator(".certificate-name")).to_have_text(employee.user.name)
    expect(public.locator(".certificate-course")).to_have_text("Welcome and handover")
    expect(public.locator(".certificate-status .badge")).to_have_text("Valid")
    expect(public.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_horizontal_overflow(public)
    shot(public, "phone-certificate-public")
    console.assert_none()
