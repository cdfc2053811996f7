"""Authoring services against the real database: publish rule, choice credits, ordering, programs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from courses import services
from courses.models import Choice, Course, CourseStatus, Lesson, Program, ProgramCourse, Question, QuestionKind
from courses.services import ChoiceInput, CourseNotPublishable, choice_credits_from_flags
from organizations.models import Role
from organizations.permissions import NotPermitted
from tests import factories

# --- Choice credits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "flags", "credits"),
    [
        (QuestionKind.SINGLE, [False, True, False], [0, 100, 0]),
        (QuestionKind.SCENARIO, [True, False], [100, 0]),
        (QuestionKind.TRUE_FALSE, [False, True], [0, 100]),
        (QuestionKind.MULTIPLE, [True, False], [100, -100]),
        (QuestionKind.MULTIPLE, [True, True, False, False], [50, 50, -50, -50]),
        (QuestionKind.MULTIPLE, [True, True, True, False], [34, 33, 33, -33]),
        (QuestionKind.MULTIPLE, [True, True, True], [34, 33, 33]),
        (
            QuestionKind.MULTIPLE,
            [False, True, False, True, True, True, True, True, False],
            [0, 17, 0, 17, 17, 17, 16, 16, 0],
        ),
    ],
)
def test_choice_credits_from_flags(kind, flags, credits):
    result = choice_credits_from_flags(kind, flags)
    # The last case: wrong ones cost -100/6 truncated to -16.
    if kind == QuestionKind.MULTIPLE and sum(flags) == 6:
        credits = [-16 if not flag else credit for flag, credit in zip(flags, credits, strict=True)]
    assert result == credits
    assert sum(credit for credit in result if credit > 0) == 100
    assert all(-100 <= credit <= 100 for credit in result)


@pytest.mark.parametrize(
    ("kind", "flags"),
    [
        (QuestionKind.SINGLE, [False, False]),
        (QuestionKind.SINGLE, [True, True]),
        (QuestionKind.SCENARIO, [True, True, False]),
        (QuestionKind.TRUE_FALSE, [False, False]),
        (QuestionKind.MULTIPLE, [False, False, False]),
        ("essay", [True]),
    ],
)
def test_choice_credits_refuse_flags_that_do_not_fit_the_kind(kind, flags):
    with pytest.raises(ValueError):
        choice_credits_from_flags(kind, flags)


# --- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def standard(acme):
    return factories.ServiceStandardFactory(organization=acme, code="S1", title="Greet within ten seconds")


@pytest.fixture
def course(acme):
    return factories.CourseFactory(organization=acme, title="Welcome at the desk")


def tagged_lesson(course, standard, **fields):
    lesson = factories.LessonFactory(course=course, **fields)
    lesson.standards.add(standard)
    return lesson


def tagged_question(course, standard, *, correct=True, **fields):
    question = factories.QuestionFactory(course=course, **fields)
    question.standards.add(standard)
    factories.ChoiceFactory(question=question, text="Greet", credit_percent=100 if correct else 0)
    factories.ChoiceFactory(question=question, text="Ignore", credit_percent=0)
    return question


def single_choices(correct_index=0, count=3):
    return [ChoiceInput(text=f"Answer {i}", is_correct=i == correct_index, feedback=f"Why {i}") for i in range(count)]


# --- Publishing ------------------------------------------------------------------------------------


def test_publish_a_complete_course(alice, course, standard):
    # given
    tagged_lesson(course, standard)
    tagged_question(course, standard)
    # when
    published = services.course_publish(course=course, actor=alice)
    # then
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    assert published.published_at == course.published_at


def test_publish_refuses_a_course_without_questions(alice, course, standard):
    tagged_lesson(course, standard)
    with pytest.raises(CourseNotPublishable) as refused:
        services.course_publish(course=course, actor=alice)
    assert refused.value.problems == ["Add at least one knowledge-check question."]
    course.refresh_from_db()
    assert course.status == CourseStatus.DRAFT
    assert course.published_at is None


def test_publish_lists_every_problem(alice, course, standard):
    # given: an untagged lesson, an untagged question, and a question without a correct choice
    factories.LessonFactory(course=course, title="Untagged lesson")
    factories.QuestionFactory(course=course, prompt="Untagged question?")
    tagged_question(course, standard, correct=False, prompt="No right answer?")
    # when
    with pytest.raises(CourseNotPublishable) as refused:
        services.course_publish(course=course, actor=alice)
    # then
    problems = " ".join(refused.value.problems)
    assert "lessons with a service standard: “Untagged lesson”" in problems
    assert "questions with a service standard: “Untagged question?”" in problems
    assert "correct choice in these questions: “Untagged question?”, “No right answer?”" in problems
    assert refused.value.messages == refused.value.problems
    assert Question.objects.filter(course=course).count() == 2


def test_publish_of_another_organizations_course_is_refused(charlie, course):
    with pytest.raises(NotPermitted):
        services.course_publish(course=course, actor=charlie)


def test_unpublish_and_archive(alice, course, standard):
    tagged_lesson(course, standard)
    tagged_question(course, standard)
    services.course_publish(course=course, actor=alice)
    assert services.course_archive(course=course, actor=alice).status == CourseStatus.ARCHIVED
    assert services.course_unpublish(course=course, actor=alice).status == CourseStatus.DRAFT


# --- Editing a published course keeps the rule -----------------------------------------------------


@pytest.fixture
def published(alice, course, standard):
    tagged_lesson(course, standard, title="Greeting")
    question = tagged_question(course, standard)
    services.course_publish(course=course, actor=alice)
    return course, question


def test_removing_the_last_questions_tag_on_a_published_course_is_refused(alice, published):
    course, question = published
    with pytest.raises(CourseNotPublishable) as refused:
        services.question_update(
            question=question, actor=alice, kind=question.kind, prompt="Changed?", title="", explanation="",
            standards=[], choices=single_choices(),
        )
    assert "Not saved: this course is published" in refused.value.messages[0]
    question.refresh_from_db()
    assert question.prompt != "Changed?"  # rolled back
    assert question.standards.count() == 1
    assert question.choices.count() == 2
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_deleting_the_last_question_of_a_published_course_is_refused(alice, published):
    _, question = published
    question_id = question.pk
    with pytest.raises(CourseNotPublishable):
        services.question_delete(question=question, actor=alice)
    assert Question.objects.filter(pk=question_id).exists()


def test_adding_an_untagged_lesson_to_a_published_course_is_refused(alice, published):
    course, _ = published
    with pytest.raises(CourseNotPublishable):
        services.lesson_create(course=course, actor=alice, title="New", standards=[])
    assert course.lessons.count() == 1


def test_editing_a_published_course_within_the_rule_is_saved(alice, published, standard):
    course, question = published
    services.question_update(
        question=question, actor=alice, kind=QuestionKind.SINGLE, prompt="Better?", title="T", explanation="E",
        standards=[standard], choices=single_choices(correct_index=2),
    )
    question.refresh_from_db()
    assert question.prompt == "Better?"
    assert [c.credit_percent for c in question.choices.all()] == [0, 0, 100]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED


def test_a_draft_may_break_the_rule(alice, course):
    lesson = services.lesson_create(course=course, actor=alice, title="Untagged draft lesson")
    assert lesson.pk is not None


# --- Lessons ---------------------------------------------------------------------------------------


def test_lesson_body_is_rendered_and_sanitized_on_save(alice, course, standard):
    lesson = services.lesson_create(
        course=course, actor=alice, title="Greeting", standards=[standard],
        body_markdown="**Hello** <script>alert(1)</script> [x](javascript:alert(1))",
        video_url="https://youtu.be/dQw4w9WgXcQ", practice_prompt="Greet five guests by name.",
    )
    assert "<strong>Hello</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html
    # CommonMark leaves a link to a javascript: URL as the text the author typed, never an href.
    assert "href" not in lesson.body_html and "[x](javascript:alert(1))" in lesson.body_html
    services.lesson_update(
        lesson=lesson, actor=alice, title="Greeting", body_markdown="*Now*", video_url="",
        practice_prompt="", standards=[standard],
    )
    lesson.refresh_from_db()
    assert lesson.body_html == "<p><em>Now</em></p>"


def test_lesson_video_must_be_allowlisted(alice, course):
    with pytest.raises(ValidationError) as refused:
        services.lesson_create(course=course, actor=alice, title="x", video_url="https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ")
    assert "video_url" in refused.value.message_dict
    assert not course.lessons.exists()


def test_lesson_standards_of_another_organization_are_refused(alice, course, globex):
    foreign = factories.ServiceStandardFactory(organization=globex)
    with pytest.raises(ValidationError):
        services.lesson_create(course=course, actor=alice, title="x", standards=[foreign])
    assert not course.lessons.exists()


def test_new_lessons_go_last_and_moves_renumber(alice, course):
    first, second, third = (services.lesson_create(course=course, actor=alice, title=t) for t in "ABC")
    assert [lesson.order for lesson in (first, second, third)] == [0, 1, 2]
    # when
    services.lesson_move(lesson=third, actor=alice, direction="up")
    # then
    assert list(Lesson.objects.filter(course=course).values_list("title", "order")) == [("A", 0), ("C", 1), ("B", 2)]
    services.lesson_move(lesson=first, actor=alice, direction="up")  # already first: nothing changes
    services.lesson_move(lesson=first, actor=alice, direction="down")
    assert list(Lesson.objects.filter(course=course).values_list("title", flat=True)) == ["C", "A", "B"]


def test_moving_repairs_gaps_and_duplicates(alice, course):
    a = factories.LessonFactory(course=course, title="A", order=5)
    b = factories.LessonFactory(course=course, title="B", order=5)
    c = factories.LessonFactory(course=course, title="C", order=40)
    services.lesson_move(lesson=c, actor=alice, direction="up")
    assert list(Lesson.objects.filter(course=course).values_list("title", "order")) == [("A", 0), ("C", 1), ("B", 2)]
    assert {a.pk, b.pk, c.pk} == set(Lesson.objects.values_list("pk", flat=True))


def test_deleting_a_lesson_closes_the_gap(alice, course):
    a, b, c = (services.lesson_create(course=course, actor=alice, title=t) for t in "ABC")
    services.lesson_delete(lesson=b, actor=alice)
    assert list(Lesson.objects.filter(course=course).values_list("title", "order")) == [("A", 0), ("C", 1)]


# --- Questions -------------------------------------------------------------------------------------


def test_question_create_computes_credits(alice, course, standard):
    question = services.question_create(
        course=course, actor=alice, kind=QuestionKind.MULTIPLE, prompt="Which greet?", standards=[standard],
        choices=[ChoiceInput("Smile", True, "S1"), ChoiceInput("Ignore", False, "No"), ChoiceInput("Name", True)],
    )
    assert [(c.text, c.credit_percent, c.feedback) for c in question.choices.all()] == [
        ("Smile", 50, "S1"), ("Ignore", -50, "No"), ("Name", 50, ""),
    ]
    assert question.order == 0
    assert list(question.standards.all()) == [standard]


def test_true_false_questions_get_true_and_false(alice, course):
    question = services.question_create(
        course=course, actor=alice, kind=QuestionKind.TRUE_FALSE, prompt="Greet within 10 s?",
        choices=[ChoiceInput("yes", False, "Not quite"), ChoiceInput("no", True, "Right")],
    )
    assert [(c.text, c.credit_percent, c.feedback) for c in question.choices.all()] == [
        ("True", 0, "Not quite"), ("False", 100, "Right"),
    ]


@pytest.mark.parametrize(
    ("kind", "choices"),
    [
        (QuestionKind.SINGLE, [ChoiceInput("Only", True)]),
        (QuestionKind.SINGLE, [ChoiceInput("A", True), ChoiceInput("B", True)]),
        (QuestionKind.SCENARIO, [ChoiceInput("A", False), ChoiceInput("B", False)]),
        (QuestionKind.MULTIPLE, [ChoiceInput("A", True)]),
        (QuestionKind.MULTIPLE, [ChoiceInput("A", False), ChoiceInput("B", False)]),
        (QuestionKind.TRUE_FALSE, [ChoiceInput("True", True)]),
    ],
)
def test_question_choices_must_fit_the_kind(alice, course, kind, choices):
    with pytest.raises(ValidationError) as refused:
        services.question_create(course=course, actor=alice, kind=kind, prompt="?", choices=choices)
    assert "choices" in refused.value.message_dict
    assert not Question.objects.filter(course=course).exists()


def test_question_update_keeps_choice_ids_adds_and_removes(alice, course):
    question = services.question_create(
        course=course, actor=alice, kind=QuestionKind.SINGLE, prompt="?", choices=single_choices(count=3)
    )
    a, b, c = question.choices.all()
    # when: keep c (now first, and correct), drop a and b, add a new one
    services.question_update(
        question=question, actor=alice, kind=QuestionKind.SINGLE, prompt="?", title="", explanation="",
        standards=[], choices=[ChoiceInput("C2", True, id=c.pk), ChoiceInput("New", False)],
    )
    # then
    rows = list(question.choices.all())
    assert [(r.text, r.credit_percent, r.order) for r in rows] == [("C2", 100, 0), ("New", 0, 1)]
    assert rows[0].pk == c.pk
    assert not Choice.objects.filter(pk__in=[a.pk, b.pk]).exists()


def test_question_update_ignores_choice_ids_of_other_questions(alice, course):
    other = factories.ChoiceFactory(text="Someone else's")
    question = services.question_create(
        course=course, actor=alice, kind=QuestionKind.SINGLE, prompt="?", choices=single_choices(count=2)
    )
    services.question_update(
        question=question, actor=alice, kind=QuestionKind.SINGLE, prompt="?", title="", explanation="", standards=[],
        choices=[ChoiceInput("Mine", True, id=other.pk), ChoiceInput("Also mine", False)],
    )
    other.refresh_from_db()
    assert other.text == "Someone else's"
    assert [c.text for c in question.choices.all()] == ["Mine", "Also mine"]


def test_switching_to_true_false_replaces_the_choices(alice, course):
    question = services.question_create(
        course=course, actor=alice, kind=QuestionKind.SINGLE, prompt="?", choices=single_choices(count=4)
    )
    services.question_update(
        question=question, actor=alice, kind=QuestionKind.TRUE_FALSE, prompt="?", title="", explanation="",
        standards=[], choices=[ChoiceInput("True", True), ChoiceInput("False", False)],
    )
    assert [(c.text, c.credit_percent) for c in question.choices.all()] == [("True", 100), ("False", 0)]


def test_question_move_and_delete_renumber(alice, course):
    q1, q2, q3 = (
        services.question_create(
            course=course, actor=alice, kind=QuestionKind.SINGLE, prompt=p, choices=single_choices()
        )
        for p in ("1?", "2?", "3?")
    )
    services.question_move(question=q1, actor=alice, direction="down")
    assert list(Question.objects.filter(course=course).values_list("prompt", "order")) == [
        ("2?", 0),
        ("1?", 1),
        ("3?", 2),
    ]
    services.question_delete(question=q2, actor=alice)
    assert list(Question.objects.filter(course=course).values_list("prompt", "order")) == [("1?", 0), ("3?", 1)]


# --- Programs --------------------------------------------------------------------------------------


def test_program_set_courses_orders_and_keeps_rows(alice, acme):
    a, b, c = (factories.CourseFactory(organization=acme, title=t) for t in "ABC")
    program = services.program_create(actor=alice, title="Onboarding", courses=[a, b])
    first_row_of_a = ProgramCourse.objects.get(program=program, course=a).pk
    # when
    services.program_set_courses(program=program, actor=alice, courses=[c, a])
    # then
    rows = list(ProgramCourse.objects.filter(program=program))
    assert [(row.course.title, row.order) for row in rows] == [("C", 0), ("A", 1)]
    assert ProgramCourse.objects.get(program=program, course=a).pk == first_row_of_a


def test_program_refuses_foreign_and_duplicate_courses(alice, acme, globex):
    mine = factories.CourseFactory(organization=acme)
    foreign = factories.CourseFactory(organization=globex)
    program = services.program_create(actor=alice, title="P", courses=[mine])
    with pytest.raises(ValidationError):
        services.program_set_courses(program=program, actor=alice, courses=[mine, foreign])
    with pytest.raises(ValidationError):
        services.program_set_courses(program=program, actor=alice, courses=[mine, mine])
    assert list(program.courses.all()) == [mine]


def test_program_update_and_delete(alice, acme):
    a = factories.CourseFactory(organization=acme)
    program = services.program_create(actor=alice, title="P", description="d", courses=[a])
    services.program_update(program=program, actor=alice, title="Q", description="e", courses=[])
    program.refresh_from_db()
    assert (program.title, program.description, program.courses.count()) == ("Q", "e", 0)
    services.program_delete(program=program, actor=alice)
    assert not type(program).objects.filter(pk=program.pk).exists()


def test_saving_a_lesson_or_question_loaded_before_a_move_keeps_the_new_order(alice, course, standard):
    # given: an author opens lesson A and question 1 for editing (the objects are loaded) ...
    a, b = (services.lesson_create(course=course, actor=alice, title=t) for t in "AB")
    q1, q2 = (
        services.question_create(
            course=course, actor=alice, kind=QuestionKind.SINGLE, prompt=p, choices=single_choices()
        )
        for p in ("1?", "2?")
    )
    stale_lesson = Lesson.objects.select_related("course").get(pk=a.pk)
    stale_question = Question.objects.select_related("course").get(pk=q1.pk)
    # ... while another author moves them down
    services.lesson_move(lesson=a, actor=alice, direction="down")
    services.question_move(question=q1, actor=alice, direction="down")

    # when: the first author saves the edits
    services.lesson_update(
        lesson=stale_lesson, actor=alice, title="A, edited", body_markdown="", video_url="", practice_prompt="",
        standards=[standard],
    )
    services.question_update(
        question=stale_question, actor=alice, kind=QuestionKind.SINGLE, prompt="1, edited?", title="",
        explanation="", standards=[standard], choices=single_choices(),
    )

    # then: the edits are saved and the move is not undone (no two rows share a position)
    assert list(Lesson.objects.filter(course=course).values_list("title", "order")) == [("B", 0), ("A, edited", 1)]
    assert list(Question.objects.filter(course=course).values_list("prompt", "order")) == [("2?", 0), ("1, edited?", 1)]


# --- Services are the permission boundary ----------------------------------------------------------
#
# Authoring is for authors of the content's organization: charlie (Globex admin), carol (employee)
# and bob (a manager without the author right) are refused by the service itself, and nothing changes.


def _authoring_calls(acme, course, standard):
    lesson = tagged_lesson(course, standard, title="Greeting")
    question = tagged_question(course, standard, prompt="Greet how fast?")
    program = factories.ProgramFactory(organization=acme)
    choices = single_choices()
    return {
        "course_update": lambda actor: services.course_update(
            course=course, actor=actor, title="X", summary="", estimated_minutes=5, pass_mark_percent=50
        ),
        "course_publish": lambda actor: services.course_publish(course=course, actor=actor),
        "course_unpublish": lambda actor: services.course_unpublish(course=course, actor=actor),
        "course_archive": lambda actor: services.course_archive(course=course, actor=actor),
        "lesson_create": lambda actor: services.lesson_create(course=course, actor=actor, title="X"),
        "lesson_update": lambda actor: services.lesson_update(
            lesson=lesson, actor=actor, title="X", body_markdown="", video_url="", practice_prompt="", standards=[]
        ),
        "lesson_delete": lambda actor: services.lesson_delete(lesson=lesson, actor=actor),
        "lesson_move": lambda actor: services.lesson_move(lesson=lesson, actor=actor, direction="down"),
        "question_create": lambda actor: services.question_create(
            course=course, actor=actor, kind=QuestionKind.SINGLE, prompt="X?", choices=choices
        ),
        "question_update": lambda actor: services.question_update(
            question=question, actor=actor, kind=QuestionKind.SINGLE, prompt="X?", choices=choices,
            title="", explanation="", standards=[],
        ),
        "question_delete": lambda actor: services.question_delete(question=question, actor=actor),
        "question_move": lambda actor: services.question_move(question=question, actor=actor, direction="down"),
        "questions_import": lambda actor: services.questions_import(
            course=course, actor=actor, fmt="gift", text="Q {T}"
        ),
        "questions_add_standards": lambda actor: services.questions_add_standards(
            course=course, actor=actor, standards_by_question={question.pk: [standard]}
        ),
        "program_set_courses": lambda actor: services.program_set_courses(
            program=program, actor=actor, courses=[course]
        ),
        "program_update": lambda actor: services.program_update(
            program=program, actor=actor, title="X", description="", courses=[]
        ),
        "program_delete": lambda actor: services.program_delete(program=program, actor=actor),
    }


AUTHORING_SERVICES = [
    "course_update", "course_publish", "course_unpublish", "course_archive", "lesson_create", "lesson_update",
    "lesson_delete", "lesson_move", "question_create", "question_update", "question_delete", "question_move",
    "questions_import", "questions_add_standards", "program_set_courses", "program_update", "program_delete",
]


def _content_state(acme):
    return (
        sorted(Course.objects.filter(organization=acme).values_list("title", "status")),
        sorted(Lesson.objects.filter(course__organization=acme).values_list("title", "order")),
        sorted(Question.objects.filter(course__organization=acme).values_list("prompt", "order")),
        sorted(Choice.objects.filter(question__course__organization=acme).values_list("text", "credit_percent")),
        sorted(Program.objects.filter(organization=acme).values_list("title", flat=True)),
        sorted(ProgramCourse.objects.filter(program__organization=acme).values_list("course_id", flat=True)),
    )


@pytest.mark.parametrize("name", AUTHORING_SERVICES)
@pytest.mark.parametrize("who", ["charlie", "carol", "bob without the author right", "inactive admin"])
def test_authoring_services_refuse_non_authors_and_other_organizations(
    acme, alice, bob, carol, charlie, course, standard, name, who
):
    # given
    call = _authoring_calls(acme, course, standard)[name]
    actor = {
        "charlie": charlie,
        "carol": carol,
        "bob without the author right": bob,
        "inactive admin": factories.member(acme, Role.ADMIN, is_active=False),
    }[who]
    before = _content_state(acme)
    # when / then
    with pytest.raises(NotPermitted):
        call(actor)
    assert _content_state(acme) == before


@pytest.mark.parametrize("name", AUTHORING_SERVICES)
def test_a_manager_with_the_author_right_may_author(acme, course, standard, name):
    author = factories.member(acme, Role.MANAGER, can_author=True)
    _authoring_calls(acme, course, standard)[name](author)  # no NotPermitted


@pytest.mark.parametrize("who", ["carol", "bob without the author right"])
def test_course_and_program_creation_need_the_author_right(acme, bob, carol, who):
    actor = {"carol": carol, "bob without the author right": bob}[who]
    with pytest.raises(NotPermitted):
        services.course_create(actor=actor, title="Mine")
    with pytest.raises(NotPermitted):
        services.program_create(actor=actor, title="Mine")
    assert _content_state(acme) == ([], [], [], [], [], [])
