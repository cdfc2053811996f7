"""Learner pages: my learning, the course player, knowledge checks, results, public certificates.

Thin views: who may (any member; certificates are public), one selector or service call, render or
redirect. Objects outside the member's reach (another organization, someone else's attempt, an
unpublished course) are 404s, as everywhere (organizations/tenancy.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from courses.content import video_embed_url
from courses.models import Course, CourseStatus
from enrollments import extensions, grading, selectors, services
from enrollments.calendar import calendar_bytes
from enrollments.forms import KnowledgeCheckForm, responses_from_post
from enrollments.models import Attempt, AttemptStatus
from organizations.models import Role
from organizations.tenancy import member_required

NOT_FOUND = "No such page in this organization."


@member_required()
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """The first page after sign-in. Employees: their next step, assignments and library. Managers and
    admins land on their team's dashboard (their own training stays one tap away, at /learn/)."""
    if request.membership.role in (Role.ADMIN, Role.MANAGER):
        return redirect("enrollments:dashboard")
    return _render_home(request)


@member_required()
@require_http_methods(["GET", "HEAD"])
def my_learning(request: HttpRequest) -> HttpResponse:
    """The same home, at the address every role can open for their own training."""
    return _render_home(request)


def _render_home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = selectors.home_for(membership=request.membership, now=now, time_zone=request.user.time_zone)
    sections = extensions.sections("home", membership=request.membership, now=now, home=page)
    return render(request, "enrollments/home.html", {"page": page, "sections": sections})


@member_required()
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    page = selectors.course_page_for(membership=request.membership, course_id=course_id)
    if page is None:
        raise Http404(NOT_FOUND)
    return render(request, "enrollments/course_detail.html", {"page": page, "course": page.course})


