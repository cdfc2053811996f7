"""Question import (GIFT, Aiken) and the review page where imported questions get their standards.

alice (Acme admin) imports into Acme's course; carol (employee), bob (manager without the author
permission) and charlie (Globex admin) must get 404s; nothing they post is imported.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import Choice, CourseStatus, Question, QuestionKind, QuestionSource, QuestionTextFormat
from courses.question_formats import MAX_UPLOAD_BYTES
from organizations.models import Role
from organizations.permissions import NotPermitted
from tests import factories
from tests.conftest import client_for

DATA = Path(__file__).parent / "data"


@pytest.fixture
def course(acme):
    return factories.CourseFactory(organization=acme, title="Front desk basics")


@pytest.fixture
def existing_questions(course):
    """Two questions written by hand, already in the course."""
    return [
        factories.QuestionFactory(course=course, order=0, prompt="Authored one?"),
        factories.QuestionFactory(course=course, order=1, prompt="Authored two?"),
    ]


@pytest.fixture
def standards(acme):
    return [
        factories.ServiceStandardFactory(organization=acme, code="S1", title="Greet within ten seconds", order=1),
        factories.ServiceStandardFactory(organization=acme, code="S2", title="Own the problem", order=2),
    ]


def import_url(course) -> str:
    return reverse("courses:question_import", kwargs={"course_id": course.pk})


def review_url(course) -> str:
    return reverse("courses:question_review", kwargs={"course_id": course.pk})


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    if data is None:
        data = (DATA / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type="text/plain")


def imported(course) -> list[Question]:
    return list(
        Question.objects.filter(course=course).exclude(source=QuestionSource.AUTHORED).prefetch_related("choices")
    )


def author(course):
    """An admin (so an author) of the course's organization, to act in direct service calls."""
    return factories.member(course.organization, Role.ADMIN)


def credits(question) -> list[int]:
    return [choice.credit_percent for choice in question.choices.all()]


# --- Valid files through the view ------------------------------------------------------------------------


def test_gift_upload_creates_questions_choices_credits_and_feedback(alice, course, existing_questions):
    # when
    response = client_for(alice).post(
        import_url(course), {"format": "gift", "file": upload("front_desk.gift"), "text": ""}, follow=True
    )

    # then: the author lands on the review page with the message
    assert response.redirect_chain == [(review_url(course), 302)]
    assert "7 questions imported — tag them with standards." in response.content.decode()

    questions = imported(course)
    assert [q.order for q in questions] == [2, 3, 4, 5, 6, 7, 8]  # after the two existing questions
    assert {q.source for q in questions} == {QuestionSource.GIFT}
    assert [q.kind for q in questions] == [
        QuestionKind.SINGLE,
        QuestionKind.MULTIPLE,
        QuestionKind.TRUE_FALSE,
        QuestionKind.TRUE_FALSE,
        QuestionKind.SINGLE,
        QuestionKind.SINGLE,
        QuestionKind.SINGLE,
    ]
    assert all(not q.standards.exists() for q in questions)

    busy_phone = questions[0]
    assert busy_phone.title == "Busy phone, waiting guest"
    assert busy_phone.prompt.startswith("You are on the phone confirming a booking")
    assert busy_phone.explanation == "Greet within ten seconds, even when you cannot serve the guest yet."
    assert credits(busy_phone) == [100, 0, 0]
    first_choice = busy_phone.choices.all()[0]
    assert first_choice.text == "Look up, smile and raise a hand to show you have seen them, then wrap up the call"
    assert first_choice.feedback == (
        "Right: the guest knows they are seen within seconds, and the caller is not dropped."
    )
    assert [c.order for c in busy_phone.choices.all()] == [0, 1, 2]

    late_checkout = questions[1]
    assert credits(late_checkout) == [50, 50, -100, 0]  # the file's own weights
    assert late_checkout.choices.all()[2].feedback == "A flat no leaves the problem with the guest."

    apology = questions[2]
    assert [(c.text, c.credit_percent, c.feedback) for c in apology.choices.all()] == [
        ("True", 0, "Explaining first sounds like an excuse."),
        ("False", 100, "Right: acknowledge and apologize, then explain and act."),
    ]
    assert credits(questions[3]) == [100, 0]
    assert "you _____ and tell the guest" in questions[4].prompt
    assert questions[5].prompt.startswith("A guest's voucher code reads {WIFI=2024}.")


