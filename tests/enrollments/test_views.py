"""Learner pages through the test client: what they show, who may see them, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Choice, Lesson, Question
from enrollments import services
from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress, LessonCompletion
from tests import factories
from tests.conftest import client_for
from tests.enrollments.conftest import as_post, right_answers, wrong_answers


def _no_inline_style_or_script(html: str) -> None:
    assert not re.search(r"\sstyle=", html), "inline style attributes are blocked by the CSP"
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline scripts are blocked by the CSP"


def _check_url(course) -> str:
    return reverse("enrollments:check", kwargs={"course_id": course.pk})


def _submit_url(attempt) -> str:
    return reverse("enrollments:attempt_submit", kwargs={"attempt_id": attempt.pk})


# --- My learning ---------------------------------------------------------------------------------


def test_my_learning_lists_published_courses_of_my_organization_with_progress(
    carol_client, carol, course, acme, globex
):
    draft = factories.CourseFactory(organization=acme, title="Draft course")
    other = factories.published_course(globex, title="Globex course")
    services.lesson_complete(membership=carol, lesson=Lesson.objects.filter(course=course).first())

    response = carol_client.get(reverse("enrollments:my_learning"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Greeting guests" in html
    assert draft.title not in html and other.title not in html
    # 1 lesson of 3 lessons + the knowledge check
    assert f'<progress id="progress-{course.pk}" value="1" max="4">25%</progress>' in html
    assert "1 of 4 steps done" in html
    _no_inline_style_or_script(html)


def test_my_learning_continue_goes_where_i_left_off_and_completed_courses_link_their_certificate(
    carol_client, carol, course, acme
):
    second = Lesson.objects.filter(course=course)[1]
    services.lesson_visit(membership=carol, lesson=second)
    done = factories.published_course(acme, lessons=1, questions=0, title="Done course")
    services.lesson_complete(membership=carol, lesson=done.lessons.get())
    certificate = Certificate.objects.get(progress__course=done)

    html = carol_client.get(reverse("enrollments:my_learning")).content.decode()

    assert reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": second.pk}) in html
    assert reverse("enrollments:certificate", kwargs={"code": certificate.code}) in html
    assert "Completed" in html


# --- Course page ---------------------------------------------------------------------------------


def test_course_page_shows_everything_a_learner_needs(carol_client, carol, course, acme):
    # given: a standard only on a question, so the union of lesson and question standards shows
    question_only = factories.ServiceStandardFactory(organization=acme, code="Q9", title="Thank every guest")
    Question.objects.filter(course=course).first().standards.add(question_only)
    first = Lesson.objects.filter(course=course).first()
    services.lesson_complete(membership=carol, lesson=first)

    # when
    response = carol_client.get(reverse("enrollments:course", kwargs={"course_id": course.pk}))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert course.title in html and course.summary in html
    assert f"About {course.estimated_minutes} minutes" in html
    assert "What you&#x27;ll learn" in html or "What you'll learn" in html
    assert "Q9" in html and "Thank every guest" in html
    for standard in course.lessons.first().standards.all():
        assert standard.code in html
    assert html.count("✓</span> Done") == 1
    assert "Resume where you left off" in html
    assert "Not taken yet" in html
    assert "<progress" in html
    _no_inline_style_or_script(html)


def test_course_page_shows_best_score_and_certificate_once_completed(carol_client, carol, course):
    for lesson in Lesson.objects.filter(course=course):
        services.lesson_complete(membership=carol, lesson=lesson)
    failed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=failed.pk, membership=carol, responses=wrong_answers(course))
    passed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=passed.pk, membership=carol, responses=right_answers(course))
    certificate = Certificate.objects.get()

    html = carol_client.get(reverse("enrollments:course", kwargs={"course_id": course.pk})).content.decode()

    assert "<strong>100%</strong>" in html and "Passed" in html and "(2 attempts)" in html
    assert reverse("enrollments:certificate", kwargs={"code": certificate.code}) in html
    assert "Completed on" in html


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_courses_are_404_on_every_page_that_takes_or_continues_them(status, carol_client, carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    lesson = Lesson.objects.filter(course=course).first()
    course.status = status
    course.save()

    urls = [
        reverse("enrollments:course", kwargs={"course_id": course.pk}),
        reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
        reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
        _check_url(course),
        _submit_url(attempt),
        # an attempt never submitted has no result to show, and can no longer be submitted
        reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}),
    ]
    for url in urls:
        assert carol_client.get(url).status_code == 404, url
        assert carol_client.post(url, as_post(right_answers(course))).status_code == 404, url
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS
    assert Attempt.objects.count() == 1


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_my_results_and_certificate_stay_mine_after_the_course_is_unpublished(status, carol_client, carol, bob, course):
    # given: carol failed once, then passed and completed the course
    for lesson in Lesson.objects.filter(course=course):
        services.lesson_complete(membership=carol, lesson=lesson)
    failed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=failed.pk, membership=carol, responses=wrong_answers(course))
    passed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=passed.pk, membership=carol, responses=right_answers(course))
    certificate = Certificate.objects.get()
    # when: the course is unpublished or archived
    course.status = status
    course.save()

    # then: My learning lists it under "Earlier courses", with the attempts and the certificate
    html = carol_client.get(reverse("enrollments:my_learning")).content.decode()
    earlier = html[html.index('id="earlier-heading"'):]
    assert "Greeting guests" in earlier and "Completed" in earlier
    for attempt in (failed, passed):
        assert reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}) in earlier
    assert reverse("enrollments:certificate", kwargs={"code": certificate.code}) in earlier
    assert "Attempt 1" in earlier and "0%, not passed" in earlier and "100%, passed" in earlier
    # every result page still works, without a retry or a link to the course that is gone
    for attempt in (failed, passed):
        response = carol_client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}))
        result = response.content.decode()
        assert response.status_code == 200
        assert ">Retry</button>" not in result and _check_url(course) not in result
        assert reverse("enrollments:course", kwargs={"course_id": course.pk}) not in result
        assert "no longer offered" in result
    assert Client().get(reverse("enrollments:certificate", kwargs={"code": certificate.code})).status_code == 200
    # and others still see neither the course nor carol's results
    bob_client = client_for(bob)
    assert "Greeting guests" not in bob_client.get(reverse("enrollments:my_learning")).content.decode()
    assert bob_client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": passed.pk})).status_code == 404
    assert bob_client.get(reverse("enrollments:course", kwargs={"course_id": course.pk})).status_code == 404


def test_earlier_courses_leave_out_published_courses_and_courses_only_visited(carol_client, carol, course, acme):
    visited = factories.published_course(acme, title="Only visited")
    services.lesson_visit(membership=carol, lesson=visited.lessons.first())
    visited.status = "archived"
    visited.save()
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    html = carol_client.get(reverse("enrollments:my_learning")).content.decode()

    assert "Earlier courses" not in html and "Only visited" not in html


def test_another_organizations_course_lesson_and_attempt_are_404(charlie, carol_client, course, globex):
    foreign = factories.published_course(globex)
    foreign_attempt = services.attempt_start(membership=charlie, course=foreign)
    foreign_lesson = foreign.lessons.first()

    assert carol_client.get(reverse("enrollments:course", kwargs={"course_id": foreign.pk})).status_code == 404
    assert carol_client.get(_check_url(foreign)).status_code == 404
    assert carol_client.get(
        reverse("enrollments:lesson", kwargs={"course_id": foreign.pk, "lesson_id": foreign_lesson.pk})
    ).status_code == 404
    # Acme's course id with Globex's lesson id: no mixing either
    assert carol_client.get(
        reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": foreign_lesson.pk})
    ).status_code == 404
    assert carol_client.post(_submit_url(foreign_attempt), as_post(right_answers(foreign))).status_code == 404
    assert carol_client.get(
        reverse("enrollments:attempt_result", kwargs={"attempt_id": foreign_attempt.pk})
    ).status_code == 404
    assert not Attempt.objects.filter(
        progress__course=foreign, progress__membership__organization__slug="acme"
    ).exists()
    assert Attempt.objects.get(pk=foreign_attempt.pk).status == AttemptStatus.IN_PROGRESS


def test_another_persons_attempt_is_404(carol, bob, course):
    attempt = services.attempt_start(membership=carol, course=course)
    bob_client = client_for(bob)

    assert bob_client.post(_submit_url(attempt), as_post(right_answers(course))).status_code == 404
    assert bob_client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk})).status_code == 404
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS


def test_learner_pages_send_signed_out_visitors_to_sign_in(course):
    response = Client().get(reverse("enrollments:course", kwargs={"course_id": course.pk}))

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- Lesson page ---------------------------------------------------------------------------------


def test_lesson_page_renders_body_video_practice_and_pager(carol_client, carol, course):
    first, second, third = Lesson.objects.filter(course=course)
    second.video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    second.practice_prompt = "Greet the next three guests by name."
    second.body_html = "<p>Eye contact <strong>first</strong>.</p>"
    second.save()

    response = carol_client.get(reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": second.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<p>Eye contact <strong>first</strong>.</p>" in html  # already sanitized: rendered as is
    iframe = re.search(r"<iframe[^>]*>", html, re.S).group(0)
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in iframe
    for attribute in ('title="Video: ', "allow=", 'referrerpolicy="strict-origin-when-cross-origin"', 'loading="lazy"'):
        assert attribute in iframe
    assert "Try this at work" in html and "Greet the next three guests by name." in html
    assert "Lesson 2 of 3" in html
    assert reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": first.pk}) in html
    assert reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": third.pk}) in html
    assert reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": second.pk}) in html
    _no_inline_style_or_script(html)
    # visiting records where to resume
    assert CourseProgress.objects.get(membership=carol, course=course).last_lesson_id == second.pk


def test_a_video_address_outside_the_allowlist_is_not_embedded(carol_client, course):
    lesson = Lesson.objects.filter(course=course).first()
    Lesson.objects.filter(pk=lesson.pk).update(video_url="https://evil.example/watch?v=dQw4w9WgXcQ")

    html = carol_client.get(
        reverse("enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
    ).content.decode()

    assert "<iframe" not in html


def test_mark_as_done_goes_to_the_next_lesson_then_to_the_course_and_is_idempotent(carol_client, carol, course):
    first, second, third = Lesson.objects.filter(course=course)

    def done(lesson):
        return carol_client.post(
            reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
        )

    assert done(first)["Location"] == reverse(
        "enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": second.pk}
    )
    assert done(first).status_code == 302
    assert done(third)["Location"] == reverse("enrollments:course", kwargs={"course_id": course.pk})
    assert LessonCompletion.objects.filter(progress__membership=carol).count() == 2


# --- Knowledge check -----------------------------------------------------------------------------


def test_a_get_of_the_check_shows_a_start_page_and_creates_nothing(carol_client, carol, course):
    response = carol_client.get(_check_url(course))

    html = response.content.decode()
    assert response.status_code == 200
    assert not Attempt.objects.exists() and not CourseProgress.objects.exists()
    form = re.search(rf'<form method="post" action="{re.escape(_check_url(course))}"[^>]*>.*?</form>', html, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(0) and ">Start the knowledge check</button>" in form.group(0)
    assert "2 questions; you pass with 80% or more." in html
    assert "<fieldset" not in html
    _no_inline_style_or_script(html)


def test_the_start_button_posts_then_the_get_shows_the_attempt(carol_client, carol, course):
    response = carol_client.post(_check_url(course))

    assert response.status_code == 302 and response["Location"] == _check_url(course)
    attempt = Attempt.objects.get(progress__membership=carol)
    html = carol_client.get(_check_url(course)).content.decode()
    assert _submit_url(attempt) in html and html.count("<fieldset") == 2
    # posting again (a double click) resumes the same attempt
    carol_client.post(_check_url(course))
    assert Attempt.objects.count() == 1


def test_the_start_page_after_a_failed_attempt_offers_the_next_attempt(carol_client, carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    html = carol_client.get(_check_url(course)).content.decode()

    assert ">Start attempt 2</button>" in html
    assert Attempt.objects.count() == 1


def test_the_course_page_starts_the_check_with_a_post_form(carol_client, carol, course):
    for lesson in Lesson.objects.filter(course=course):
        services.lesson_complete(membership=carol, lesson=lesson)

    html = carol_client.get(reverse("enrollments:course", kwargs={"course_id": course.pk})).content.decode()

    assert f'<a role="button" href="{_check_url(course)}"' not in html
    assert re.search(rf'<form method="post" action="{re.escape(_check_url(course))}"', html)
    assert not Attempt.objects.exists()


def test_check_page_renders_the_form_from_the_snapshot(carol_client, carol, acme):
    course = factories.published_course(acme, lessons=1, questions=1)
    several = factories.QuestionFactory(course=course, kind="multiple", order=5, prompt="Pick all good ones")
    factories.ChoiceFactory(question=several, credit_percent=50)
    factories.ChoiceFactory(question=several, credit_percent=50)

    carol_client.post(_check_url(course))
    response = carol_client.get(_check_url(course))

    html = response.content.decode()
    assert response.status_code == 200
    attempt = Attempt.objects.get(progress__membership=carol)
    assert _submit_url(attempt) in html
    assert html.count("<fieldset") == 2 and html.count("<legend>") == 2
    assert html.count('type="radio"') == 2 and html.count('type="checkbox"') == 2
    assert re.search(r'<label class="choice-option" for="id_q_\d+_0">', html)
    _no_inline_style_or_script(html)
    # reloading resumes the same attempt
    carol_client.get(_check_url(course))
    assert Attempt.objects.filter(progress__membership=carol).count() == 1


def test_submitting_shows_the_result_with_feedback_explanation_and_standards(carol_client, carol, course):
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get(progress__membership=carol)

    response = carol_client.post(_submit_url(attempt), as_post(wrong_answers(course)), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk})
    assert "Your score: 0%" in html and "Not passed yet" in html
    assert "No: the guest waits." in html
    assert "Why question 0 matters." in html
    assert html.count(">Your answer<") == 2 and "Incorrect" in html
    standard = Question.objects.filter(course=course).first().standards.first()
    assert standard.code in html
    assert f'action="{_check_url(course)}"' in html and ">Retry</button>" in html
    _no_inline_style_or_script(html)


def _result_html(client, attempt) -> str:
    return client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk})).content.decode()


def test_a_failed_result_shows_what_was_wrong_but_not_the_right_answers(carol_client, carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    html = _result_html(carol_client, attempt)

    assert html.count("Incorrect") == 2 and html.count(">Your answer<") == 2
    assert "No: the guest waits." in html  # the feedback on what was chosen
    assert "Yes: that meets the standard." not in html  # the right choice's feedback would give it away
    assert ">Correct<" not in html and ' correct"' not in html
    assert "the right answers are shown once you pass" in html


def test_once_passed_every_result_shows_the_right_answers(carol_client, carol, course):
    failed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=failed.pk, membership=carol, responses=wrong_answers(course))
    passed = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=passed.pk, membership=carol, responses=right_answers(course))

    for attempt in (failed, passed):
        html = _result_html(carol_client, attempt)
        assert html.count('badge-ok">Correct<') == 2 and "Yes: that meets the standard." in html
        assert "shown once you pass" not in html


def test_a_course_can_show_the_right_answers_always(carol_client, carol, course):
    course.always_show_answers = True
    course.save()
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=wrong_answers(course))

    html = _result_html(carol_client, attempt)

    assert (
        html.count('badge-ok">Correct<') == 2
        and "Yes: that meets the standard." in html
        and "No: the guest waits." in html
    )


def test_the_check_shows_questions_and_choices_in_the_attempts_shuffled_order(carol_client, carol, acme):
    import random

    course = factories.published_course(acme, lessons=1, questions=6)
    attempt = services.attempt_start(membership=carol, course=course, rng=random.Random(5))

    first = carol_client.get(_check_url(course)).content.decode()
    again = carol_client.get(_check_url(course)).content.decode()

    def order(html):
        return re.findall(r'name="q_(\d+)" value="(\d+)"', html)

    expected = [(str(q["id"]), str(c["id"])) for q in attempt.snapshot["questions"] for c in q["choices"]]
    assert order(first) == order(again) == expected
    authored = [
        (str(q.pk), str(c.pk))
        for q in Question.objects.filter(course=course)
        for c in q.choices.order_by("order", "id")
    ]
    assert expected != authored and sorted(expected) == sorted(authored)


def test_retry_starts_a_new_attempt(carol_client, carol, course):
    carol_client.post(_check_url(course))
    first = Attempt.objects.get()
    carol_client.post(_submit_url(first), as_post(wrong_answers(course)))

    response = carol_client.post(_check_url(course))

    assert response.status_code == 302 and response["Location"] == _check_url(course)
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).get().number == 2


def test_a_choice_of_another_question_is_a_400_and_nothing_is_recorded(carol_client, carol, course):
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get()
    first, second = Question.objects.filter(course=course)
    responses = right_answers(course)
    responses[str(first.pk)] = [str(Choice.objects.filter(question=second).first().pk)]

    response = carol_client.post(_submit_url(attempt), as_post(responses))

    html = response.content.decode()
    assert response.status_code == 400
    assert "That answer is not one of this question" in html
    assert f'aria-describedby="error-{first.pk}"' in html
    # the other answer is kept checked
    assert re.search(r'value="%s"[^>]*checked|checked[^>]*value="%s"' % ((responses[str(second.pk)][0],) * 2), html)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.responses == {}


def test_a_missing_answer_is_a_400_with_the_form_shown_again(carol_client, course):
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get()
    responses = right_answers(course)
    del responses[next(iter(responses))]

    response = carol_client.post(_submit_url(attempt), as_post(responses))

    assert response.status_code == 400
    assert "Choose an answer to this question." in response.content.decode()
    assert Attempt.objects.get().status == AttemptStatus.IN_PROGRESS


def test_unknown_ids_are_a_400(carol_client, course):
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get()
    responses = as_post(right_answers(course))
    responses["q_999999"] = ["1"]

    response = carol_client.post(_submit_url(attempt), responses)

    assert response.status_code == 400
    assert "not part of this knowledge check" in response.content.decode()
    assert Attempt.objects.get().status == AttemptStatus.IN_PROGRESS


def test_the_same_post_twice_records_one_submission(carol_client, carol, course):
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get()
    data = as_post(wrong_answers(course))

    first = carol_client.post(_submit_url(attempt), data)
    submitted_at = Attempt.objects.get().submitted_at
    second = carol_client.post(_submit_url(attempt), as_post(right_answers(course)))

    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk})
    attempt.refresh_from_db()
    assert attempt.submitted_at == submitted_at and attempt.score_percent == 0
    assert Attempt.objects.count() == 1


def test_passing_with_all_lessons_done_completes_the_course(carol_client, carol, course):
    for lesson in Lesson.objects.filter(course=course):
        carol_client.post(
            reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
        )
    carol_client.post(_check_url(course))
    attempt = Attempt.objects.get()

    response = carol_client.post(_submit_url(attempt), as_post(right_answers(course)), follow=True)

    html = response.content.decode()
    certificate = Certificate.objects.get(progress__membership=carol)
    assert "Passed" in html and "Retry" not in html
    assert reverse("enrollments:certificate", kwargs={"code": certificate.code}) in html


# --- Versioning ----------------------------------------------------------------------------------


def test_editing_the_course_after_an_attempt_never_changes_the_attempt(carol_client, carol, acme):
    """Versioning: the result page replays the snapshot, not the live course (see enrollments/services.py)."""
    # given: a submitted attempt, one answer right and one wrong → 50%
    course = factories.published_course(acme, lessons=1, questions=2, pass_mark_percent=50)
    first, second = Question.objects.filter(course=course)
    first.prompt, first.explanation = "How fast do we greet?", "Within ten seconds."
    first.save()
    first_right, first_wrong = first.choices.all()
    first_right.text = "Within ten seconds"
    first_right.save()
    second_right, second_wrong = second.choices.all()
    second_wrong.text = "Finish the phone call first"
    second_wrong.save()
    attempt = services.attempt_start(membership=carol, course=course)
    services.attempt_submit(
        attempt_id=attempt.pk,
        membership=carol,
        responses={str(first.pk): [first_right.pk], str(second.pk): [second_wrong.pk]},
    )
    result_url = reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk})
    before = carol_client.get(result_url).content.decode()

    # when: the author rewords a prompt and a choice, swaps the right answer, deletes a question
    first.prompt = "REWORDED PROMPT"
    first.save()
    first_right.text, first_right.credit_percent = "REWRITTEN CHOICE", 0
    first_right.save()
    first_wrong.credit_percent = 100
    first_wrong.save()
    second.delete()
    course.pass_mark_percent = 100
    course.save()

    # then: the same answers, old texts and the same score
    after = carol_client.get(result_url).content.decode()
    attempt.refresh_from_db()
    assert attempt.score_percent == 50 and attempt.passed is True
    assert "Your score: 50%" in after and "Passed" in after
    assert "How fast do we greet?" in after and "Within ten seconds" in after
    assert "Finish the phone call first" in after
    assert "REWORDED PROMPT" not in after and "REWRITTEN CHOICE" not in after
    assert after.count(">Your answer<") == 2
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # noqa: E731
    assert strip(after) == strip(before)


def test_an_open_attempt_is_graded_on_its_snapshot_even_if_the_course_changed(carol, course):
    attempt = services.attempt_start(membership=carol, course=course)
    answers = right_answers(course)
    Choice.objects.filter(question__course=course, credit_percent=100).update(credit_percent=0)

    outcome = services.attempt_submit(attempt_id=attempt.pk, membership=carol, responses=answers)

    assert outcome.score_percent == 100


# --- Certificates --------------------------------------------------------------------------------


def test_the_certificate_page_is_public_and_print_friendly(carol, course):
    progress = factories.CourseProgressFactory(membership=carol, course=course, completed_at=timezone.now())
    certificate = factories.CertificateFactory(progress=progress)

    response = Client().get(reverse("enrollments:certificate", kwargs={"code": certificate.code}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Carol Employee" in html and "Greeting guests" in html and "Acme Hotels" in html
    assert certificate.issued_at.strftime("%B") in html and str(certificate.issued_at.year) in html
    assert "Valid" in html
    assert re.search(r'<button type="button" data-print>Print</button>', html)
    assert 'class="actions no-print"' in html
    _no_inline_style_or_script(html)


@pytest.mark.parametrize("viewer_time_zone", [None, "America/Los_Angeles", "Pacific/Auckland", "Europe/Paris"])
def test_the_certificate_shows_the_same_date_in_the_organizations_time_zone_to_everyone(
    viewer_time_zone, carol, acme, course
):
    # given: issued at 23:30 UTC on 27 November, which is already the 28th in Paris (the organization's
    # zone), still the 27th in Los Angeles and the 28th in Auckland
    acme.time_zone = "Europe/Paris"
    acme.save()
    progress = factories.CourseProgressFactory(membership=carol, course=course, completed_at=timezone.now())
    certificate = factories.CertificateFactory(
        progress=progress,
        issued_at=datetime(2026, 11, 27, 23, 30, tzinfo=UTC),
        valid_until=datetime(2027, 11, 27, 23, 30, tzinfo=UTC),
    )
    if viewer_time_zone is None:
        client = Client()  # signed out
    else:
        carol.user.time_zone = viewer_time_zone  # the holder herself, in one zone after another
        carol.user.save()
        client = client_for(carol)

    html = client.get(reverse("enrollments:certificate", kwargs={"code": certificate.code})).content.decode()

    assert "Issued on" in html and ">28 November 2026</time>" in html
    assert ">28 November 2027</time>" in html and "(Europe/Paris)" in html
    assert "27 November" not in html


def test_a_revoked_or_expired_certificate_says_so(carol, course):
    progress = factories.CourseProgressFactory(membership=carol, course=course)
    revoked = factories.CertificateFactory(progress=progress, revoked_at=timezone.now())
    expired = factories.CertificateFactory(
        progress=factories.CourseProgressFactory(membership=carol),
        valid_until=timezone.now() - timedelta(days=1),
    )

    revoked_html = Client().get(reverse("enrollments:certificate", kwargs={"code": revoked.code})).content.decode()
    expired_html = Client().get(reverse("enrollments:certificate", kwargs={"code": expired.code})).content.decode()

    assert "Revoked" in revoked_html and "badge-ok" not in revoked_html
    assert "Expired" in expired_html and "badge-ok" not in expired_html


def test_an_unknown_certificate_code_is_404(db):
    assert Client().get(reverse("enrollments:certificate", kwargs={"code": "no-such-code"})).status_code == 404


def test_a_course_without_questions_has_no_check_to_take(carol_client, acme):
    course = factories.published_course(acme, lessons=1, questions=0)

    for response in (carol_client.get(_check_url(course)), carol_client.post(_check_url(course))):
        assert response["Location"] == reverse("enrollments:course", kwargs={"course_id": course.pk})
    assert not Attempt.objects.exists()


def test_get_on_the_post_only_urls_redirects_to_the_matching_page(carol_client, carol, course):
    lesson = Lesson.objects.filter(course=course).first()
    attempt = services.attempt_start(membership=carol, course=course)

    done_url = reverse("enrollments:lesson_complete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
    assert carol_client.get(done_url)["Location"] == reverse(
        "enrollments:lesson", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}
    )
    assert carol_client.get(_submit_url(attempt))["Location"] == reverse(
        "enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}
    )
    # an open attempt has no result yet: back to the check
    assert carol_client.get(reverse("enrollments:attempt_result", kwargs={"attempt_id": attempt.pk}))["Location"] == (
        _check_url(course)
    )
    assert not LessonCompletion.objects.exists()
