"""End-to-end: what an employee runs into (issue 12 §2), in headless Chromium on the live server.

- starting a knowledge check is a POST: following a link to the check shows a start page and
  creates nothing until the button is pressed;
- a course unpublished after the person took it stays readable under "Earlier courses";
- a retry shows the questions in the attempt's own shuffled order, and a failed result gives no
  answer key;
- a certificate shows the same date, in the organization's named time zone, to its holder, to a
  colleague in another time zone and to anyone signed out;
- checkboxes look like checkboxes and radio buttons like radio buttons, in the knowledge check and
  in forms, on a phone and on a desktop.

Screenshots go to E2E_SHOTS when set (see conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from courses.models import CourseStatus, QuestionKind
from enrollments.models import Attempt
from organizations.models import User
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, assert_no_horizontal_overflow, menu, shot, sign_in, sign_out
from tests.browser.test_flows import answer, phone_course

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WRONG = ["Finish the wheel first, then greet them", "Hand over the bike and wish them a good ride"]
RIGHT = ["Look up and say “Be right with you, two minutes”", "Check brakes and shifting together with them"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_starting_a_check_is_a_post_from_a_start_page(size, new_context, console, demo):
    employee = demo.employees[0]
    course = phone_course(demo)
    page = new_context(**(PHONE if size == "phone" else DESKTOP)).new_page()
    sign_in(page, employee.user.email)

    # A plain link (a GET) to the check shows the start page and opens no attempt.
    page.goto(f"/learn/courses/{course.pk}/check/")
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    expect(page.get_by_text("2 questions; you pass with 80% or more.")).to_be_visible()
    page.reload()
    assert not Attempt.objects.filter(progress__membership=employee).exists()
    assert_no_horizontal_overflow(page)
    shot(page, f"{size}-check-start")

    # The button posts, then the check shows attempt 1; a reload resumes it.
    page.get_by_role("button", name="Start the knowledge check").click()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 1")
    page.reload()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 1")
    assert Attempt.objects.filter(progress__membership=employee).count() == 1
    console.assert_none()


def test_results_stay_reachable_after_the_course_is_archived(new_context, console, demo):
    employee = demo.employees[0]
    course = phone_course(demo)
    page = new_context(**PHONE).new_page()
    sign_in(page, employee.user.email)
    page.goto(f"/learn/courses/{course.pk}/check/")
    page.get_by_role("button", name="Start the knowledge check").click()
    answer(page, WRONG)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 0%")

    course.status = CourseStatus.ARCHIVED
    course.save()
    menu(page, "My learning")
    earlier = page.locator(".earlier-courses")
    expect(earlier.get_by_role("heading", name="Welcome and handover")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "phone-earlier-courses")
    earlier.get_by_role("link", name="Attempt 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your score: 0%")
    expect(page.get_by_text("no longer offered")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    shot(page, "phone-result-archived")
    console.assert_none()


SIZES = {
    "phone": PHONE,
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}

# Every checkbox and radio button of the page, as the browser draws it.
TOGGLES_JS = """() => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
  .filter((input) => input.offsetParent !== null)
  .map((input) => {
    const style = getComputedStyle(input);
    const box = input.getBoundingClientRect();
    return {type: input.type, name: input.name, width: box.width, height: box.height,
            radius: style.borderTopLeftRadius, borderWidth: parseFloat(style.borderTopWidth),
            border: style.borderTopColor,
            labelHeight: input.closest('label') ? input.closest('label').getBoundingClientRect().height : null,
            checked: input.checked, image: style.backgroundImage, background: style.backgroundColor};
  })"""


def _luminance(rgb: str) -> float:
    channels = [int(float(value)) / 255 for value in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(rgb: str) -> float:
    return 1.05 / (_luminance(rgb) + 0.05)


def assert_toggles_look_like_toggles(page, *, expect_types: set[str]) -> None:
    """Small square boxes, round radio buttons, a visible border, and a mark when checked: not
    full-width text fields nor circles for both. On a phone, the label around each is a 44px target."""
    toggles = page.evaluate(TOGGLES_JS)
    phone = page.viewport_size["width"] < 768
    assert {toggle["type"] for toggle in toggles} >= expect_types, toggles
    for toggle in toggles:
        assert 14 <= toggle["width"] <= 32 and abs(toggle["width"] - toggle["height"]) < 1, toggle
        assert toggle["borderWidth"] >= 1, toggle
        if not toggle["checked"]:
            assert contrast_with_white(toggle["border"]) >= 3, toggle  # WCAG 1.4.11, against the white page
        if toggle["type"] == "radio":
            assert toggle["radius"] == "50%", toggle
        else:
            radius = float(toggle["radius"].removesuffix("px")) if toggle["radius"].endswith("px") else 99
            assert radius <= toggle["width"] / 3, toggle  # a box with rounded corners, not a pill
        if phone and toggle["labelHeight"] is not None:
            assert toggle["labelHeight"] >= 44, toggle
        if toggle["checked"] and toggle["type"] == "checkbox":
            assert toggle["image"].startswith("url("), toggle  # the tick


def check_course(demo):
    """A published course whose check has a single-choice and a multiple-choice question."""
    course = phone_course(demo)
    question = factories.QuestionFactory(
        course=course, order=5, kind=QuestionKind.MULTIPLE, prompt="Which of these greet a rider well?"
    )
    question.standards.set(course.questions.first().standards.all())
    factories.ChoiceFactory(question=question, order=0, text="A smile and eye contact", credit_percent=50)
    factories.ChoiceFactory(question=question, order=1, text="“Be right with you”", credit_percent=50)
    factories.ChoiceFactory(question=question, order=2, text="Keep your head down", credit_percent=-100)
    return course


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_checkboxes_and_radio_buttons_look_like_themselves(size, new_context, console, demo):
    course = check_course(demo)
    employee, author = demo.employees[0], demo.author

    # The knowledge check: radio buttons for single choice, checkboxes for "choose all that apply".
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, employee.user.email)
    page.goto(f"/learn/courses/{course.pk}/check/")
    page.get_by_role("button", name="Start the knowledge check").click()
    page.get_by_label("A smile and eye contact").check()
    page.get_by_label("Finish the wheel first, then greet them").check()
    assert_toggles_look_like_toggles(page, expect_types={"radio", "checkbox"})
    assert_no_horizontal_overflow(page)
    shot(page, f"{size}-check-toggles")

    # A form: the course's details (a checkbox) and a question's standards (a list of checkboxes).
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, author.user.email)
    page.goto(f"/author/courses/{course.pk}/")
    page.get_by_label("Show the right answers after every attempt").check()
    assert_toggles_look_like_toggles(page, expect_types={"checkbox"})
    shot(page, f"{size}-course-form-toggles")
    question = course.questions.first()
    page.goto(f"/author/courses/{course.pk}/questions/{question.pk}/")
    assert_toggles_look_like_toggles(page, expect_types={"checkbox"})
    shot(page, f"{size}-question-form-toggles")
    console.assert_none()


HEADER_BOTTOM_JS = "() => document.querySelector('.site-header').getBoundingClientRect().bottom"
FOCUSED_JS = """() => { const box = document.activeElement.getBoundingClientRect();
  return {tag: document.activeElement.tagName, id: document.activeElement.id, top: box.top, bottom: box.bottom,
          inHeader: !!document.activeElement.closest('.site-header, .skip-link')}; }"""


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_sticky_header_never_hides_the_focused_element_or_the_anchor_target(size, new_context, console, demo):
    course = check_course(demo)
    for order in range(3, 9):  # a long check, so that moving through it scrolls
        question = factories.QuestionFactory(course=course, order=10 + order, prompt=f"Extra question {order}?")
        factories.ChoiceFactory(question=question, order=0, text=f"Right {order}", credit_percent=100)
        factories.ChoiceFactory(question=question, order=1, text=f"Wrong {order}", credit_percent=0)
    page = new_context(**SIZES[size]).new_page()
    sign_in(page, demo.employees[0].user.email)
    page.goto(f"/learn/courses/{course.pk}/check/")
    page.get_by_role("button", name="Start the knowledge check").click()
    page.wait_for_load_state("load")

    # Keyboard: Tab forward to the end, then Shift+Tab back up; every focused element stays in view.
    header_bottom = page.evaluate(HEADER_BOTTOM_JS)
    seen = 0
    for key in ["Tab"] * 30 + ["Shift+Tab"] * 30:
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_JS)
        if focused["tag"] in ("BODY", "HTML") or focused["inHeader"]:
            continue  # the header's own links are in the header
        seen += 1
        assert focused["top"] >= header_bottom - 1, (key, focused, header_bottom)
        assert focused["bottom"] <= page.viewport_size["height"] + 1, (key, focused)
    assert seen > 20

    # An anchor: the question's fieldset starts below the header.
    target = Attempt.objects.get().snapshot["questions"][-2]["id"]
    page.goto(page.url.split("#")[0] + f"#question-{target}")
    top = page.evaluate(f"() => document.getElementById('question-{target}').getBoundingClientRect().top")
    assert page.evaluate("() => window.scrollY") > 0
    assert top >= page.evaluate(HEADER_BOTTOM_JS) - 1, top
    shot(page, f"{size}-anchor-below-header")
    console.assert_none()


PAGE_ORDER_JS = """() => [...document.querySelectorAll('fieldset.question')].map((fieldset) =>
  [fieldset.id.replace('question-', ''), [...fieldset.querySelectorAll('input')].map((input) => input.value)])"""


def snapshot_order(attempt: Attempt) -> list:
    return [[str(q["id"]), [str(c["id"]) for c in q["choices"]]] for q in attempt.snapshot["questions"]]


def test_a_failed_check_shows_no_answer_key_and_the_retry_keeps_its_own_order(new_context, console, demo):
    employee = demo.employees[0]
    course = check_course(demo)
    page = new_context(**PHONE).new_page()
    sign_in(page, employee.user.email)
    page.goto(f"/learn/courses/{course.pk}/check/")
    page.get_by_role("button", name="Start the knowledge check").click()
    first = Attempt.objects.get(progress__membership=employee)
    assert page.evaluate(PAGE_ORDER_JS) == snapshot_order(first)

    # Fail: what was wrong and the feedback on it, but no answer marked correct.
    page.get_by_label("Keep your head down").check()
    answer(page, WRONG)
    expect(page.locator(".result-fail")).to_contain_text("Not passed yet")
    expect(page.get_by_text("Incorrect").first).to_be_visible()
    expect(page.locator(".choice-feedback").filter(has_text="The rider waits unseen and may walk out.")).to_be_visible()
    expect(page.locator(".badge", has_text="Correct")).to_have_count(0)
    expect(page.get_by_text("Yes.", exact=True)).to_have_count(0)  # the right choices' feedback
    expect(page.get_by_text("the right answers are shown once you pass")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "phone-result-no-answer-key")

    # Retry: attempt 2 in its own snapshot's order, the same after a reload.
    page.get_by_role("button", name="Retry").click()
    expect(page.locator(".eyebrow")).to_have_text("Knowledge check · attempt 2")
    second = Attempt.objects.get(progress__membership=employee, number=2)
    assert page.evaluate(PAGE_ORDER_JS) == snapshot_order(second)
    page.reload()
    assert page.evaluate(PAGE_ORDER_JS) == snapshot_order(second)
    shot(page, "phone-retry")

    # Pass: now every result, the failed one too, shows the right answers.
    page.get_by_label("A smile and eye contact").check()
    page.get_by_label("“Be right with you”").check()
    answer(page, RIGHT)
    expect(page.locator(".result-pass")).to_contain_text("Passed")
    page.goto(f"/learn/attempts/{first.pk}/")
    expect(page.locator(".badge", has_text="Correct")).to_have_count(4)
    console.assert_none()


def test_a_certificate_shows_one_date_to_everyone_in_the_organizations_named_time_zone(new_context, console, demo):
    # given: issued at 23:30 UTC on 27 November: the 28th in Paris (the organization), still the
    # 27th in Los Angeles (the holder) and the 28th in Auckland (a colleague)
    organization = demo.organization
    organization.time_zone = "Europe/Paris"
    organization.save()
    holder, colleague = demo.employees[0], demo.managers[0]
    User.objects.filter(pk=holder.user_id).update(time_zone="America/Los_Angeles")
    User.objects.filter(pk=colleague.user_id).update(time_zone="Pacific/Auckland")
    progress = factories.CourseProgressFactory(
        membership=holder, course=phone_course(demo), completed_at=datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    )
    certificate = factories.CertificateFactory(progress=progress, issued_at=progress.completed_at)
    url = f"/certificates/{certificate.code}/"

    for size in ("phone", "desktop"):
        viewers = [("holder", holder), ("colleague", colleague), ("signed-out", None)]
        for name, viewer in viewers:
            page = new_context(**SIZES[size]).new_page()
            if viewer is not None:
                sign_in(page, viewer.user.email)
            page.goto(url)
            expect(page.locator(".certificate-dates")).to_contain_text("Issued on 28 November 2026 (Europe/Paris)")
            expect(page.locator(".certificate-name")).to_have_text(holder.user.name)
            assert_no_horizontal_overflow(page)
            shot(page, f"{size}-certificate-{name}")
            if viewer is not None:
                sign_out(page)
    console.assert_none()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_unknown_addresses_get_the_branded_404_page(size, new_context, console, demo):
    page = new_context(**SIZES[size]).new_page()
    response = page.goto("/certificates/no-such-code/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("No certificate has this code.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, f"{size}-404-certificate")

    sign_in(page, demo.employees[0].user.email)
    response = page.goto("/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator(".brand")).to_contain_text(demo.organization.name)
    page.get_by_role("button", name="Go to My learning").click()
    expect(page.get_by_role("heading", name="Your training")).to_be_visible()
    shot(page, f"{size}-404-signed-in")
    # The 404 responses themselves log a console error ("Failed to load resource"): expected here.
    console.errors = [error for error in console.errors if "404" not in error]
    console.assert_none()