def test_aiken_pasted_text_creates_single_choice_questions(alice, course):
    text = (DATA / "front_desk_aiken.txt").read_text(encoding="utf-8")

    response = client_for(alice).post(import_url(course), {"format": "aiken", "text": text})

    assert response.status_code == 302
    assert response["Location"] == review_url(course)
    questions = imported(course)
    assert [q.order for q in questions] == [0, 1, 2]
    assert {q.source for q in questions} == {QuestionSource.AIKEN}
    assert {q.kind for q in questions} == {QuestionKind.SINGLE}
    assert [credits(q) for q in questions] == [[0, 100, 0, 0], [100, 0, 0], [0, 100]]
    assert questions[2].prompt == "A caller is angry about a double charge on their card.\nWhat is the best next step?"
    assert questions[1].choices.all()[2].text == "Pointing at the queue sign"


def test_one_question_message_is_singular(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "Q {T}"}, follow=True)

    assert "1 question imported — tag it with standards." in response.content.decode()


def test_utf8_file_with_byte_order_mark(alice, course):
    data = "\ufeff::Café::Un client attend à l’accueil. {=Le saluer ~L’ignorer}".encode()

    client_for(alice).post(import_url(course), {"format": "gift", "file": upload("fr.gift", data)})

    [question] = imported(course)
    assert question.title == "Café"
    assert question.prompt == "Un client attend à l’accueil."


def test_import_page_renders_for_an_author(alice, course):
    response = client_for(alice).get(import_url(course))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert '<label for="id_file">' in body and '<label for="id_text">' in body and '<label for="id_format">' in body
    assert "<script>" not in body and "style=" not in body


# --- Unsupported types and dropped images: a preview, nothing written until confirmed --------------------

MIXED = (
    "// a Moodle export with types we do not import\n"
    "::One::First {=a ~b}\n\n"
    "::Short::Name the standard. {=Greet}\n\n"
    "::Num::How many seconds? {#10}\n\n"
    "[html]<p>Which sign?</p><img src\\=\"@@PLUGINFILE@@/sign.png\"> {=<b>Exit</b> ~Entry}\n"
)


