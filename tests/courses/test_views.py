"""Authoring pages: who may use them, forged input, what they render, and their query budgets."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from courses import services
from courses.content import MAX_MARKDOWN_CHARS
from courses.models import Choice, Course, CourseStatus, Lesson, Program, Question, QuestionKind
from tests import factories
from tests.conftest import client_for

QUERY_BUDGET = 20  # manager pages (docs/architecture.md)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def s1(acme):
    return factories.ServiceStandardFactory(organization=acme, code="S1", title="Greet within ten seconds")


@pytest.fixture
def s2(acme):
    return factories.ServiceStandardFactory(organization=acme, code="S2", title="Own the problem")


@pytest.fixture
def course(acme):
    return factories.CourseFactory(organization=acme, title="Welcome at the desk")


@pytest.fixture
def bob_author(bob):
    bob.can_author = True
    bob.save(update_fields=["can_author"])
    return bob


def add_lesson(course, *standards, **fields):
    lesson = factories.LessonFactory(course=course, **fields)
    lesson.standards.add(*standards)
    return lesson


def add_question(course, *standards, kind=QuestionKind.SINGLE, **fields):
    question = factories.QuestionFactory(course=course, kind=kind, **fields)
    question.standards.add(*standards)
    factories.ChoiceFactory(question=question, text="Greet them", credit_percent=100, feedback="Meets S1")
    factories.ChoiceFactory(question=question, text="Finish the call first", credit_percent=0, feedback="No")
    return question


def page_urls(course, lesson, question, program):
    ids = {"course_id": course.pk}
    return [
        reverse("courses:course_list"),
        reverse("courses:course_create"),
        reverse("courses:course_edit", kwargs=ids),
        reverse("courses:course_preview", kwargs=ids),
        reverse("courses:lesson_create", kwargs=ids),
        reverse("courses:lesson_edit", kwargs={**ids, "lesson_id": lesson.pk}),
        reverse("courses:lesson_delete", kwargs={**ids, "lesson_id": lesson.pk}),
        reverse("courses:question_create", kwargs=ids),
        reverse("courses:question_edit", kwargs={**ids, "question_id": question.pk}),
        reverse("courses:question_delete", kwargs={**ids, "question_id": question.pk}),
        reverse("courses:program_list"),
        reverse("courses:program_create"),
        reverse("courses:program_edit", kwargs={"program_id": program.pk}),
        reverse("courses:program_delete", kwargs={"program_id": program.pk}),
    ]


@pytest.fixture
def world(course, s1):
    lesson = add_lesson(course, s1)
    question = add_question(course, s1)
    program = factories.ProgramFactory(organization=course.organization)
    return course, lesson, question, program


# --- Who may author ----------------------------------------------------------------------------------


def test_authors_see_every_authoring_page(alice, bob_author, world):
    for membership in (alice, bob_author):
        client = client_for(membership)
        for url in page_urls(*world):
            response = client.get(url)
            assert response.status_code == 200, (membership, url)


def test_employees_and_managers_without_author_right_get_404(carol, bob, world):
    course, lesson, question, program = world
    posts = [
        reverse("courses:course_publish", kwargs={"course_id": course.pk}),
        reverse("courses:lesson_move", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
        reverse("courses:question_move", kwargs={"course_id": course.pk, "question_id": question.pk}),
    ]
    for membership in (carol, bob):
        client = client_for(membership)
        for url in page_urls(*world) + [reverse("courses:coverage")]:
            assert client.get(url).status_code == 404, (membership, url)
        for url in posts:
            assert client.post(url, {"direction": "up"}).status_code == 404, (membership, url)
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_coverage_is_for_admins_only(alice, bob_author):
    assert client_for(alice).get(reverse("courses:coverage")).status_code == 200
    assert client_for(bob_author).get(reverse("courses:coverage")).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("courses:course_edit", kwargs={"course_id": world[0].pk}))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_organizations_course_is_404(charlie, world):
    client = client_for(charlie)
    for url in page_urls(*world)[2:]:
        if "programs/" in url and "programs/new" not in url and url != reverse("courses:program_list"):
            assert client.get(url).status_code == 404, url
        elif "/courses/" in url and "courses/new" not in url and url != reverse("courses:course_list"):
            assert client.get(url).status_code == 404, url


def test_a_lesson_addressed_through_another_course_is_404(alice, world, acme):
    _, lesson, _, _ = world
    other_course = factories.CourseFactory(organization=acme)
    url = reverse("courses:lesson_edit", kwargs={"course_id": other_course.pk, "lesson_id": lesson.pk})
    assert client_for(alice).get(url).status_code == 404


def test_publishing_endpoints_accept_only_post(alice, world):
    url = reverse("courses:course_publish", kwargs={"course_id": world[0].pk})
    assert client_for(alice).get(url).status_code == 405


# --- Forged input ----------------------------------------------------------------------------------


def test_forged_standard_of_another_organization_is_a_form_error_on_lessons(alice, course, globex, s1):
    foreign = factories.ServiceStandardFactory(organization=globex)
    response = client_for(alice).post(
        reverse("courses:lesson_create", kwargs={"course_id": course.pk}),
        {"title": "Greeting", "body_markdown": "Hi", "standards": [s1.pk, foreign.pk]},
    )
    assert response.status_code == 200
    assert "standards" in response.context["form"].errors
    assert not Lesson.objects.filter(course=course).exists()


def test_forged_standard_of_another_organization_is_a_form_error_on_questions(alice, course, globex):
    foreign = factories.ServiceStandardFactory(organization=globex)
    data = question_post(kind="single", standards=[foreign.pk], rows=[("A", True, ""), ("B", False, "")])
    response = client_for(alice).post(reverse("courses:question_create", kwargs={"course_id": course.pk}), data)
    assert response.status_code == 200
    assert "standards" in response.context["form"].errors
    assert not Question.objects.filter(course=course).exists()


def test_forged_course_of_another_organization_cannot_join_a_program(alice, acme, globex):
    mine = factories.CourseFactory(organization=acme)
    foreign = factories.CourseFactory(organization=globex)
    response = client_for(alice).post(
        reverse("courses:program_create"),
        {
            "title": "Onboarding",
            f"course_{mine.pk}_include": "on", f"course_{mine.pk}_position": "1",
            f"course_{foreign.pk}_include": "on", f"course_{foreign.pk}_position": "2",
        },
    )
    # A course the form does not offer is refused, not silently dropped (tests/test_tenancy.py).
    assert response.status_code == 200
    assert "Choose courses of your organization only" in response.content.decode()
    assert not Program.objects.filter(title="Onboarding").exists()


# --- Courses -----------------------------------------------------------------------------------------


def png_bytes(size=(8, 8), noise=False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (15, 92, 91))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def course_post(**overrides):
    data = {"title": "Handling complaints", "summary": "", "estimated_minutes": "20", "pass_mark_percent": "75"}
    data.update(overrides)
    return data


def test_create_a_course_with_a_cover_image(alice):
    cover = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")
    response = client_for(alice).post(reverse("courses:course_create"), course_post(cover_image=cover))
    course = Course.objects.get(title="Handling complaints")
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:course_edit", kwargs={"course_id": course.pk})
    assert (course.status, course.estimated_minutes, course.pass_mark_percent) == ("draft", 20, 75)
    assert course.organization_id == alice.organization_id
    assert course.created_by == alice.user
    assert course.cover_image.name.startswith("course-covers/")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png"), "valid image"),
        (lambda: SimpleUploadedFile("big.png", png_bytes((900, 900), noise=True), content_type="image/png"), "2 MB"),
    ],
)
def test_cover_image_must_be_an_image_of_at_most_2_mb(alice, upload, message):
    response = client_for(alice).post(reverse("courses:course_create"), course_post(cover_image=upload()))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["cover_image"])
    assert not Course.objects.exists()


def test_edit_course_details_and_clear_the_cover(alice, course):
    course.cover_image = SimpleUploadedFile("c.png", png_bytes())
    course.save()
    response = client_for(alice).post(
        reverse("courses:course_edit", kwargs={"course_id": course.pk}),
        course_post(title="Renamed", pass_mark_percent="90", **{"cover_image-clear": "on"}),
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.pass_mark_percent, bool(course.cover_image)) == ("Renamed", 90, False)


def test_the_course_form_sets_whether_right_answers_always_show(alice, course):
    url = reverse("courses:course_edit", kwargs={"course_id": course.pk})
    assert 'name="always_show_answers"' in client_for(alice).get(url).content.decode()

    client_for(alice).post(url, course_post(always_show_answers="on"))
    course.refresh_from_db()
    assert course.always_show_answers is True
    html = client_for(alice).get(url).content.decode()
    assert re.search(r'<input type="checkbox" name="always_show_answers"[^>]*checked', html)

    client_for(alice).post(url, course_post())  # an unticked box posts nothing
    course.refresh_from_db()
    assert course.always_show_answers is False


def test_a_new_course_hides_the_right_answers_until_passed_unless_ticked(alice):
    client_for(alice).post(reverse("courses:course_create"), course_post())
    client_for(alice).post(reverse("courses:course_create"), course_post(title="Open book", always_show_answers="on"))

    assert Course.objects.get(title="Handling complaints").always_show_answers is False
    assert Course.objects.get(title="Open book").always_show_answers is True


def test_pass_mark_must_be_a_percentage(alice, course):
    response = client_for(alice).post(
        reverse("courses:course_edit", kwargs={"course_id": course.pk}), course_post(pass_mark_percent="140")
    )
    assert response.status_code == 200
    assert "pass_mark_percent" in response.context["form"].errors


def test_course_list_groups_by_status_with_counts_and_untagged_warning(alice, acme, s1):
    draft = factories.CourseFactory(organization=acme, title="Draft course")
    add_lesson(draft, s1)
    add_lesson(draft)  # untagged
    add_question(draft, s1)
    factories.CourseFactory(organization=acme, title="Published course", status=CourseStatus.PUBLISHED)
    factories.CourseFactory(organization=acme, title="Archived course", status=CourseStatus.ARCHIVED)
    factories.CourseFactory(title="Someone else's course")
    response = client_for(alice).get(reverse("courses:course_list"))
    groups = {status: [c.title for c in courses] for status, _, courses in response.context["groups"]}
    assert groups == {"draft": ["Draft course"], "published": ["Published course"], "archived": ["Archived course"]}
    listed = response.context["groups"][0][2][0]
    assert (listed.lesson_count, listed.question_count, listed.untagged_lesson_count) == (2, 1, 1)
    content = response.content.decode()
    assert "Untagged" in content and "1 lesson" in content
    assert "Someone else" not in content


def test_publish_refusal_lists_the_problems(alice, course, s1):
    add_lesson(course, title="Untagged greeting")
    response = client_for(alice).post(reverse("courses:course_publish", kwargs={"course_id": course.pk}), follow=True)
    content = response.content.decode()
    assert "cannot be published yet" in content
    # Each blocker is listed once (in the checklist), not again in the message.
    assert content.count("Add at least one knowledge-check question.") == 1
    assert content.count("“Untagged greeting”") == 1
    assert response.redirect_chain[-1][0].endswith("#publish-checklist")
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_publish_unpublish_archive(alice, world):
    course = world[0]
    client = client_for(alice)
    client.post(reverse("courses:course_publish", kwargs={"course_id": course.pk}))
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED and course.published_at
    client.post(reverse("courses:course_archive", kwargs={"course_id": course.pk}))
    course.refresh_from_db()
    assert course.status == CourseStatus.ARCHIVED
    client.post(reverse("courses:course_unpublish", kwargs={"course_id": course.pk}))
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_course_edit_page_links_to_import_and_review(alice, course):
    content = client_for(alice).get(reverse("courses:course_edit", kwargs={"course_id": course.pk})).content.decode()
    assert 'name="title"' in content and 'name="cover_image"' in content and 'enctype="multipart/form-data"' in content
    assert reverse("courses:question_import", kwargs={"course_id": course.pk}) in content
    assert "Import questions (GIFT/Aiken)" in content
    assert reverse("courses:question_review", kwargs={"course_id": course.pk}) in content
    assert "Review untagged questions" in content


# --- Lessons -----------------------------------------------------------------------------------------


def test_create_and_edit_a_lesson(alice, course, s1, s2):
    client = client_for(alice)
    response = client.post(
        reverse("courses:lesson_create", kwargs={"course_id": course.pk}),
        {
            "title": "Greeting", "body_markdown": "**Look up** <img src=x onerror=alert(1)>",
            "video_url": "https://youtu.be/dQw4w9WgXcQ", "practice_prompt": "Greet five guests by name.",
            "standards": [s1.pk],
        },
    )
    assert response.status_code == 302
    lesson = Lesson.objects.get(course=course)
    assert "<strong>Look up</strong>" in lesson.body_html and "onerror" not in lesson.body_html
    response = client.post(
        reverse("courses:lesson_edit", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
        {"title": "Greeting 2", "body_markdown": "*Eyes*", "video_url": "", "standards": [s1.pk, s2.pk]},
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.title, lesson.body_html, lesson.video_url) == ("Greeting 2", "<p><em>Eyes</em></p>", "")
    assert set(lesson.standards.all()) == {s1, s2}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- " * 500 + "deep", "nested too deeply"),
        ("a" * (MAX_MARKDOWN_CHARS + 1), "The text is too long"),
    ],
)
def test_a_lesson_body_the_renderer_refuses_is_a_form_error(alice, course, s1, body, message):
    client = client_for(alice)
    lesson = add_lesson(course, s1, title="Greeting", body_markdown="Hi", body_html="<p>Hi</p>")
    for url in (
        reverse("courses:lesson_create", kwargs={"course_id": course.pk}),
        reverse("courses:lesson_edit", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
    ):
        response = client.post(url, {"title": "Deep", "body_markdown": body, "standards": [s1.pk]})
        assert response.status_code == 200
        assert message in response.context["form"].errors["body_markdown"][0]
        assert message in response.content.decode()
    assert list(Lesson.objects.filter(course=course).values_list("title", "body_markdown")) == [("Greeting", "Hi")]


@pytest.mark.parametrize(
    "video_url",
    [
        "https://evil.test/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)",
    ],
)
def test_lesson_video_must_be_youtube_or_vimeo(alice, course, video_url):
    response = client_for(alice).post(
        reverse("courses:lesson_create", kwargs={"course_id": course.pk}), {"title": "x", "video_url": video_url}
    )
    assert response.status_code == 200
    assert "video_url" in response.context["form"].errors
    assert not Lesson.objects.exists()


def test_move_lessons_with_buttons(alice, course):
    add_lesson(course, title="A", order=0)
    b = add_lesson(course, title="B", order=1)
    response = client_for(alice).post(
        reverse("courses:lesson_move", kwargs={"course_id": course.pk, "lesson_id": b.pk}), {"direction": "up"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#lessons")
    assert list(Lesson.objects.filter(course=course).values_list("title", flat=True)) == ["B", "A"]


def test_delete_a_lesson_after_confirmation(alice, course):
    lesson = add_lesson(course)
    url = reverse("courses:lesson_delete", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
    client = client_for(alice)
    assert client.get(url).status_code == 200
    assert Lesson.objects.filter(pk=lesson.pk).exists()
    assert client.post(url).status_code == 302
    assert not Lesson.objects.filter(pk=lesson.pk).exists()


def test_an_edit_that_would_unpublish_a_published_course_is_refused(alice, world):
    course, lesson, question, _ = world
    course.status = CourseStatus.PUBLISHED
    course.save()
    response = client_for(alice).post(
        reverse("courses:lesson_edit", kwargs={"course_id": course.pk, "lesson_id": lesson.pk}),
        {"title": "No standard any more", "standards": []},
    )
    assert response.status_code == 200
    assert "this course is published and must stay publishable" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.title != "No standard any more"
    assert lesson.standards.exists()
    response = client_for(alice).post(
        reverse("courses:question_delete", kwargs={"course_id": course.pk, "question_id": question.pk}), follow=True
    )
    assert "The question was not deleted" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


# --- Questions -----------------------------------------------------------------------------------------


def question_post(
    *, kind, rows=(), standards=(), prompt="A guest waits at the desk while you are on the phone.", **extra
):
    data = {
        "kind": kind, "title": "", "prompt": prompt, "explanation": "Greeting first is S1.",
        "standards": list(standards),
        "choices-TOTAL_FORMS": str(max(len(rows), 2)), "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "10",
    }
    for index, (text, correct, feedback) in enumerate(rows):
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-feedback"] = feedback
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    data.update(extra)
    return data


def test_create_a_scenario_question_with_inline_choices(alice, course, s1):
    data = question_post(
        kind="scenario",
        standards=[s1.pk],
        rows=[
            ("Nod and finish the call", False, "Misses S1"),
            ("Greet with a smile, then finish", True, "Meets S1"),
            ("", False, ""),
        ],
    )
    response = client_for(alice).post(reverse("courses:question_create", kwargs={"course_id": course.pk}), data)
    assert response.status_code == 302
    question = Question.objects.get(course=course)
    assert question.kind == "scenario"
    assert [(c.text, c.credit_percent, c.feedback) for c in question.choices.all()] == [
        ("Nod and finish the call", 0, "Misses S1"), ("Greet with a smile, then finish", 100, "Meets S1"),
    ]


def test_create_a_true_false_question(alice, course, s1):
    data = question_post(
        kind="true_false", standards=[s1.pk], true_false_answer="false", true_feedback="No", false_feedback="Yes"
    )
    response = client_for(alice).post(reverse("courses:question_create", kwargs={"course_id": course.pk}), data)
    assert response.status_code == 302
    question = Question.objects.get(course=course)
    assert [(c.text, c.credit_percent, c.feedback) for c in question.choices.all()] == [
        ("True", 0, "No"),
        ("False", 100, "Yes"),
    ]


@pytest.mark.parametrize(
    ("kind", "rows", "message"),
    [
        ("single", [("A", False, ""), ("B", False, "")], "exactly one"),
        ("single", [("A", True, ""), ("B", True, "")], "exactly one"),
        ("scenario", [("A", True, "")], "at least 2"),
        ("multiple", [("A", False, ""), ("B", False, "")], "at least one"),
        ("true_false", [], "true or false"),
    ],
)
def test_question_choices_are_validated(alice, course, kind, rows, message):
    response = client_for(alice).post(
        reverse("courses:question_create", kwargs={"course_id": course.pk}), question_post(kind=kind, rows=rows)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.exists()


def test_edit_a_question_keeps_choice_ids(alice, world, s2):
    course, _, question, _ = world
    first, second = question.choices.all()
    data = question_post(
        kind="multiple", standards=[s2.pk], rows=[(first.text, True, "ok"), (second.text, True, "ok too")]
    )
    data.update({"choices-0-id": first.pk, "choices-1-id": second.pk, "choices-INITIAL_FORMS": "2"})
    response = client_for(alice).post(
        reverse("courses:question_edit", kwargs={"course_id": course.pk, "question_id": question.pk}), data
    )
    assert response.status_code == 302
    assert [(c.pk, c.credit_percent) for c in question.choices.all()] == [(first.pk, 50), (second.pk, 50)]
    assert list(question.standards.all()) == [s2]


def test_a_choice_id_of_another_question_is_refused_not_treated_as_new(alice, world, globex):
    course, _, question, _ = world
    first, second = question.choices.all()
    foreign = factories.ChoiceFactory(
        question=factories.QuestionFactory(course=factories.CourseFactory(organization=globex))
    )
    data = question_post(
        kind="single", standards=[question.standards.get().pk], rows=[("A", True, ""), ("B", False, "")]
    )
    data.update({"choices-0-id": first.pk, "choices-1-id": foreign.pk, "choices-INITIAL_FORMS": "2"})

    response = client_for(alice).post(
        reverse("courses:question_edit", kwargs={"course_id": course.pk, "question_id": question.pk}), data
    )

    assert response.status_code == 200
    assert "not one of this question" in response.content.decode()
    assert set(question.choices.all()) == {first, second}


def test_tagging_a_question_the_review_page_does_not_list_is_refused(alice, course, s1, globex):
    untagged = factories.QuestionFactory(course=course)
    foreign = factories.QuestionFactory(course=factories.CourseFactory(organization=globex))

    response = client_for(alice).post(
        reverse("courses:question_review", kwargs={"course_id": course.pk}),
        {f"question_{untagged.pk}": [s1.pk], f"question_{foreign.pk}": [s1.pk]},
    )

    assert response.status_code == 200
    assert "Tag questions of this course only" in response.content.decode()
    assert not untagged.standards.exists() and not foreign.standards.exists()


def test_question_edit_form_shows_the_current_choices(alice, world):
    course, _, question, _ = world
    response = client_for(alice).get(
        reverse("courses:question_edit", kwargs={"course_id": course.pk, "question_id": question.pk})
    )
    content = response.content.decode()
    assert "Greet them" in content and "Meets S1" in content
    assert 'name="choices-TOTAL_FORMS" value="4"' in content


# --- Preview ---------------------------------------------------------------------------------------


def test_preview_shows_the_course_as_a_learner_sees_it(alice, course, s1):
    add_lesson(
        course, s1, title="Greeting", body_html="<p>Look <strong>up</strong></p>",
        video_url="https://vimeo.com/76979871", practice_prompt="Greet five guests by name.",
    )
    add_question(course, s1, prompt="What first?")
    response = client_for(alice).get(reverse("courses:course_preview", kwargs={"course_id": course.pk}))
    content = response.content.decode()
    assert "<p>Look <strong>up</strong></p>" in content
    assert '<iframe src="https://player.vimeo.com/video/76979871?dnt=1" title="Video: Greeting"' in content
    assert "Greet five guests by name." in content
    assert "What first?" in content and "Greet them" in content
    assert 'style="' not in content
    assert not re.search(r"<script(?![^>]*\bsrc=)", content)


def test_preview_records_nothing(alice, world):
    from enrollments.models import CourseProgress

    client_for(alice).get(reverse("courses:course_preview", kwargs={"course_id": world[0].pk}))
    assert not CourseProgress.objects.exists()


# --- Programs --------------------------------------------------------------------------------------


def test_create_and_reorder_a_program(alice, acme):
    a, b, c = (factories.CourseFactory(organization=acme, title=t) for t in ("Alpha", "Beta", "Gamma"))
    client = client_for(alice)
    response = client.post(
        reverse("courses:program_create"),
        {
            "title": "Front desk", "description": "First weeks",
            f"course_{a.pk}_include": "on", f"course_{a.pk}_position": "2",
            f"course_{c.pk}_include": "on", f"course_{c.pk}_position": "1",
            f"course_{b.pk}_position": "3",
        },
    )
    assert response.status_code == 302
    program = Program.objects.get(title="Front desk")
    assert [row.course.title for row in program.program_courses.select_related("course")] == ["Gamma", "Alpha"]
    # when: reorder and add one on the edit page
    response = client.post(
        reverse("courses:program_edit", kwargs={"program_id": program.pk}),
        {
            "title": "Front desk", "description": "",
            f"course_{a.pk}_include": "on", f"course_{a.pk}_position": "1",
            f"course_{b.pk}_include": "on", f"course_{b.pk}_position": "2",
            f"course_{c.pk}_include": "on", f"course_{c.pk}_position": "3",
        },
    )
    assert response.status_code == 302
    assert [row.course.title for row in program.program_courses.select_related("course")] == ["Alpha", "Beta", "Gamma"]
    listing = client.get(reverse("courses:program_list")).content.decode()
    assert listing.index("Alpha") < listing.index("Beta") < listing.index("Gamma")


def test_a_program_is_valid_for_some_days_or_forever(alice, acme):
    course = factories.CourseFactory(organization=acme, title="Alpha")
    client = client_for(alice)
    page = client.get(reverse("courses:program_create")).content.decode()
    assert "leave empty if it never expires" in page
    assert 'for="id_valid_for_days"' in page
    data = {"title": "Safety", "description": ""}
    data |= {f"course_{course.pk}_include": "on", f"course_{course.pk}_position": "1"}
    assert client.post(reverse("courses:program_create"), {**data, "valid_for_days": "365"}).status_code == 302
    program = Program.objects.get(title="Safety")
    assert program.valid_for_days == 365
    edit = reverse("courses:program_edit", kwargs={"program_id": program.pk})
    assert 'value="365"' in client.get(edit).content.decode()
    assert client.post(edit, {**data, "valid_for_days": "0"}).status_code == 200  # at least one day
    assert client.post(edit, {**data, "valid_for_days": ""}).status_code == 302
    program.refresh_from_db()
    assert program.valid_for_days is None


def test_delete_a_program(alice, acme):
    program = factories.ProgramFactory(organization=acme)
    url = reverse("courses:program_delete", kwargs={"program_id": program.pk})
    assert client_for(alice).post(url).status_code == 302
    assert not Program.objects.filter(pk=program.pk).exists()


# --- Coverage ----------------------------------------------------------------------------------------


def test_coverage_matrix_counts_and_flags(alice, acme, s1, s2, globex):
    published = factories.CourseFactory(organization=acme, title="Published", status=CourseStatus.PUBLISHED)
    add_lesson(published, s1)
    add_lesson(published, s1)
    add_question(published, s1)
    draft = factories.CourseFactory(organization=acme, title="Draft only")
    add_lesson(draft, s2)  # drafts teach nobody yet
    s3 = factories.ServiceStandardFactory(organization=acme, code="S3", title="Thank by name")
    retired = factories.ServiceStandardFactory(organization=acme, code="S9", is_active=False)
    factories.ServiceStandardFactory(organization=globex, code="G1")
    response = client_for(alice).get(reverse("courses:coverage"))
    matrix = response.context["matrix"]
    assert [course.title for course in matrix.courses] == ["Published"]
    assert [(row.standard.code, row.cells, row.lesson_total, row.question_total) for row in matrix.rows] == [
        ("S1", [(2, 1)], 2, 1), ("S2", [(0, 0)], 0, 0), ("S3", [(0, 0)], 0, 0),
    ]
    assert matrix.untaught == [s2, s3]
    content = response.content.decode()
    assert "lessons 2 · questions 1" in content
    assert "Not taught by any published course (2)" in content
    assert "<caption>" in content and 'scope="row"' in content and 'scope="col"' in content
    # Badges render the code as element text; a bare substring could match the random CSRF token.
    assert f">{retired.code}<" not in content and ">G1<" not in content


# --- Query budgets -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _fill_course(course, standards, size):
    for index in range(size):
        add_lesson(course, *standards, title=f"Lesson {index}")
        add_question(course, *standards, kind=QuestionKind.MULTIPLE if index % 2 else QuestionKind.SINGLE)


@pytest.mark.parametrize("url_name", ["courses:course_edit", "courses:course_preview"])
def test_course_pages_use_a_constant_number_of_queries(alice, acme, s1, s2, url_name):
    small = factories.CourseFactory(organization=acme)
    large = factories.CourseFactory(organization=acme)
    _fill_course(small, [s1], 3)
    _fill_course(large, [s1, s2], 30)
    client = client_for(alice)
    client.get(reverse(url_name, kwargs={"course_id": small.pk}))  # warm the session
    counts = [_queries(client, reverse(url_name, kwargs={"course_id": c.pk})) for c in (small, large)]
    print(f"{url_name} queries at 3 and 30 lessons/questions: {counts}")
    assert counts[0] == counts[1] <= QUERY_BUDGET


def test_course_list_and_coverage_use_a_constant_number_of_queries(alice, acme, s1, s2):
    client = client_for(alice)
    client.get(reverse("courses:course_list"))
    measured = {}
    for size in (3, 30):
        Course.objects.all().delete()
        for index in range(size):
            course = factories.CourseFactory(organization=acme, status=CourseStatus.PUBLISHED if index % 2 else "draft")
            _fill_course(course, [s1] if index % 3 else [s1, s2], 2)
        for index in range(size):
            factories.ServiceStandardFactory(organization=acme, code=f"X{size}-{index}")
        measured[size] = (
            _queries(client, reverse("courses:course_list")),
            _queries(client, reverse("courses:coverage")),
            _queries(client, reverse("courses:program_list")),
        )
    print(f"course list, coverage, program list queries at 3 and 30 courses: {measured}")
    assert measured[3] == measured[30]
    assert max(measured[30]) <= QUERY_BUDGET


def test_program_list_uses_a_constant_number_of_queries(alice, acme):
    client = client_for(alice)
    client.get(reverse("courses:program_list"))
    counts = []
    for size in (3, 30):
        for _ in range(size):
            program = factories.ProgramFactory(organization=acme)
            for _ in range(3):
                factories.ProgramCourseFactory(program=program, course=factories.CourseFactory(organization=acme))
        counts.append(_queries(client, reverse("courses:program_list")))
    assert counts[0] == counts[1] <= QUERY_BUDGET


# --- Markup rules ----------------------------------------------------------------------------------


FORM_PAGES_FIELDS = {
    "courses:course_create": ["title", "summary", "estimated_minutes", "pass_mark_percent", "cover_image"],
    "courses:lesson_create": ["title", "body_markdown", "video_url", "practice_prompt", "standards"],
    "courses:question_create": [
        "kind",
        "title",
        "prompt",
        "explanation",
        "standards",
        "true_false_answer",
        "choices-0-text",
        "choices-0-is_correct",
        "choices-0-feedback",
    ],
    "courses:program_create": ["title", "description"],
}


@pytest.mark.parametrize(("url_name", "fields"), FORM_PAGES_FIELDS.items())
def test_forms_render_every_field(alice, course, s1, url_name, fields):
    kwargs = {"course_id": course.pk} if url_name.startswith(("courses:lesson", "courses:question")) else {}
    content = client_for(alice).get(reverse(url_name, kwargs=kwargs)).content.decode()
    for field in fields:
        assert f'name="{field}"' in content, field


def test_pages_have_no_inline_style_or_script_and_label_every_field(alice, bob_author, world):
    client = client_for(alice)
    for url in page_urls(*world) + [reverse("courses:coverage")]:
        content = client.get(url).content.decode()
        assert 'style="' not in content, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", content), url
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", content):
            if 'type="hidden"' in tag:
                continue
            input_id = re.search(r'\bid="([^"]+)"', tag)
            assert input_id and f'for="{input_id.group(1)}"' in content, (url, tag)


# --- Authoring helpers: Markdown preview, publish button, question form -------------------------------


def test_lesson_preview_renders_through_the_lesson_sanitizer_and_saves_nothing(alice, course):
    url = reverse("courses:lesson_preview", kwargs={"course_id": course.pk})
    text = "## Greeting\n\nSay **hello**. <script>alert(1)</script> [x](javascript:alert(1))"
    response = client_for(alice).post(url, {"body_markdown": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Greeting</h2>" in html and "<strong>hello</strong>" in html
    # CommonMark leaves a link to a javascript: URL as the text the author typed, never an href.
    assert "<script" not in html and "href" not in html and "[x](javascript:alert(1))" in html
    assert not Lesson.objects.filter(course=course).exists()
    empty = client_for(alice).post(url, {"body_markdown": "  "})
    assert "Nothing to preview yet" in empty.content.decode()


def test_lesson_preview_is_a_post_for_authors_of_the_course_organization(alice, bob, carol, course, charlie):
    url = reverse("courses:lesson_preview", kwargs={"course_id": course.pk})
    assert client_for(alice).get(url).status_code == 405
    for outsider in (bob, carol, charlie):  # not an author; an employee; another organization's admin
        assert client_for(outsider).post(url, {"body_markdown": "hi"}).status_code == 404, outsider


def test_publish_is_not_the_primary_button_while_something_blocks_it(alice, course, s1):
    url = reverse("courses:course_edit", kwargs={"course_id": course.pk})
    blocked = client_for(alice).get(url).content.decode()
    assert '<button type="submit" class="secondary outline" aria-describedby="publish-checklist">Publish' in blocked
    add_lesson(course, s1)
    add_question(course, s1)
    ready = client_for(alice).get(url).content.decode()
    assert '<button type="submit">Publish</button>' in ready


def test_question_form_offers_an_empty_choice_row_to_copy(alice, course):
    response = client_for(alice).get(reverse("courses:question_create", kwargs={"course_id": course.pk}))
    content = response.content.decode()
    template = re.search(r'<template id="choices-empty-row">(.*?)</template>', content, re.S).group(1)
    assert 'name="choices-__prefix__-text"' in template and "Choice __number__" in template
    assert 'data-add-row="choices"' in content
    assert 'id="id_choices-TOTAL_FORMS"' in content and 'id="id_choices-MAX_NUM_FORMS"' in content


# --- Large courses: the question list is paginated, the checklist bounded -------------------------------


def _bulk_questions(course, count: int, *, tagged_with=None, start: int = 0) -> list[Question]:
    questions = Question.objects.bulk_create(
        [Question(course=course, order=start + i, prompt=f"Bulk question {start + i}?") for i in range(count)]
    )
    Choice.objects.bulk_create(
        [
            Choice(question=question, order=order, text=text, credit_percent=credit)
            for question in questions
            for order, (text, credit) in enumerate([("Right", 100), ("Wrong", 0)])
        ]
    )
    if tagged_with is not None:
        for question in questions:
            question.standards.add(tagged_with)
    return questions


def test_course_edit_pages_questions_at_a_constant_query_count(alice, acme, s1):
    small, large = factories.CourseFactory(organization=acme), factories.CourseFactory(organization=acme)
    _bulk_questions(small, 3)
    _bulk_questions(large, 60)  # three pages, all untagged: the checklist names ten and counts the rest
    client = client_for(alice)
    url = lambda course, page=1: reverse("courses:course_edit", kwargs={"course_id": course.pk}) + f"?page={page}"  # noqa: E731
    client.get(url(small))  # warm the session

    counts = [_queries(client, url(small)), _queries(client, url(large)), _queries(client, url(large, 3))]

    print(f"course_edit queries with 3, 60 (page 1) and 60 (page 3) questions: {counts}")
    assert counts[0] == counts[1] == counts[2] <= QUERY_BUDGET
    first, last = client.get(url(large)), client.get(url(large, 3))
    assert [q.prompt for q in first.context["questions"]] == [f"Bulk question {i}?" for i in range(25)]
    assert [q.prompt for q in last.context["questions"]] == [f"Bulk question {i}?" for i in range(50, 60)]
    body = first.content.decode()
    assert "Page 1 of 3" in body and 'href="?page=2#questions"' in body
    assert "“Bulk question 9?” and 50 more." in body
    assert "Move up<span class=\"visually-hidden\"> question 51" in last.content.decode()  # across pages


def test_a_course_holds_at_most_500_questions(alice, acme, s1):
    course = factories.CourseFactory(organization=acme)
    _bulk_questions(course, 500)

    with pytest.raises(ValidationError, match="at most 500 questions"):
        services.question_create(
            course=course, actor=alice, kind=QuestionKind.SINGLE, prompt="One too many?",
            choices=[services.ChoiceInput("a", True), services.ChoiceInput("b", False)],
        )
    assert Question.objects.filter(course=course).count() == 500
