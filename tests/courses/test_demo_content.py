"""The demo training content: what `seed_demo_courses` creates for Switchback Cycles, and that it is idempotent."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from courses.content import render_markdown, video_embed_url
from courses.demo import DemoContentError, seed_demo_courses
from courses.demo_content import COURSES, PROGRAM
from courses.models import Choice, Course, CourseStatus, Lesson, Program, ProgramCourse, Question, QuestionKind
from courses.services import choice_credits_from_flags, course_publish_problems, course_unpublish
from organizations.demo import DEMO_ORGANIZATION_SLUG, seed_demo_organization
from organizations.models import Organization, Role
from tests import factories

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def demo(db):
    return seed_demo_organization()


@pytest.fixture
def seeded(demo):
    seed_demo_courses(organization=demo.organization, author=demo.author.user)
    return demo


def _courses(organization) -> list[Course]:
    return list(
        Course.objects.filter(organization=organization).prefetch_related(
            "lessons__standards", "questions__standards", "questions__choices"
        )
    )


def _snapshot(organization) -> dict:
    """Every seeded row and value that a second run must leave exactly as it was."""
    courses = Course.objects.filter(organization=organization)
    lessons = Lesson.objects.filter(course__organization=organization)
    questions = Question.objects.filter(course__organization=organization)
    return {
        "courses": list(courses.order_by("pk").values()),
        "lessons": list(lessons.order_by("pk").values()),
        "lesson_standards": sorted(lessons.values_list("pk", "standards")),
        "questions": list(questions.order_by("pk").values()),
        "question_standards": sorted(questions.values_list("pk", "standards")),
        "choices": list(Choice.objects.filter(question__course__organization=organization).order_by("pk").values()),
        "programs": list(Program.objects.filter(organization=organization).order_by("pk").values()),
        "program_courses": list(
            ProgramCourse.objects.filter(program__organization=organization).order_by("pk").values()
        ),
    }


def test_seeding_creates_the_published_courses_of_the_content(seeded):
    # when
    courses = _courses(seeded.organization)

    # then
    assert sorted(course.title for course in courses) == sorted(data["title"] for data in COURSES)
    assert 3 <= len(courses) <= 4
    for course in courses:
        assert course.status == CourseStatus.PUBLISHED
        assert course.published_at is not None
        assert course.created_by == seeded.author.user
        assert course.summary
        assert course.estimated_minutes > 0
        assert 70 <= course.pass_mark_percent <= 80
        assert 3 <= len(course.lessons.all()) <= 5
        assert 4 <= len(course.questions.all()) <= 6


def test_every_course_passes_the_publish_rule(seeded):
    for course in Course.objects.filter(organization=seeded.organization):
        assert course_publish_problems(course=course) == []


def test_every_lesson_and_question_is_tagged_with_standards_of_the_organization(seeded):
    # given
    own = set(seeded.organization.standards.values_list("pk", flat=True))

    for course in _courses(seeded.organization):
        for lesson in course.lessons.all():
            tags = {standard.pk for standard in lesson.standards.all()}
            assert 1 <= len(tags) <= 2, lesson.title
            assert tags <= own, lesson.title
        for question in course.questions.all():
            tags = {standard.pk for standard in question.standards.all()}
            assert tags and tags <= own, question.prompt


def test_together_the_courses_teach_every_standard(seeded):
    lessons = Lesson.objects.filter(course__organization=seeded.organization)
    taught = set(lessons.values_list("standards__code", flat=True))
    assert taught == set(seeded.organization.standards.values_list("code", flat=True))


def test_lessons_are_rendered_sanitized_markdown_for_reading_on_a_phone(seeded):
    for lesson in Lesson.objects.filter(course__organization=seeded.organization):
        assert lesson.body_html == render_markdown(lesson.body_markdown)
        assert "<h2>" in lesson.body_html and "<strong>" in lesson.body_html
        assert "<ul>" in lesson.body_html or "<ol>" in lesson.body_html
        assert "<blockquote>" in lesson.body_html, f"{lesson.title}: no example dialogue"
        words = len(strip_tags(lesson.body_html).split())
        assert 150 <= words <= 350, f"{lesson.title}: {words} words"
        assert lesson.practice_prompt
        assert not lesson.video_url or video_embed_url(lesson.video_url)


def test_standard_placeholders_become_the_organizations_codes_and_titles(seeded):
    # given
    s6 = seeded.organization.standards.get(code="S6")
    lesson = Lesson.objects.get(course__organization=seeded.organization, title="The first person who hears it owns it")

    # then
    assert f"S6 “{s6.title}”" in lesson.body_markdown
    texts = [
        *Course.objects.filter(organization=seeded.organization).values_list("summary", flat=True),
        *Lesson.objects.filter(course__organization=seeded.organization).values_list("body_markdown", flat=True),
        *Lesson.objects.filter(course__organization=seeded.organization).values_list("practice_prompt", flat=True),
        *Question.objects.filter(course__organization=seeded.organization).values_list("prompt", flat=True),
        *Question.objects.filter(course__organization=seeded.organization).values_list("explanation", flat=True),
        *Choice.objects.filter(question__course__organization=seeded.organization).values_list("feedback", flat=True),
    ]
    assert not [text for text in texts if re.search(r"\{S\d+\}", text)]


def test_each_course_has_two_scenarios_whose_feedback_names_the_standard(seeded):
    # given
    names = [f"{s.code} “{s.title}”" for s in seeded.organization.standards.all()]

    for course in _courses(seeded.organization):
        scenarios = [q for q in course.questions.all() if q.kind == QuestionKind.SCENARIO]
        assert len(scenarios) >= 2, course.title
        for question in scenarios:
            choices = list(question.choices.all())
            assert 3 <= len(choices) <= 4, question.title
            assert sum(choice.is_correct for choice in choices) == 1
            assert question.explanation
            for choice in choices:
                assert any(name in choice.feedback for name in names), f"{question.title}: {choice.text}"


def test_each_course_mixes_question_kinds_with_credits_from_the_authoring_rule(seeded):
    for course in _courses(seeded.organization):
        questions = list(course.questions.all())
        assert {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE} <= {q.kind for q in questions}
        assert [q.order for q in questions] == list(range(len(questions)))
        for question in questions:
            choices = list(question.choices.all())
            assert all(choice.feedback for choice in choices), question.prompt
            assert [c.credit_percent for c in choices] == choice_credits_from_flags(
                question.kind, [c.credit_percent > 0 for c in choices]
            )
            if question.kind == QuestionKind.TRUE_FALSE:
                assert [c.text for c in choices] == ["True", "False"]


def test_the_program_orders_the_courses(seeded):
    # when
    program = Program.objects.get(organization=seeded.organization, title=PROGRAM["title"])

    # then
    rows = ProgramCourse.objects.filter(program=program).select_related("course")
    assert [row.course.title for row in rows] == [data["title"] for data in COURSES]
    assert [row.order for row in rows] == list(range(len(COURSES)))


def test_running_twice_changes_nothing(seeded):
    # given
    before = _snapshot(seeded.organization)

    # when
    with CaptureQueriesContext(connection) as queries:
        seed_demo_courses(organization=seeded.organization, author=seeded.author.user)

    # then
    assert _snapshot(seeded.organization) == before
    assert [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])] == []


def test_reseeding_keeps_edits_and_only_recreates_what_is_missing(seeded):
    # given: someone edited a lesson and deleted a question of a demo course in the interface
    lesson = Lesson.objects.filter(course__organization=seeded.organization).first()
    Lesson.objects.filter(pk=lesson.pk).update(body_markdown="Edited.", body_html="<p>Edited.</p>")
    question = Question.objects.filter(course__organization=seeded.organization, kind=QuestionKind.SCENARIO).first()
    prompt, choice_count = question.prompt, question.choices.count()
    question.delete()
    counts = (Lesson.objects.count(), Question.objects.count() + 1, Choice.objects.count() + choice_count)

    # when
    seed_demo_courses(organization=seeded.organization, author=seeded.author.user)

    # then: the edit is kept, the missing question is back with its choices and tags, nothing is doubled
    lesson.refresh_from_db()
    assert (lesson.body_markdown, lesson.body_html) == ("Edited.", "<p>Edited.</p>")
    restored = Question.objects.get(course=question.course, prompt=prompt)
    assert restored.choices.count() == choice_count
    assert restored.standards.exists()
    assert (Lesson.objects.count(), Question.objects.count(), Choice.objects.count()) == counts


def test_a_course_unpublished_after_seeding_stays_unpublished(seeded):
    # given
    course = Course.objects.filter(organization=seeded.organization).first()
    course_unpublish(course=course, actor=seeded.admin)

    # when
    seed_demo_courses(organization=seeded.organization, author=seeded.author.user)

    # then
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT


def test_an_organization_without_the_standards_gets_nothing(db):
    # given: an organization whose standards are not S1..S6
    membership = factories.member(factories.OrganizationFactory(), Role.ADMIN)

    # when / then
    with pytest.raises(DemoContentError, match="standard S1"):
        seed_demo_courses(organization=membership.organization, author=membership.user)
    assert not Course.objects.filter(organization=membership.organization).exists()
    assert not Program.objects.filter(organization=membership.organization).exists()


def test_the_seed_demo_command_seeds_the_courses_and_says_so(db):
    # given
    out = io.StringIO()

    # when
    call_command("seed_demo", stdout=out)
    snapshot = _snapshot(Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG))
    call_command("seed_demo", stdout=io.StringIO())

    # then
    organization = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    assert _snapshot(organization) == snapshot
    assert Course.objects.filter(organization=organization).published().count() == len(COURSES)
    printed = out.getvalue()
    assert PROGRAM["title"] in printed
    assert all(data["title"] in printed for data in COURSES)