def test_mixed_file_shows_a_preview_and_writes_nothing(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": MIXED})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Check the import" in body
    assert "<strong>2 questions</strong> can be imported" in body
    assert "<strong>Line 4:</strong> Unsupported question type: short answer" in body
    assert "<strong>Line 6:</strong> Unsupported question type: numerical" in body
    assert "<strong>Line 8:</strong> The image “sign.png” is in Moodle&#x27;s file area" in body
    assert "Import 2 questions" in body
    assert not Question.objects.filter(course=course).exists()


def test_the_preview_posts_the_same_text_back_and_confirming_imports_the_rest(alice, course):
    client = client_for(alice)
    preview = client.post(import_url(course), {"format": "gift", "text": MIXED}).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(format|text|confirmed)" value="([^"]*)">', preview))

    response = client.post(import_url(course), {key: html.unescape(value) for key, value in hidden.items()})

    assert response.status_code == 302
    questions = imported(course)
    assert [q.title for q in questions] == ["One", ""]
    assert questions[1].text_format == QuestionTextFormat.HTML
    assert questions[1].prompt == "Which sign?"  # a lone paragraph is unwrapped
    assert [c.text for c in questions[1].choices.all()] == ["<b>Exit</b>", "Entry"]


def test_a_file_without_any_supported_question_is_an_error(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "Q {#1}\n\nR {}"})

    body = response.content.decode()
    assert "<strong>Line 1:</strong> No question of a type we import" in body
    assert not Question.objects.filter(course=course).exists()


def test_a_file_without_surprises_imports_at_once(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "[html]<b>Q</b> {=a ~b}"})

    assert response.status_code == 302
    assert imported(course)[0].prompt == "<b>Q</b>"


def test_html_question_is_shown_as_html_to_the_author_and_the_learner(alice, carol, course, standards):
    from enrollments.services import attempt_start

    services.questions_import(
        course=course,
        actor=alice,
        fmt="gift",
        text="[html]<p>Greet <b>first</b>?</p><p>Now.</p> {=<i>Yes</i> #<em>good</em> ~No}",
    )
    question = imported(course)[0]
    question.standards.add(standards[0])
    body = client_for(alice).get(reverse("courses:course_preview", kwargs={"course_id": course.pk})).content.decode()
    assert "<p>Greet <b>first</b>?</p><p>Now.</p>" in body and "<i>Yes</i>" in body and "<em>good</em>" in body
    assert "&lt;b&gt;" not in body

    course.status = CourseStatus.PUBLISHED
    course.save()
    attempt = attempt_start(membership=carol, course=course)
    assert attempt.snapshot["questions"][0]["text_format"] == "html"
    body = client_for(carol).get(reverse("enrollments:check", kwargs={"course_id": course.pk})).content.decode()
    assert "<p>Greet <b>first</b>?</p><p>Now.</p>" in body and "<span><i>Yes</i></span>" in body
    assert "&lt;" not in body


def test_service_refuses_unsupported_questions_unless_told_to_skip_them(course):
    text = "Q {=a ~b}\n\nShort {=answer}"
    with pytest.raises(services.QuestionImportInvalid) as caught:
        services.questions_import(course=course, actor=author(course), fmt="gift", text=text)
    assert caught.value.messages == [
        "Line 3: Unsupported question type: short answer (only = answers, no ~ wrong answers). "
        "Add ~wrong answers to make it a choice question."
    ]

    outcome = services.questions_import(
        course=course, actor=author(course), fmt="gift", text=text, skip_unsupported=True
    )
    assert outcome.count == 1


def test_editing_an_html_question_sanitizes_it_again(alice, course):
    services.questions_import(course=course, actor=alice, fmt="gift", text="[html]<b>Q</b> {=a ~b}")
    question = imported(course)[0]

    services.question_update(
        question=question,
        actor=alice,
        kind=question.kind,
        title="",
        explanation="<script>x</script>ok",
        prompt='<b onclick="x()">Q2</b>',
        standards=[],
        choices=[
            services.ChoiceInput(text="<i>a</i><iframe></iframe>", is_correct=True),
            services.ChoiceInput(text="b", is_correct=False),
        ],
    )

    question.refresh_from_db()
    assert (question.prompt, question.explanation) == ("<b>Q2</b>", "ok")
    assert [c.text for c in question.choices.all()] == ["<i>a</i>", "b"]


# --- Broken files: nothing imported, every error shown -----------------------------------------------------


def test_broken_gift_file_imports_nothing_and_lists_every_error_line(alice, course, existing_questions):
    # the broken file also contains nothing valid; add a valid question to prove all-or-nothing
    data = b"Valid question {=a ~b}\n\n" + (DATA / "broken.gift").read_bytes()

    response = client_for(alice).post(import_url(course), {"format": "gift", "file": upload("broken.gift", data)})

    assert response.status_code == 200
    assert Question.objects.filter(course=course).count() == 2
    body = response.content.decode()
    assert "Nothing was imported: 8 problems to fix" in body
    for line in [3, 7, 14, 18, 22, 28, 40, 42]:
        assert f"<strong>Line {line + 2}:</strong>" in body  # two lines were added on top
    # the unsupported questions are not problems, but the author learns they will be left out
    assert (
        "line 32 (short answer), line 34 (numerical), line 36 (matching), line 38 (essay), line 40 (description)"
        in body
    )


def test_broken_aiken_file_lists_every_error_line(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "aiken", "file": upload("broken_aiken.txt")})

    body = response.content.decode()
    for line in [1, 7, 13, 17, 22, 24, 26, 30]:
        assert f"<strong>Line {line}:</strong>" in body
    assert "ANSWER D is not among the options (A, B)." in body
    assert not Question.objects.filter(course=course).exists()


def test_single_choice_with_several_equals_answers_imports_each_fully_right(alice, course):
    # Moodle: every "=" answer of a single-choice question scores 100%.
    text = "Fine {=a ~b}\n\n// two right answers in a single-choice question\nTwo right {=a =b ~c}\n"

    response = client_for(alice).post(import_url(course), {"format": "gift", "text": text})

    assert response.status_code == 302
    fine, two_right = imported(course)
    assert credits(fine) == [100, 0]
    assert (two_right.kind, credits(two_right)) == (QuestionKind.SINGLE, [100, 100, 0])


