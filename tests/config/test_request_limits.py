"""Form data over Django's limits gets the branded 413 page, with nothing written, from the test client
and from a real server reached over a socket (where, left to Django, the answer was a bare 400 sent
before the body was read, which a client still sending sees as a reset connection)."""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import get_random_string

from courses.models import Lesson, Question
from organizations.models import Role
from tests import factories
from tests.conftest import client_for


def _over_the_limit() -> str:
    return "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)


def _assert_branded_413(response) -> str:
    html = response.content.decode()
    assert response.status_code == 413
    assert "That was too much to send at once" in html and "nothing was saved" in html
    assert 'class="site-header"' in html  # the product's layout, with the person's menu
    return html


@pytest.fixture
def author(acme):
    return factories.member(acme, Role.ADMIN)


def test_a_lesson_body_over_the_limit_gets_the_413_page_and_changes_nothing(author, acme):
    course = factories.CourseFactory(organization=acme)
    lesson = factories.LessonFactory(course=course, body_markdown="Before")
    url = reverse("courses:lesson_edit", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})

    response = client_for(author).post(url, {"title": "After", "body_markdown": _over_the_limit()})

    _assert_branded_413(response)
    lesson.refresh_from_db()
    assert (lesson.title, lesson.body_markdown) != ("After", _over_the_limit())
    assert lesson.body_markdown == "Before"


def test_a_pasted_question_import_over_the_limit_gets_the_413_page_and_imports_nothing(author, acme):
    course = factories.CourseFactory(organization=acme)
    url = reverse("courses:question_import", kwargs={"course_id": course.pk})
    text = "::Q:: Greet? {=Yes ~No}\n\n" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 20)

    html = _assert_branded_413(client_for(author).post(url, {"format": "gift", "text": text}))

    assert "import them in several parts" in html
    assert not Question.objects.filter(course=course).exists()


def test_too_many_fields_get_the_413_page(author, acme):
    course = factories.CourseFactory(organization=acme)
    url = reverse("courses:lesson_create", kwargs={"course_id": course.pk})
    fields = {f"field{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    _assert_branded_413(client_for(author).post(url, fields))
    assert not Lesson.objects.filter(course=course).exists()


def test_a_form_under_the_limit_is_untouched(author, acme):
    course = factories.CourseFactory(organization=acme)
    url = reverse("courses:lesson_create", kwargs={"course_id": course.pk})

    response = client_for(author).post(url, {"title": "Greeting", "body_markdown": "Say hello."})

    assert response.status_code in (200, 302)
    assert response.status_code != 413


@pytest.mark.django_db(transaction=True)
def test_a_real_server_reads_the_body_and_answers_413(live_server, author, acme):
    # given a signed-in author's session cookie and CSRF token, as a browser would have them
    course = factories.CourseFactory(organization=acme)
    lesson = factories.LessonFactory(course=course, body_markdown="Before")
    client = client_for(author)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    path = reverse("courses:lesson_edit", kwargs={"course_id": course.pk, "lesson_id": lesson.pk})
    csrf_token = get_random_string(32)
    body = urlencode({"csrfmiddlewaretoken": csrf_token, "title": "After", "body_markdown": _over_the_limit()}).encode()
    cookies = f"{settings.SESSION_COOKIE_NAME}={session_cookie}; {settings.CSRF_COOKIE_NAME}={csrf_token}"

    # when the whole body is sent over a real socket (http.client sends it all before reading)
    host = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    connection.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies, "X-CSRFToken": csrf_token},
    )
    response = connection.getresponse()
    html = response.read().decode()
    connection.close()

    # then the answer is the branded 413 page, not a reset, and nothing changed
    assert response.status == 413
    assert "That was too much to send at once" in html
    lesson.refresh_from_db()
    assert lesson.body_markdown == "Before"


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x", "///evil.example/x"])
def test_the_back_link_never_leads_off_the_site(author, path):
    # a cross-site form posting to a path that, as a link, would be another host
    response = client_for(author).post("/", {"text": _over_the_limit()}, PATH_INFO=path)

    html = _assert_branded_413(response)
    assert "evil.example" not in html
    assert 'href="/">Back to the form' in html