@member_required()
def lesson_detail(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    page = selectors.lesson_page_for(membership=request.membership, course_id=course_id, lesson_id=lesson_id)
    if page is None:
        raise Http404(NOT_FOUND)
    lesson = page.lesson
    # Records where to resume only when it moves: reading the lesson you are on writes nothing.
    services.lesson_visit(
        membership=request.membership, lesson=lesson, progress_id=page.state.progress_id,
        last_lesson_id=page.state.last_lesson_id,
    )
    return render(
        request,
        "enrollments/lesson_detail.html",
        {"page": page, "lesson": lesson, "course": lesson.course, "video_url": video_embed_url(lesson.video_url)},
    )


@member_required()
def lesson_complete(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    lesson = selectors.lesson_for(membership=request.membership, course_id=course_id, lesson_id=lesson_id)
    if lesson is None:
        raise Http404(NOT_FOUND)
    if request.method != "POST":
        return redirect("enrollments:lesson", course_id=course_id, lesson_id=lesson_id)
    completed = services.lesson_complete(membership=request.membership, lesson=lesson)
    if completed:
        messages.success(request, f"You completed “{lesson.course.title}”. Your certificate is ready.")
        return redirect("enrollments:course", course_id=course_id)
    if lesson.next_lesson_id is not None:
        return redirect("enrollments:lesson", course_id=course_id, lesson_id=lesson.next_lesson_id)
    return redirect("enrollments:course", course_id=course_id)


@member_required()
def knowledge_check(request: HttpRequest, course_id: int) -> HttpResponse:
    """GET shows the open attempt, or a start page whose button POSTs: a GET never starts an attempt
    (a link preview, a prefetch or a crawler must not open one). POST (Start, Retry) starts or
    resumes the one open attempt and redirects to the GET, so reloading never re-posts."""
    if request.method == "POST":
        course = selectors.published_course_for(membership=request.membership, course_id=course_id)
        if course is None:
            raise Http404(NOT_FOUND)
        try:
            services.attempt_start(membership=request.membership, course=course)
        except services.NoKnowledgeCheck:
            messages.info(request, "This course has no knowledge check.")
            return redirect("enrollments:course", course_id=course_id)
        return redirect("enrollments:check", course_id=course_id)
    page = selectors.check_page_for(membership=request.membership, course_id=course_id)
    if page is None:
        raise Http404(NOT_FOUND)
    if page.attempt is None:
        if not page.course.question_count:
            messages.info(request, "This course has no knowledge check.")
            return redirect("enrollments:course", course_id=course_id)
        return render(
            request,
            "enrollments/check_start.html",
            {"course": page.course, "next_number": page.next_number},
        )
    form = KnowledgeCheckForm(snapshot=page.attempt.snapshot)
    return _render_check(request, course=page.course, attempt=page.attempt, form=form)


def _render_check(
    request: HttpRequest, *, course: Course, attempt: Attempt, form: KnowledgeCheckForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "enrollments/knowledge_check.html",
        {
            "course": course,
            "attempt": attempt,
            "form": form,
            "items": form.items(),
            "pass_mark": attempt.snapshot["pass_mark_percent"],
        },
        status=status,
    )


@member_required()
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    if request.method != "POST":
        attempt = selectors.attempt_for(membership=request.membership, attempt_id=attempt_id)
        if attempt is None or not _result_exists(attempt):
            raise Http404(NOT_FOUND)
        return redirect("enrollments:attempt_result", attempt_id=attempt_id)
    try:
        outcome = services.attempt_submit(
            attempt_id=attempt_id, membership=request.membership, responses=responses_from_post(request.POST)
        )
    except services.AttemptNotFound:
        raise Http404(NOT_FOUND) from None
    except grading.ResponsesInvalid as invalid:
        return _render_refused(request, attempt_id=attempt_id, invalid=invalid)
    if outcome.course_completed:
        messages.success(request, "You passed and completed the course. Your certificate is ready.")
    elif not outcome.recorded:
        messages.info(request, "These answers had already been submitted; here is the result.")
    return redirect("enrollments:attempt_result", attempt_id=outcome.attempt_id)


def _render_refused(request: HttpRequest, *, attempt_id: int, invalid: grading.ResponsesInvalid) -> HttpResponse:
    """The form again, with the person's choices and what to fix; 400 because nothing was recorded."""
    attempt = selectors.attempt_for(membership=request.membership, attempt_id=attempt_id)
    if attempt is None:
        raise Http404(NOT_FOUND)
    form = KnowledgeCheckForm(request.POST, snapshot=invalid.snapshot or attempt.snapshot)
    form.show_service_errors(invalid.errors)
    return _render_check(request, course=attempt.progress.course, attempt=attempt, form=form, status=400)


def _result_exists(attempt: Attempt) -> bool:
    """A submitted attempt has a result whatever became of its course; an open one only leads back
    to the check while the course is published (unpublished since, it can no longer be submitted)."""
    return attempt.status != AttemptStatus.IN_PROGRESS or attempt.progress.course.status == CourseStatus.PUBLISHED


@member_required()
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = selectors.attempt_for(membership=request.membership, attempt_id=attempt_id)
    if attempt is None:
        raise Http404(NOT_FOUND)
    if not _result_exists(attempt):
        raise Http404(NOT_FOUND)
    course = attempt.progress.course
    course_open = course.status == CourseStatus.PUBLISHED
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return redirect("enrollments:check", course_id=course.pk)
    certificate = selectors.certificate_of(progress=attempt.progress)
    show_answers = selectors.answers_shown(attempt=attempt)
    return render(
        request,
        "enrollments/attempt_result.html",
        {
            "attempt": attempt,
            "course": course,
            "reviews": selectors.attempt_review(attempt=attempt, show_answers=show_answers),
            "show_answers": show_answers,
            "pass_mark": attempt.snapshot["pass_mark_percent"],
            "course_title": attempt.snapshot.get("course", {}).get("title") or course.title,
            "certificate": certificate,
            "course_completed": attempt.progress.completed_at is not None,
            # Unpublished or archived since: the result stays readable, without retry or course links.
            "course_open": course_open,
        },
    )


@require_http_methods(["GET", "HEAD"])
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the code (a link on a CV, a printed page) can check the certificate."""
    found = selectors.certificate_by_code(code=code)
    if found is None:
        raise Http404("No certificate has this code.")
    return render(
        request,
        "enrollments/certificate.html",
        {
            "certificate": found,
            "verify_url": request.build_absolute_uri(reverse("enrollments:certificate", args=[code])),
        },
    )


# --- Calendar feed --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by its secret token: calendar apps subscribe to it and cannot sign in."""
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404("No calendar has this link.")
    membership = feed.membership
    site_url = settings.SITE_URL
    body = calendar_bytes(
        name=f"{membership.organization.name} training",
        time_zone=membership.user.time_zone,
        items=[
            *selectors.calendar_items_for(membership=membership, site_url=site_url, host=urlsplit(site_url).hostname),
            *extensions.calendar_items(membership=membership, site_url=site_url, host=urlsplit(site_url).hostname),
        ],
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="training.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@member_required()
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The person's feed link, to paste into their calendar app; create it, or reset it (POST)."""
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            services.calendar_feed_reset(actor=request.membership)
            messages.success(request, "Your calendar link was replaced. The old link no longer works.")
        else:
            services.calendar_feed_create(actor=request.membership)
            messages.success(request, "Your calendar link is ready.")
        return redirect("enrollments:calendar_settings")
    feed = selectors.calendar_feed_of(membership=request.membership)
    feed_url = (
        f"{settings.SITE_URL}{reverse('enrollments:calendar_feed', kwargs={'token': feed.token})}" if feed else None
    )
    # webcal:// opens the calendar app's "subscribe" dialog on phones and desktops that have one.
    subscribe_url = f"webcal://{feed_url.split('://', 1)[1]}" if feed_url else None
    return render(request, "enrollments/calendar_settings.html", {"feed_url": feed_url, "subscribe_url": subscribe_url})