def test_category_is_kept_and_shown_in_the_review_list(alice, course, standards):
    text = "$CATEGORY: $course$/top/Front desk/Arrival\n\nQ {=a ~b}\n\nR {=a ~b}\n"

    client_for(alice).post(import_url(course), {"format": "gift", "text": text})
    response = client_for(alice).get(review_url(course))

    assert [q.category for q in imported(course)] == ["$course$/top/Front desk/Arrival"] * 2
    assert response.content.decode().count("Category: $course$/top/Front desk/Arrival") == 2


def test_aiken_file_with_a_nul_byte_is_a_line_error_not_a_server_error(alice, course):
    data = b"Q\nA) one\x00\nB) two\nANSWER: A\n"

    response = client_for(alice).post(import_url(course), {"format": "aiken", "file": upload("nul.txt", data)})

    assert response.status_code == 200
    assert "<strong>Line 2:</strong> This line holds a NUL character" in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_wrong_format_chosen_shows_errors(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "aiken", "file": upload("front_desk.gift")})

    assert "Nothing was imported" in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_pasted_text_is_kept_after_errors(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "Q {~a ~b}"})

    assert "Q {~a ~b}</textarea>" in response.content.decode()


def test_file_that_is_not_utf8_is_refused_clearly(alice, course):
    data = "Caf\u00e9 {=oui ~non}".encode("latin-1")

    response = client_for(alice).post(import_url(course), {"format": "gift", "file": upload("latin1.gift", data)})

    assert response.status_code == 200
    assert "The file is not UTF-8 text (line 1" in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_file_over_one_mebibyte_is_refused(alice, course):
    data = b"// padding\n" * (MAX_UPLOAD_BYTES // 11 + 1)

    response = client_for(alice).post(import_url(course), {"format": "gift", "file": upload("big.gift", data)})

    assert "The file is larger than 1 MiB" in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_file_and_pasted_text_together_are_refused(alice, course):
    response = client_for(alice).post(
        import_url(course), {"format": "gift", "file": upload("front_desk.gift"), "text": "Q {T}"}
    )

    assert "Upload a file or paste the questions, not both." in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_nothing_to_import(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "  "})

    assert "Choose a file to upload, or paste the questions." in response.content.decode()


def test_comments_only_is_an_error(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "// nothing here\n"})

    assert "<strong>Line 1:</strong> No questions found." in response.content.decode()


