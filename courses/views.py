"""Authoring pages: courses, lessons, questions, imports, programs, coverage."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from config.media import media_file_response
from courses import selectors, services
from courses.content import render_markdown
from courses.forms import (
    CourseForm,
    LessonForm,
    MoveForm,
    ProgramForm,
    QuestionForm,
    QuestionImportForm,
    QuestionTaggingForm,
    choice_formset,
)
from courses.models import Course, CourseStatus, QuestionKind
from organizations.models import Role
from organizations.tenancy import member_required

author_required = member_required(author=True)


def _add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: field errors on their field, the rest at the top."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


def _flash_errors(request: HttpRequest, error: ValidationError, lead: str) -> None:
    messages.error(request, lead)
    for message in error.messages:
        messages.error(request, message)


def _course(request: HttpRequest, course_id: int, *, for_editing: bool = False) -> Course:
    membership = request.membership
    queryset = (
        selectors.courses_for_editing(membership=membership)
        if for_editing
        else selectors.courses_for_authoring(membership=membership)
    )
    return get_object_or_404(queryset, pk=course_id)


def _to_course(course_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("courses:course_edit", course_id=course_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- Courses ---------------------------------------------------------------------------------------


@author_required
def course_list(request: HttpRequest) -> HttpResponse:
    courses = list(selectors.course_list_for_authoring(membership=request.membership))
    groups = [
        (status, label, [course for course in courses if course.status == status])
        for status, label in CourseStatus.choices
    ]
    return render(request, "courses/course_list.html", {"groups": groups, "course_count": len(courses)})


@author_required
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST, request.FILES) if request.method == "POST" else CourseForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        course = services.course_create(
            actor=request.membership,
            title=data["title"],
            summary=data["summary"],
            estimated_minutes=data["estimated_minutes"],
            pass_mark_percent=data["pass_mark_percent"],
            always_show_answers=data["always_show_answers"],
            cover_image=form.cover_image_change() or None,
        )
        messages.success(request, f"Course “{course.title}” created as a draft. Add lessons and questions next.")
        return _to_course(course.pk)
    return render(request, "courses/course_form.html", {"form": form})


# The edit and review pages list a course's questions a page at a time, so that their cost does
# not grow with the course (it may hold up to services.MAX_QUESTIONS_PER_COURSE).
QUESTIONS_PER_PAGE = 25


def _questions_page(request: HttpRequest, questions) -> Page:
    return Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))


@author_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    initial = CourseForm.initial_for(course)
    if request.method == "POST":
        form = CourseForm(request.POST, request.FILES, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            services.course_update(
                course=course,
                actor=request.membership,
                title=data["title"],
                summary=data["summary"],
                estimated_minutes=data["estimated_minutes"],
                pass_mark_percent=data["pass_mark_percent"],
                always_show_answers=data["always_show_answers"],
                cover_image=form.cover_image_change(),
            )
            messages.success(request, "Course details saved.")
            return _to_course(course.pk)
    else:
        form = CourseForm(initial=initial)
    membership = request.membership
    page = _questions_page(request, selectors.questions_for_authoring(membership=membership, course_id=course.pk))
    context = {
        "course": course,
        "form": form,
        "lessons": list(selectors.lessons_for_authoring(membership=membership, course_id=course.pk)),
        "questions": list(page.object_list),
        "page": page,
        "problems": services.course_publish_problems(course=course),
        "question_kinds": QuestionKind.choices,
    }
    return render(request, "courses/course_edit.html", context)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Checked after the object lookup, not with @require_POST: another organization's object is a
    # 404 whatever the method (tests/test_tenancy.py sweeps GET and POST).
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _course_status_change(request: HttpRequest, course_id: int, change, done: str) -> HttpResponse:
    course = _course(request, course_id)
    if refused := _post_only(request):
        return refused
    change(course=course, actor=request.membership)
    messages.success(request, done.format(title=course.title))
    return _to_course(course.pk)


@author_required
def course_publish(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    if refused := _post_only(request):
        return refused
    try:
        services.course_publish(course=course, actor=request.membership)
    except services.CourseNotPublishable:
        # The edit page lists what blocks publishing (its checklist); repeating the list in the
        # message would show every blocker twice.
        messages.error(request, f"“{course.title}” cannot be published yet: see what to fix below.")
        return _to_course(course.pk, "publish-checklist")
    messages.success(request, f"“{course.title}” is published: learners can now take it.")
    return _to_course(course.pk)


@author_required
def course_unpublish(request: HttpRequest, course_id: int) -> HttpResponse:
    return _course_status_change(
        request, course_id, services.course_unpublish, "“{title}” is a draft again: learners no longer see it."
    )


@author_required
def course_archive(request: HttpRequest, course_id: int) -> HttpResponse:
    return _course_status_change(
        request, course_id, services.course_archive, "“{title}” is archived; its history is kept."
    )


@author_required
def course_preview(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, for_editing=True)
    context = {"course": course, "lessons": list(course.lessons.all()), "questions": list(course.questions.all())}
    return render(request, "courses/course_preview.html", context)


# --- Lessons ---------------------------------------------------------------------------------------


def _lesson(request: HttpRequest, course_id: int, lesson_id: int):
    lessons = selectors.lessons_for_authoring(membership=request.membership, course_id=course_id)
    return get_object_or_404(lessons, pk=lesson_id)


@author_required
def lesson_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    standards = selectors.standards_for_tagging(membership=request.membership)
    form = LessonForm(request.POST if request.method == "POST" else None, standards_queryset=standards)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_create(course=course, actor=request.membership, **form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"Lesson “{form.cleaned_data['title']}” added.")
            return _to_course(course.pk, "lessons")
    return render(request, "courses/lesson_form.html", {"course": course, "form": form, "lesson": None})


@author_required
def lesson_edit(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, course_id, lesson_id)
    initial = LessonForm.initial_for(lesson)
    standards = selectors.standards_for_tagging(membership=request.membership, keep_ids=initial["standards"])
    if request.method == "POST":
        form = LessonForm(request.POST, initial=initial, standards_queryset=standards)
        if form.is_valid():
            try:
                services.lesson_update(lesson=lesson, actor=request.membership, **form.cleaned_data)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, f"Lesson “{lesson.title}” saved.")
                return _to_course(lesson.course_id, "lessons")
    else:
        form = LessonForm(initial=initial, standards_queryset=standards)
    return render(request, "courses/lesson_form.html", {"course": lesson.course, "form": form, "lesson": lesson})


@author_required
def lesson_preview(request: HttpRequest, course_id: int) -> HttpResponse:
    """POST body_markdown: the lesson text as learners will see it, as an HTML fragment.

    Rendered by the same Markdown renderer and sanitizer as a saved lesson (and validated by the
    lesson form's own field, so a body the form refuses is refused here too, with its message).
    Nothing is saved. A POST, because the text can be long and a GET must not carry it.
    """
    _course(request, course_id)
    if refused := _post_only(request):
        return refused
    try:
        text = LessonForm.base_fields["body_markdown"].clean(request.POST.get("body_markdown", ""))
        html = render_markdown(text)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=422, content_type="text/plain; charset=utf-8")
    return render(request, "courses/_lesson_preview.html", {"html": html})


@author_required
def lesson_delete(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, course_id, lesson_id)
    if request.method == "POST":
        try:
            services.lesson_delete(lesson=lesson, actor=request.membership)
        except ValidationError as error:
            _flash_errors(request, error, f"Lesson “{lesson.title}” was not deleted:")
        else:
            messages.success(request, f"Lesson “{lesson.title}” deleted.")
        return _to_course(lesson.course_id, "lessons")
    context = {"course": lesson.course, "thing": "lesson", "object": lesson}
    return render(request, "courses/confirm_delete.html", context)


@author_required
def lesson_move(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, course_id, lesson_id)
    if refused := _post_only(request):
        return refused
    form = MoveForm(request.POST)
    if form.is_valid():
        services.lesson_move(lesson=lesson, actor=request.membership, direction=form.cleaned_data["direction"])
    return _to_course(lesson.course_id, "lessons")


# --- Questions -------------------------------------------------------------------------------------


def _question(request: HttpRequest, course_id: int, question_id: int):
    questions = selectors.questions_for_authoring(membership=request.membership, course_id=course_id)
    return get_object_or_404(questions, pk=question_id)


def _question_arguments(form: QuestionForm) -> dict:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "title": data["title"],
        "prompt": data["prompt"],
        "explanation": data["explanation"],
        "standards": data["standards"],
        "choices": form.choice_inputs,
    }


@author_required
def question_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    standards = selectors.standards_for_tagging(membership=request.membership)
    data = request.POST if request.method == "POST" else None
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in QuestionKind.values else {}
    choices = choice_formset(data=data)
    form = QuestionForm(data, initial=initial, standards_queryset=standards, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_create(course=course, actor=request.membership, **_question_arguments(form))
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "Question added.")
            return _to_course(course.pk, "questions")
    return render(
        request, "courses/question_form.html", {"course": course, "form": form, "choices": choices, "question": None}
    )


@author_required
def question_edit(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    question = _question(request, course_id, question_id)
    initial = QuestionForm.initial_for(question)
    standards = selectors.standards_for_tagging(membership=request.membership, keep_ids=initial["standards"])
    data = request.POST if request.method == "POST" else None
    choices = choice_formset(data=data, question=question)
    form = QuestionForm(data, initial=initial, standards_queryset=standards, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(question=question, actor=request.membership, **_question_arguments(form))
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "Question saved.")
            return _to_course(question.course_id, "questions")
    context = {"course": question.course, "form": form, "choices": choices, "question": question}
    return render(request, "courses/question_form.html", context)


@author_required
def question_delete(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    question = _question(request, course_id, question_id)
    if request.method == "POST":
        try:
            services.question_delete(question=question, actor=request.membership)
        except ValidationError as error:
            _flash_errors(request, error, "The question was not deleted:")
        else:
            messages.success(request, "Question deleted.")
        return _to_course(question.course_id, "questions")
    context = {"course": question.course, "thing": "question", "object": question}
    return render(request, "courses/confirm_delete.html", context)


@author_required
def question_move(request: HttpRequest, course_id: int, question_id: int) -> HttpResponse:
    question = _question(request, course_id, question_id)
    if refused := _post_only(request):
        return refused
    form = MoveForm(request.POST)
    if form.is_valid():
        services.question_move(question=question, actor=request.membership, direction=form.cleaned_data["direction"])
    return _to_course(question.course_id, "questions")


# --- Programs --------------------------------------------------------------------------------------


@author_required
def program_list(request: HttpRequest) -> HttpResponse:
    programs = list(selectors.programs_for_authoring(membership=request.membership))
    return render(request, "courses/program_list.html", {"programs": programs})


@author_required
def program_create(request: HttpRequest) -> HttpResponse:
    courses = selectors.courses_for_program_choice(membership=request.membership)
    form = ProgramForm(request.POST if request.method == "POST" else None, courses=courses)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                actor=request.membership,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                courses=form.selected_courses(),
                valid_for_days=form.cleaned_data["valid_for_days"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"Program “{program.title}” created.")
            return redirect("courses:program_list")
    return render(request, "courses/program_form.html", {"form": form, "program": None})


@author_required
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(selectors.programs_for_authoring(membership=request.membership), pk=program_id)
    selected = [row.course_id for row in program.program_courses.all()]
    courses = selectors.courses_for_program_choice(membership=request.membership, keep_ids=selected)
    form = ProgramForm(
        request.POST if request.method == "POST" else None,
        courses=courses,
        selected=selected,
        initial={
            "title": program.title,
            "description": program.description,
            "valid_for_days": program.valid_for_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(
                program=program,
                actor=request.membership,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                courses=form.selected_courses(),
                valid_for_days=form.cleaned_data["valid_for_days"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"Program “{program.title}” saved.")
            return redirect("courses:program_list")
    return render(request, "courses/program_form.html", {"form": form, "program": program})


@author_required
def program_delete(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(selectors.programs_for_authoring(membership=request.membership), pk=program_id)
    if request.method == "POST":
        try:
            services.program_delete(program=program, actor=request.membership)
        except ValidationError as error:
            _flash_errors(request, error, f"Program “{program.title}” was not deleted:")
        else:
            messages.success(request, f"Program “{program.title}” deleted.")
        return redirect("courses:program_list")
    return render(request, "courses/confirm_delete.html", {"thing": "program", "object": program})


# --- Coverage --------------------------------------------------------------------------------------


@member_required(Role.ADMIN)
def coverage(request: HttpRequest) -> HttpResponse:
    matrix = selectors.standards_coverage(membership=request.membership)
    return render(request, "courses/coverage.html", {"matrix": matrix})


# --- Question import (GIFT, Aiken) and review ----------------------------------------------------------


@author_required
def question_import(request: HttpRequest, course_id: int) -> HttpResponse:
    """Upload or paste GIFT/Aiken questions: every problem is listed with its line, or they are imported.

    A file with questions of unsupported types, or images that cannot come along, is shown as a
    preview first; nothing is written until the author confirms. The confirmation posts the text
    back (a hidden field) and it is parsed and validated again.
    """
    course = _course(request, course_id)
    parse_errors, skipped = [], []
    if request.method == "POST":
        form = QuestionImportForm(request.POST, request.FILES)
        if form.is_valid():
            fmt, text = form.cleaned_data["format"], form.cleaned_data["questions_text"]
            try:
                plan = services.questions_import_check(course=course, actor=request.membership, fmt=fmt, text=text)
                if plan.needs_confirmation and not form.cleaned_data["confirmed"]:
                    context = {"course": course, "plan": plan, "format": fmt, "text": text}
                    return render(request, "courses/question_import_preview.html", context)
                if plan.count > services.BACKGROUND_IMPORT_THRESHOLD:
                    job = services.questions_import_start(course=course, actor=request.membership, fmt=fmt, text=text)
                    return redirect("organizations:import_job", job_id=job.pk)
                outcome = services.questions_import(
                    course=course, actor=request.membership, fmt=fmt, text=text, skip_unsupported=True
                )
            except services.QuestionImportInvalid as error:
                parse_errors, skipped = error.parse_errors, error.skipped
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                if outcome.count == 1:
                    messages.success(request, "1 question imported — tag it with standards.")
                else:
                    messages.success(request, f"{outcome.count} questions imported — tag them with standards.")
                return redirect("courses:question_review", course_id=course.pk)
    else:
        form = QuestionImportForm()
    context = {"course": course, "form": form, "parse_errors": parse_errors, "skipped": skipped}
    return render(request, "courses/question_import.html", context)


@author_required
def question_review(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's untagged questions with their choices, each with standards to tick."""
    course = _course(request, course_id)
    page = _questions_page(
        request, selectors.questions_untagged_for_review(membership=request.membership, course_id=course.pk)
    )
    questions = list(page.object_list)
    standards = list(selectors.standards_for_tagging(membership=request.membership))
    data = request.POST if request.method == "POST" else None
    form = QuestionTaggingForm(data, questions=questions, standards=standards, first_number=page.start_index() or 1)
    if request.method == "POST" and form.is_valid():
        try:
            tagged = services.questions_add_standards(
                course=course, actor=request.membership, standards_by_question=form.standards_by_question()
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            if tagged:
                messages.success(request, f"Standards saved for {tagged} question{'' if tagged == 1 else 's'}.")
            else:
                messages.warning(request, "Nothing saved: tick at least one standard for a question.")
            response = redirect("courses:question_review", course_id=course.pk)
            if page.number > 1:  # tagged questions leave the list: the same page shows the next ones
                response["Location"] += f"?page={page.number}"
            return response
    context = {
        "course": course,
        "form": form,
        "rows": form.rows,
        "has_standards": bool(standards),
        "page": page,
        "first_number": page.start_index() or 1,
    }
    return render(request, "courses/question_review.html", context)


# --- Media ----------------------------------------------------------------------------------------


@member_required()
def cover_image(request: HttpRequest, path: str) -> HttpResponse:
    """A course cover, served by the web process (no object storage), to members of its organization only."""
    name = f"course-covers/{path}"
    if not selectors.cover_image_visible(membership=request.membership, name=name):
        raise Http404("No such image in this organization.")
    return media_file_response(name)