def test_unknown_format_is_a_form_error(alice, course):
    response = client_for(alice).post(import_url(course), {"format": "qti", "text": "Q {T}"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Question.objects.filter(course=course).exists()


def test_published_course_refuses_imports(alice, course, existing_questions):
    course.status = CourseStatus.PUBLISHED
    course.save()

    response = client_for(alice).post(import_url(course), {"format": "gift", "text": "Q {T}"})

    assert "is published, and imported questions arrive without standards" in response.content.decode()
    assert Question.objects.filter(course=course).count() == 2


# --- Who may import --------------------------------------------------------------------------------------


def test_author_of_another_organization_gets_404_and_nothing_is_imported(charlie, course):
    client = client_for(charlie)

    assert client.get(import_url(course)).status_code == 404
    response = client.post(import_url(course), {"format": "gift", "file": upload("front_desk.gift")})
    assert response.status_code == 404
    assert client.get(review_url(course)).status_code == 404
    assert not Question.objects.filter(course=course).exists()


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_members_who_are_not_authors_get_404(acme, course, role):
    member = factories.member(acme, role)  # a manager without the author permission
    client = client_for(member)

    assert client.get(import_url(course)).status_code == 404
    assert client.post(import_url(course), {"format": "gift", "text": "Q {T}"}).status_code == 404
    assert client.get(review_url(course)).status_code == 404
    assert not Question.objects.filter(course=course).exists()


def test_employee_carol_gets_404(carol, course):
    assert client_for(carol).post(import_url(course), {"format": "gift", "text": "Q {T}"}).status_code == 404
    assert not Question.objects.filter(course=course).exists()


def test_manager_with_author_permission_may_import(acme, course):
    manager = factories.member(acme, Role.MANAGER, can_author=True)

    response = client_for(manager).post(import_url(course), {"format": "gift", "text": "Q {T}"})

    assert response.status_code == 302
    assert len(imported(course)) == 1


def test_anonymous_visitor_is_sent_to_sign_in(client, course):
    response = client.get(import_url(course))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- Review and tagging ------------------------------------------------------------------------------------


def _import(course, text: str = "") -> list[Question]:
    text = text or (DATA / "front_desk.gift").read_text(encoding="utf-8")
    return services.questions_import(course=course, actor=author(course), fmt="gift", text=text).questions


def test_review_lists_untagged_questions_with_their_choices(alice, course, standards):
    tagged = factories.QuestionFactory(course=course, prompt="Already tagged?")
    tagged.standards.add(standards[0])
    questions = _import(course)

    response = client_for(alice).get(review_url(course))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Already tagged?" not in body
    assert f"Review untagged questions <span class=\"badge badge-muted\">{len(questions)}</span>" in body
    assert "Put the caller on hold without a word and serve the guest" in body
    assert "Feedback: A flat no leaves the problem with the guest." in body
    assert "<legend>Standards for question 1</legend>" in body
    assert "S1 · Greet within ten seconds" in body
    assert "<script>" not in body and "style=" not in body


def test_review_offers_only_the_organizations_active_standards(alice, acme, globex, course, standards):
    factories.ServiceStandardFactory(organization=acme, code="S9", title="Retired standard", is_active=False)
    factories.ServiceStandardFactory(organization=globex, code="G1", title="Globex standard")
    _import(course, "Q {T}")

    body = client_for(alice).get(review_url(course)).content.decode()

    assert "S2 · Own the problem" in body
    assert "Retired standard" not in body
    assert "Globex standard" not in body


def test_tagging_saves_standards_and_the_question_leaves_the_list(alice, course, standards):
    first, second = _import(course, "Greeting statement {T}\n\nApology statement {F}")
    s1, s2 = standards

    response = client_for(alice).post(
        review_url(course), {f"question_{first.pk}": [s1.pk, s2.pk], f"question_{second.pk}": []}, follow=True
    )

    assert response.redirect_chain == [(review_url(course), 302)]
    assert set(first.standards.all()) == {s1, s2}
    assert not second.standards.exists()
    body = response.content.decode()
    assert "Standards saved for 1 question." in body
    assert "Greeting statement" not in body
    assert "Apology statement" in body
    assert [row.pk for row in Question.objects.filter(course=course, standards__isnull=True)] == [second.pk]


def test_tagging_nothing_saves_nothing(alice, course, standards):
    _import(course, "Q {T}")

    response = client_for(alice).post(review_url(course), {}, follow=True)

    assert "Nothing saved: tick at least one standard for a question." in response.content.decode()


def test_tagging_refuses_a_standard_of_another_organization(alice, globex, course, standards):
    [question] = _import(course, "Q {T}")
    foreign = factories.ServiceStandardFactory(organization=globex, code="G1")

    response = client_for(alice).post(review_url(course), {f"question_{question.pk}": [standards[0].pk, foreign.pk]})

    assert response.status_code == 200
    assert f"Choose standards of your organization only ({foreign.pk} is not one of them)." in response.content.decode()
    assert not question.standards.exists()


def test_tagging_refuses_a_retired_standard(alice, acme, course, standards):
    [question] = _import(course, "Q {T}")
    retired = factories.ServiceStandardFactory(organization=acme, is_active=False)

    response = client_for(alice).post(review_url(course), {f"question_{question.pk}": [retired.pk]})

    assert "Choose standards of your organization only" in response.content.decode()
    assert not question.standards.exists()


def test_review_without_standards_says_so(alice, course):
    _import(course, "Q {T}")

    body = client_for(alice).get(review_url(course)).content.decode()

    assert "no active service standards yet" in body


def test_review_when_everything_is_tagged(alice, course):
    body = client_for(alice).get(review_url(course)).content.decode()

    assert "Every question of this course is tagged with a service standard." in body


def _review_queries(client, course, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(review_url(course) + query)
    assert response.status_code == 200
    return len(queries)


def test_review_page_query_count_is_constant(alice, course, standards):
    client = client_for(alice)
    client.get(review_url(course))  # warm the session

    def add_questions(count: int) -> None:
        for _ in range(count):
            question = factories.QuestionFactory(course=course, source=QuestionSource.GIFT)
            factories.ChoiceFactory(question=question, credit_percent=100, feedback="Yes.")
            factories.ChoiceFactory(question=question, credit_percent=0)
            factories.ChoiceFactory(question=question, credit_percent=-50)

    add_questions(3)
    with_three = _review_queries(client, course)
    add_questions(57)
    with_sixty = _review_queries(client, course)  # three pages of 25
    with_sixty_last_page = _review_queries(client, course, "?page=3")

    assert with_three == with_sixty == with_sixty_last_page
    assert with_sixty <= 20  # author pages: the manager budget


def test_review_is_paginated_and_tagging_a_page_keeps_the_author_on_it(alice, course, standards):
    _import(course, "\n\n".join(f"Question {i}? {{=a ~b}}" for i in range(1, 61)))
    client = client_for(alice)

    page_two = client.get(review_url(course) + "?page=2")
    body = page_two.content.decode()
    assert [q.prompt for q, _ in page_two.context["rows"]] == [f"Question {i}?" for i in range(26, 51)]
    assert "Page 2 of 3" in body and '<ol class="question-list" start="26">' in body
    assert "<legend>Standards for question 26</legend>" in body
    assert "Review untagged questions <span class=\"badge badge-muted\">60</span>" in body

    ids = [q.pk for q, _ in page_two.context["rows"]]
    response = client.post(review_url(course) + "?page=2", {f"question_{pk}": [standards[0].pk] for pk in ids})

    assert response.status_code == 302 and response["Location"].endswith("?page=2")
    assert Question.objects.filter(course=course, standards__isnull=True).count() == 35


def test_import_past_the_question_cap_is_refused_clearly(alice, course):
    factories.QuestionFactory(course=course)
    text = "\n\n".join(f"Q{i} {{=a ~b}}" for i in range(500))

    response = client_for(alice).post(import_url(course), {"format": "gift", "text": text})

    body = response.content.decode()
    assert (
        "A course holds at most 500 questions. “Front desk basics” has 1, so 499 more fit and this would add 500."
        in body
    )
    assert Question.objects.filter(course=course).count() == 1


# --- Services directly --------------------------------------------------------------------------------------


def test_service_raises_with_every_error_sorted_and_writes_nothing(course):
    with pytest.raises(services.QuestionImportInvalid) as caught:
        services.questions_import(
            course=course, actor=author(course), fmt="gift", text="A {~a ~b}\n\nB {=a ~%7%b}\n\nGood {T}"
        )

    assert [error.line for error in caught.value.parse_errors] == [1, 3]
    assert caught.value.messages[0].startswith("Line 1: No correct answer")
    assert not Question.objects.filter(course=course).exists()


def test_service_appends_after_the_highest_order(course):
    factories.QuestionFactory(course=course, order=0)
    factories.QuestionFactory(course=course, order=7)

    questions = services.questions_import(
        course=course, actor=author(course), fmt="aiken", text="Q\nA) a\nB) b\nANSWER: A"
    ).questions

    assert [q.order for q in questions] == [8]
    assert Choice.objects.filter(question=questions[0]).count() == 2


def test_service_refuses_an_actor_of_another_organization_or_not_an_author(course, charlie, carol):
    for actor in (charlie, carol):
        with pytest.raises(NotPermitted):
            services.questions_import(course=course, actor=actor, fmt="gift", text="Q {=a ~b}")

    assert not Question.objects.filter(course=course).exists()


def test_service_rejects_an_unknown_format(course):
    with pytest.raises(ValueError):
        services.questions_import(course=course, actor=author(course), fmt="qti", text="")  # type: ignore[arg-type]


def test_add_standards_refuses_questions_of_another_course(alice, acme, course, standards):
    other_course = factories.CourseFactory(organization=acme)
    foreign_question = factories.QuestionFactory(course=other_course)

    with pytest.raises(ValidationError):
        services.questions_add_standards(
            course=course, actor=alice, standards_by_question={foreign_question.pk: [standards[0]]}
        )
    assert not foreign_question.standards.exists()


def test_add_standards_refuses_standards_of_another_organization(alice, globex, course):
    [question] = _import(course, "Q {T}")
    foreign = factories.ServiceStandardFactory(organization=globex)

    with pytest.raises(ValidationError):
        services.questions_add_standards(course=course, actor=alice, standards_by_question={question.pk: [foreign]})
    assert not question.standards.exists()


def test_add_standards_keeps_existing_tags(alice, course, standards):
    [question] = _import(course, "Q {T}")
    question.standards.add(standards[0])

    tagged = services.questions_add_standards(
        course=course, actor=alice, standards_by_question={question.pk: [standards[0], standards[1]]}
    )

    assert tagged == 1
    assert set(question.standards.all()) == set(standards)
