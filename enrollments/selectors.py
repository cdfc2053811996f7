"""Learner reads, scoped to the acting membership, with everything each page renders preloaded.

Every selector that looks something up takes `membership=` and only ever returns published courses
of that membership's organization and the membership's own progress, attempts and certificates (the
helpers that take an already-scoped object, and the public `certificate_by_code`, are the exceptions
their docstrings name); "not found" (None) covers
another organization's objects, other people's attempts and unpublished courses alike, and views
answer it with a 404. Query counts are constant in the size of a course (see tests/enrollments).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.urls import reverse

from config.prepared import prepared
from courses.models import Course, CourseStatus, Lesson, ProgramCourse, Question
from enrollments import grading
from enrollments.calendar import CalendarItem
from enrollments.models import (
    DUE_SOON_DAYS,
    Attempt,
    AttemptStatus,
    CalendarFeed,
    Certificate,
    CourseProgress,
    DueState,
    Enrollment,
    LessonCompletion,
    due_state,
)
from organizations.models import Membership, ServiceStandard


def _count_of(rows: type[Model] | QuerySet, fk: str, outer: str = "pk") -> Coalesce:
    """COUNT(*) of the rows (a model or a filtered queryset) whose `fk` is the outer row's `outer`.

    A correlated subquery rather than a JOIN + GROUP BY: two counts over one JOIN multiply each other.
    """
    queryset = rows if isinstance(rows, QuerySet) else rows.objects.all()
    rows = queryset.filter(**{fk: OuterRef(outer)}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _passed_attempt_exists(progress_ref: str = "pk") -> Exists:
    return Exists(Attempt.objects.filter(progress=OuterRef(progress_ref), passed=True))


def certificate_of(*, progress: CourseProgress | None) -> Certificate | None:
    """The progress's certificate if it has one, read from select_related("certificate") (no query)."""
    if progress is None:
        return None
    try:
        return progress.certificate  # preloaded with select_related("certificate"): no query
    except Certificate.DoesNotExist:
        return None


@dataclass(frozen=True)
class LearnerProgress:
    """How far a person is in a course. Steps are the lessons plus the knowledge check (if any)."""

    lessons_total: int
    lessons_done: int
    has_check: bool
    check_passed: bool
    completed: bool

    @property
    def steps_total(self) -> int:
        return self.lessons_total + (1 if self.has_check else 0)

    @property
    def steps_done(self) -> int:
        if self.completed:
            return self.steps_total
        return min(self.lessons_done, self.lessons_total) + (1 if self.has_check and self.check_passed else 0)

    @property
    def percent(self) -> int:
        if self.completed:
            return 100
        return self.steps_done * 100 // self.steps_total if self.steps_total else 0

    @property
    def all_lessons_done(self) -> bool:
        return self.lessons_done >= self.lessons_total

    @property
    def label(self) -> str:
        if self.completed:
            return "Completed"
        return f"{self.steps_done} of {self.steps_total} steps done ({self.percent}%)"


@dataclass(frozen=True)
class Resume:
    """Where "continue" takes a person: a lesson, the knowledge check, or the course page."""

    lesson_id: int | None = None
    to_check: bool = False


def _resume_for(
    *, progress: LearnerProgress, started: bool, last_lesson_id: int | None, first_lesson_id: int | None
) -> Resume:
    if progress.completed:
        return Resume()
    if started and progress.all_lessons_done and progress.has_check:
        return Resume(to_check=True)
    if started and last_lesson_id:
        return Resume(lesson_id=last_lesson_id)
    if first_lesson_id:
        return Resume(lesson_id=first_lesson_id)
    return Resume(to_check=progress.has_check)


# --- My learning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseCard:
    course: Course
    progress: LearnerProgress
    started: bool
    resume: Resume
    certificate: Certificate | None

    @property
    def resume_url(self) -> str:
        """Where Continue (or Start) goes: the lesson to resume, the knowledge check, or the course page."""
        if self.resume.lesson_id:
            lesson = {"course_id": self.course.pk, "lesson_id": self.resume.lesson_id}
            return reverse("enrollments:lesson", kwargs=lesson)
        if self.resume.to_check:
            return reverse("enrollments:check", kwargs={"course_id": self.course.pk})
        return reverse("enrollments:course", kwargs={"course_id": self.course.pk})


def _progress_rows(*, membership: Membership) -> list[CourseProgress]:
    """Every progress row of the person (current and archived, in any course), one query.

    Each with its certificate and its course's status and title, `lessons_done`, `check_passed` and
    `has_submitted` (a submitted attempt): My learning's cards, the earlier courses and the
    certificates of earlier rounds all come from these rows.
    """
    return _progress_rows_of(membership_id=membership.pk)


@prepared
def _progress_rows_of(*, membership_id: int) -> QuerySet[CourseProgress]:
    return (
        CourseProgress.objects.filter(membership_id=membership_id)
        .select_related("certificate", "course")
        .defer("course__cover_image", "course__summary")
        .annotate(
            lessons_done=_count_of(LessonCompletion, "progress"),
            check_passed=_passed_attempt_exists(),
            has_submitted=Exists(Attempt.objects.filter(progress=OuterRef("pk"), status=AttemptStatus.SUBMITTED)),
        )
        .order_by("-started_at", "id")
    )


@prepared
def _published_courses_of(*, organization_id: int) -> QuerySet[Course]:
    first_lesson = Lesson.objects.filter(course=OuterRef("pk")).order_by("order", "id").values("pk")[:1]
    return (
        Course.objects.of_organization(organization_id)
        .published()
        .annotate(
            lesson_count=_count_of(Lesson, "course"),
            question_count=_count_of(Question, "course"),
            first_lesson_id=Subquery(first_lesson),
        )
        .defer("cover_image")
    )


def learning_for(*, membership: Membership, progress_rows: list[CourseProgress] | None = None) -> list[CourseCard]:
    """The published courses of the member's organization, each with this person's progress.

    Two queries whatever the number of courses, lessons or attempts (one when the caller passes the
    person's `_progress_rows`).
    """
    courses = _published_courses_of(organization_id=membership.organization_id)
    if progress_rows is None:
        progress_rows = _progress_rows(membership=membership)
    progress_by_course = {
        progress.course_id: progress
        for progress in progress_rows
        if progress.archived_at is None and progress.course.status == CourseStatus.PUBLISHED
    }
    cards = []
    for course in courses:
        row = progress_by_course.get(course.pk)
        progress = LearnerProgress(
            lessons_total=course.lesson_count,
            lessons_done=row.lessons_done if row else 0,
            has_check=course.question_count > 0,
            check_passed=bool(row and row.check_passed),
            completed=bool(row and row.completed_at),
        )
        cards.append(
            CourseCard(
                course=course,
                progress=progress,
                started=row is not None,
                resume=_resume_for(
                    progress=progress,
                    started=row is not None,
                    last_lesson_id=row.last_lesson_id if row else None,
                    first_lesson_id=course.first_lesson_id,
                ),
                certificate=certificate_of(progress=row),
            )
        )
    return cards


# --- Course page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonRow:
    id: int
    title: str
    done: bool
    number: int


@dataclass(frozen=True)
class CheckStatus:
    """The knowledge check as the course page shows it."""

    question_count: int
    pass_mark_percent: int
    submitted_count: int
    best_score: int | None
    passed: bool
    in_progress: bool


@dataclass(frozen=True)
class CoursePage:
    course: Course
    lessons: list[LessonRow]
    standards: list[ServiceStandard]
    progress: LearnerProgress
    started: bool
    resume: Resume
    check: CheckStatus
    certificate: Certificate | None
    completed_at: Any = None
    program: ProgramContext | None = None


@dataclass(frozen=True)
class ProgramContext:
    """Where a course sits in a program the person is enrolled in: "Course 2 of 4 in …", and the next one."""

    program_title: str
    number: int
    count: int
    next_course: tuple[int, str] | None  # (id, title) of the next published course, if any


@prepared
def _program_courses_for(*, membership_id: int, course_id: int) -> QuerySet[ProgramCourse]:
    enrollment = (
        Enrollment.objects.current()
        .filter(membership_id=membership_id, program__program_courses__course_id=course_id)
        .order_by(F("completed_at").asc(nulls_first=True), "due_at", "id")
        .values("program_id")[:1]
    )
    return (
        ProgramCourse.objects.filter(program_id=Subquery(enrollment))
        .order_by("order", "id")
        .values_list("course_id", "course__title", "course__status", "program__title")
    )


def program_context_for(*, membership: Membership, course_id: int) -> ProgramContext | None:
    """The program of the person's enrollment (open first, then completed; not cancelled) that contains
    the course, with its courses in order: one query, whatever the program's size. None without one."""
    rows = _program_courses_for(membership_id=membership.pk, course_id=course_id)
    ids = [row[0] for row in rows]
    if course_id not in ids:
        return None
    index = ids.index(course_id)
    following = [(pk, title) for pk, title, status, _ in rows[index + 1 :] if status == CourseStatus.PUBLISHED]
    return ProgramContext(
        program_title=rows[0][3], number=index + 1, count=len(rows), next_course=following[0] if following else None
    )


def course_standards(*, course: Course) -> list[ServiceStandard]:
    """The standards a course covers: the union of its lessons' and its questions' standards."""
    return _course_standards(organization_id=course.organization_id, course_id=course.pk)


@prepared
def _course_standards(*, organization_id: int, course_id: int) -> QuerySet[ServiceStandard]:
    lesson_tags = Lesson.standards.through.objects.filter(lesson__course_id=course_id).values("servicestandard_id")
    question_tags = Question.standards.through.objects.filter(question__course_id=course_id).values(
        "servicestandard_id"
    )
    return ServiceStandard.objects.of_organization(organization_id).filter(
        Q(pk__in=lesson_tags) | Q(pk__in=question_tags)
    )


def published_course_for(*, membership: Membership, course_id: int) -> Course | None:
    """A published course of the member's organization, with its question count; None otherwise."""
    found = _published_course(organization_id=membership.organization_id, course_id=course_id)
    return found[0] if found else None


@prepared
def _published_course(*, organization_id: int, course_id: int) -> QuerySet[Course]:
    return (
        Course.objects.of_organization(organization_id)
        .published()
        .filter(pk=course_id)
        .annotate(question_count=_count_of(Question, "course"))
        .defer("cover_image")[:1]
    )


@prepared
def _course_progress(*, membership_id: int, course_id: int) -> QuerySet[CourseProgress]:
    """The person's current progress in the course with its certificate and their attempts' summary."""
    submitted = Attempt.objects.filter(progress=OuterRef("pk"), status=AttemptStatus.SUBMITTED).order_by()
    return (
        CourseProgress.objects.current()
        .filter(membership_id=membership_id, course_id=course_id)
        .select_related("certificate")
        .annotate(
            check_passed=_passed_attempt_exists(),
            best_score=Subquery(
                submitted.values("progress").annotate(best=Max("score_percent")).values("best"),
                output_field=IntegerField(),
            ),
            submitted_count=_count_of(Attempt.objects.filter(status=AttemptStatus.SUBMITTED), "progress"),
            in_progress=Exists(Attempt.objects.filter(progress=OuterRef("pk"), status=AttemptStatus.IN_PROGRESS)),
        )[:1]
    )


def course_page_for(*, membership: Membership, course_id: int) -> CoursePage | None:
    """Everything the course page shows, in five queries whatever the course's size: the course, its
    lessons with what this person has done, its standards, their progress with their attempts and
    certificate, the program context. None if not visible."""
    course = published_course_for(membership=membership, course_id=course_id)
    if course is None:
        return None
    lessons = _lessons_with_done(membership=membership, course_id=course.pk)
    standards = course_standards(course=course)
    found = _course_progress(membership_id=membership.pk, course_id=course.pk)
    row = found[0] if found else None
    lesson_rows = [
        LessonRow(id=pk, title=title, done=done, number=number)
        for number, (pk, title, done) in enumerate(lessons, start=1)
    ]
    progress = LearnerProgress(
        lessons_total=len(lessons),
        lessons_done=sum(1 for lesson in lesson_rows if lesson.done),
        has_check=course.question_count > 0,
        check_passed=bool(row and row.check_passed),
        completed=bool(row and row.completed_at),
    )
    return CoursePage(
        course=course,
        lessons=lesson_rows,
        standards=standards,
        progress=progress,
        started=row is not None,
        resume=_resume_for(
            progress=progress,
            started=row is not None,
            last_lesson_id=row.last_lesson_id if row else None,
            first_lesson_id=lessons[0][0] if lessons else None,
        ),
        check=CheckStatus(
            question_count=course.question_count,
            pass_mark_percent=course.pass_mark_percent,
            submitted_count=row.submitted_count if row else 0,
            best_score=row.best_score if row else None,
            passed=bool(row and row.check_passed),
            in_progress=bool(row and row.in_progress),
        ),
        certificate=certificate_of(progress=row),
        completed_at=row.completed_at if row else None,
        program=program_context_for(membership=membership, course_id=course.pk),
    )


# --- Lesson page --------------------------------------------------------------------------------


def lesson_for(*, membership: Membership, course_id: int, lesson_id: int) -> Lesson | None:
    """A lesson of a published course of the member's organization, with its course; None otherwise.

    For "mark as done": one query, with `next_lesson_id` (None after the last lesson).
    """
    return (
        Lesson.objects.of_organization(membership.organization_id)
        .filter(pk=lesson_id, course_id=course_id, course__status=CourseStatus.PUBLISHED)
        .select_related("course")
        .only("id", "title", "order", "course__id", "course__organization_id", "course__title", "course__status")
        .annotate(
            next_lesson_id=Subquery(
                Lesson.objects.filter(course_id=OuterRef("course_id"))
                .filter(Q(order__gt=OuterRef("order")) | Q(order=OuterRef("order"), pk__gt=OuterRef("pk")))
                .order_by("order", "id")
                .values("pk")[:1]
            ),
        )
        .first()
    )


@dataclass(frozen=True)
class ProgressState:
    """The person's current progress in a course as the player needs it (all empty before they start)."""

    progress_id: int | None = None
    last_lesson_id: int | None = None
    completed_at: Any = None
    check_passed: bool = False


def _progress_state(*, membership: Membership, course_id: int) -> ProgressState:
    """One query: the person's current progress row in the course, and whether any of its attempts passed."""
    rows = _progress_state_rows(membership_id=membership.pk, course_id=course_id)
    return ProgressState(*rows[0]) if rows else ProgressState()


@prepared
def _progress_state_rows(*, membership_id: int, course_id: int) -> QuerySet[CourseProgress]:
    return (
        CourseProgress.objects.current()
        .filter(membership_id=membership_id, course_id=course_id)
        .annotate(check_passed=_passed_attempt_exists())
        .values_list("pk", "last_lesson_id", "completed_at", "check_passed")[:1]
    )


def _lessons_with_done(*, membership: Membership, course_id: int) -> list[tuple[int, str, bool]]:
    """One query: the course's lessons in order, (id, title, done by this person in their current progress)."""
    return _lessons_with_done_rows(membership_id=membership.pk, course_id=course_id)


@prepared
def _lessons_with_done_rows(*, membership_id: int, course_id: int) -> QuerySet[Lesson]:
    done = LessonCompletion.objects.filter(
        lesson=OuterRef("pk"), progress__membership_id=membership_id, progress__archived_at__isnull=True
    )
    return Lesson.objects.filter(course_id=course_id).annotate(done=Exists(done)).values_list("pk", "title", "done")


@dataclass(frozen=True)
class LessonPage:
    lesson: Lesson
    number: int
    count: int
    previous: tuple[int, str] | None
    next: tuple[int, str] | None
    standards: list[ServiceStandard]
    done: bool
    progress: LearnerProgress
    outline: list[LessonRow] = field(default_factory=list)
    program: ProgramContext | None = None
    state: ProgressState = field(default_factory=ProgressState)


@prepared
def _player_lesson(*, organization_id: int, course_id: int, lesson_id: int) -> QuerySet[Lesson]:
    """The lesson with its course, and whether the course has a knowledge check."""
    return (
        Lesson.objects.of_organization(organization_id)
        .filter(pk=lesson_id, course_id=course_id, course__status=CourseStatus.PUBLISHED)
        .select_related("course")
        .defer("body_markdown", "course__cover_image", "course__summary")
        .annotate(has_check=Exists(Question.objects.filter(course_id=OuterRef("course_id"))))[:1]
    )


@prepared
def _lesson_standards(*, lesson_id: int) -> QuerySet[ServiceStandard]:
    return ServiceStandard.objects.filter(lessons__id=lesson_id)


def lesson_page_for(*, membership: Membership, course_id: int, lesson_id: int) -> LessonPage | None:
    """Everything the lesson page shows, or None if the lesson is not visible to the member.

    Five queries whatever the course's size: the lesson with its course (and whether the course has a
    knowledge check), the outline with what this person has done, their progress, the lesson's
    standards, the program context. `state` says where the person resumes, so the view records the
    visit only when that moves (services.lesson_visit).
    """
    found = _player_lesson(organization_id=membership.organization_id, course_id=course_id, lesson_id=lesson_id)
    if not found:
        return None
    lesson = found[0]
    outline = _lessons_with_done(membership=membership, course_id=course_id)
    state = _progress_state(membership=membership, course_id=course_id)
    ids = [pk for pk, _, _ in outline]
    index = ids.index(lesson.pk)
    progress = LearnerProgress(
        lessons_total=len(outline),
        lessons_done=sum(1 for _, _, done in outline if done),
        has_check=lesson.has_check,
        check_passed=state.check_passed,
        completed=state.completed_at is not None,
    )
    return LessonPage(
        lesson=lesson,
        number=index + 1,
        count=len(outline),
        previous=outline[index - 1][:2] if index > 0 else None,
        next=outline[index + 1][:2] if index + 1 < len(outline) else None,
        standards=_lesson_standards(lesson_id=lesson.pk),
        done=outline[index][2],
        progress=progress,
        outline=[
            LessonRow(id=pk, title=title, done=done, number=number)
            for number, (pk, title, done) in enumerate(outline, start=1)
        ],
        program=program_context_for(membership=membership, course_id=course_id),
        state=state,
    )


# --- Knowledge check and results ----------------------------------------------------------------


def attempt_for(*, membership: Membership, attempt_id: int) -> Attempt | None:
    """One of the member's own attempts at a course of their organization; None otherwise.

    Whatever the course's status: what a person did stays theirs to read after the course is
    unpublished or archived (the result page offers no retry then; submitting still requires a
    published course, see services.attempt_submit). Loaded with its progress, course and
    certificate, and `progress_passed` (whether any of the person's attempts at the course passed),
    in one query.
    """
    found = _own_attempt(organization_id=membership.organization_id, membership_id=membership.pk, attempt_id=attempt_id)
    return found[0] if found else None


@prepared
def _own_attempt(*, organization_id: int, membership_id: int, attempt_id: int) -> QuerySet[Attempt]:
    return (
        Attempt.objects.of_organization(organization_id)
        .filter(pk=attempt_id, progress__membership_id=membership_id)
        .select_related("progress__course", "progress__certificate")
        .defer("progress__course__cover_image")
        .annotate(progress_passed=_passed_attempt_exists("progress_id"))[:1]
    )


def answers_shown(*, attempt: Attempt) -> bool:
    """Whether the result page may show the right answers: once the person has passed the check
    (this attempt or another), or always if the course says so. Until then a retry is not a copy
    of the answer key. `attempt` comes from `attempt_for` (annotated with `progress_passed`)."""
    return bool(attempt.passed or attempt.progress_passed or attempt.progress.course.always_show_answers)


@dataclass(frozen=True)
class CheckPage:
    """The knowledge-check page: the open attempt to show, or what the start page says."""

    course: Course
    attempt: Attempt | None
    next_number: int


@prepared
def _check_course(*, organization_id: int, membership_id: int, course_id: int) -> QuerySet[Course]:
    own = Attempt.objects.filter(
        progress__membership_id=membership_id, progress__course=OuterRef("pk"), progress__archived_at__isnull=True
    ).order_by()
    return (
        Course.objects.of_organization(organization_id)
        .published()
        .filter(pk=course_id)
        .annotate(
            question_count=_count_of(Question, "course"),
            open_attempt_id=Subquery(own.filter(status=AttemptStatus.IN_PROGRESS).values("pk")[:1]),
            last_number=Subquery(own.order_by("-number").values("number")[:1]),
        )
        .defer("cover_image")[:1]
    )


@prepared
def _open_attempt(*, attempt_id: int) -> QuerySet[Attempt]:
    return Attempt.objects.filter(pk=attempt_id, status=AttemptStatus.IN_PROGRESS)[:1]


def check_page_for(*, membership: Membership, course_id: int) -> CheckPage | None:
    """A published course of the member's organization with the member's open attempt, if any.

    Reads only: a GET of the check never starts an attempt (the start page POSTs). Two queries when
    an attempt is open, one otherwise; None if the course is not visible.
    """
    found = _check_course(organization_id=membership.organization_id, membership_id=membership.pk, course_id=course_id)
    if not found:
        return None
    course = found[0]
    attempt = None
    if course.open_attempt_id is not None:
        attempts = _open_attempt(attempt_id=course.open_attempt_id)
        attempt = attempts[0] if attempts else None
    return CheckPage(course=course, attempt=attempt, next_number=(course.last_number or 0) + 1)


@dataclass(frozen=True)
class EarlierCourse:
    """A course no longer offered (unpublished or archived) that the person took: their record of it."""

    title: str
    completed_at: Any
    certificate: Certificate | None
    attempts: list[Attempt]


@prepared
def _submitted_attempts_not_offered(*, membership_id: int) -> QuerySet[Attempt]:
    """The person's submitted attempts at courses no longer published, latest first."""
    # The snapshot can weigh 100 KiB: read only the course title out of it, in the database.
    return (
        Attempt.objects.filter(status=AttemptStatus.SUBMITTED, progress__membership_id=membership_id)
        .exclude(progress__course__status=CourseStatus.PUBLISHED)
        .order_by("-number")
        .only("id", "progress_id", "number", "status", "score_percent", "passed", "submitted_at")
        .annotate(course_title=KT("snapshot__course__title"))
    )


def earlier_courses_for(
    *, membership: Membership, progress_rows: list[CourseProgress] | None = None
) -> list[EarlierCourse]:
    """The member's courses that are no longer published but in which they submitted an attempt or
    earned a certificate, with those attempts: two queries whatever the number (one when the caller
    passes the person's `_progress_rows`, none more when there is no such course).

    Titles come from the latest attempt's snapshot when there is one (what the person took), else
    from the certificate, else the course as it is now.
    """
    if progress_rows is None:
        progress_rows = _progress_rows(membership=membership)
    rows = [
        row
        for row in progress_rows
        if row.course.status != CourseStatus.PUBLISHED and (row.has_submitted or certificate_of(progress=row))
    ]
    if not rows:
        return []
    attempts_by_progress: dict[int, list[Attempt]] = {}
    for attempt in _submitted_attempts_not_offered(membership_id=membership.pk):
        attempts_by_progress.setdefault(attempt.progress_id, []).append(attempt)
    earlier = []
    for row in rows:
        certificate = certificate_of(progress=row)
        attempts = attempts_by_progress.get(row.pk, [])
        title = (
            (attempts[0].course_title if attempts else None)
            or (certificate.course_title if certificate else None)
            or row.course.title
        )
        earlier.append(
            EarlierCourse(title=title, completed_at=row.completed_at, certificate=certificate, attempts=attempts)
        )
    return earlier


@dataclass(frozen=True)
class ChoiceReview:
    text: str
    chosen: bool
    correct: bool
    credit_percent: int
    feedback: str


@dataclass(frozen=True)
class QuestionReview:
    number: int
    kind: str
    title: str
    prompt: str
    explanation: str
    standards: list[dict[str, Any]]
    choices: list[ChoiceReview]
    score: int
    text_format: str = "plain"  # "html": prompt, choices, feedback and explanation are sanitized HTML

    @property
    def verdict(self) -> str:
        if self.score >= 100:
            return "correct"
        return "partly correct" if self.score > 0 else "incorrect"

    @property
    def is_correct(self) -> bool:
        return self.score >= 100

    @property
    def chosen(self) -> list[ChoiceReview]:
        return [choice for choice in self.choices if choice.chosen]


def attempt_review(*, attempt: Attempt, show_answers: bool = True) -> list[QuestionReview]:
    """Per question: what was answered, whether it was right, every choice's feedback, the explanation
    and the standards concerned, all replayed from the snapshot and the stored responses (no query).

    With `show_answers` False (see `answers_shown`) nothing here gives the answer key away: no
    choice is marked correct and only the chosen choices keep their feedback (an unchosen choice's
    "Yes, that's it" would). The verdict per question and the explanation stay.
    """
    snapshot = attempt.snapshot
    answers = attempt.responses or {}
    reviews = []
    for number, question in enumerate(snapshot["questions"], start=1):
        chosen = set(answers.get(str(question["id"]), []))
        reviews.append(
            QuestionReview(
                number=number,
                kind=question["kind"],
                title=question.get("title", ""),
                prompt=question["prompt"],
                explanation=question.get("explanation", ""),
                standards=question.get("standards", []),
                choices=[
                    ChoiceReview(
                        text=choice["text"],
                        chosen=choice["id"] in chosen,
                        correct=show_answers and choice["credit_percent"] > 0,
                        credit_percent=choice["credit_percent"] if show_answers else 0,
                        feedback=choice.get("feedback", "") if show_answers or choice["id"] in chosen else "",
                    )
                    for choice in question["choices"]
                ],
                score=grading.question_score(question, chosen),
                text_format=question.get("text_format", "plain"),
            )
        )
    return reviews


def certificate_by_code(*, code: str) -> Certificate | None:
    """A certificate by its public code. Public on purpose: the code is what a holder shares."""
    return Certificate.objects.filter(code=code).first()


# --- Due states -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueEnrollment:
    enrollment: Enrollment
    state: DueState


def enrollments_due(
    *, now: datetime, states: Iterable[DueState] = (DueState.DUE_SOON, DueState.DUE_TODAY, DueState.OVERDUE),
    organization_id: int | None = None, soon_days: int = DUE_SOON_DAYS,
) -> list[DueEnrollment]:
    """Open enrollments of active people in the given due states, each state in its person's time zone.

    The one place that says who is due soon, due today or overdue (home, dashboard, reminders and
    escalation read it). One query: the database narrows to open enrollments due before the end of
    the soon window anywhere on Earth (due_at is an instant), and the exact state is then computed
    per person from their own local date, which no portable SQL can do.
    """
    wanted = set(states)
    horizon = now + timedelta(days=soon_days + 2)
    rows = (
        Enrollment.objects.open()
        .filter(due_at__isnull=False, membership__is_active=True, membership__user__is_active=True)
        .select_related("membership__user", "program", "course")
    )
    if DueState.ON_TRACK not in wanted:
        rows = rows.filter(due_at__lt=horizon)
    if organization_id is not None:
        rows = rows.filter(membership__organization_id=organization_id)
    found = []
    for enrollment in rows:
        state = due_state(
            due_on=enrollment.due_on, due_at=enrollment.due_at, completed_at=None, now=now,
            time_zone=enrollment.membership.user.time_zone, soon_days=soon_days,
        )
        if state in wanted:
            found.append(DueEnrollment(enrollment=enrollment, state=state))
    return found


# --- Calendar feed --------------------------------------------------------------------------------


def calendar_feed_of(*, membership: Membership) -> CalendarFeed | None:
    """The member's own feed, if they made one."""
    return CalendarFeed.objects.filter(membership=membership).first()


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """Public, by its secret: the feed of an active member, with the person and organization loaded."""
    return (
        CalendarFeed.objects.filter(token=token, membership__is_active=True, membership__user__is_active=True)
        .select_related("membership__user", "membership__organization")
        .first()
    )


def calendar_items_for(*, membership: Membership, site_url: str, host: str) -> list[CalendarItem]:
    """The person's open enrollments with a due date, as all-day items on their due dates (one query)."""
    home = f"{site_url}{reverse('enrollments:my_learning')}"
    items = []
    enrollments = (
        Enrollment.objects.open()
        .filter(membership=membership, due_on__isnull=False)
        .select_related("program", "course")
        .order_by("due_on", "id")
    )
    for enrollment in enrollments:
        if enrollment.course_id:
            title = enrollment.course.title
            url = f"{site_url}{reverse('enrollments:course', kwargs={'course_id': enrollment.course_id})}"
        else:
            title, url = enrollment.program.title, home
        items.append(
            CalendarItem(
                uid=f"enrollment-{enrollment.pk}-due@{host}",
                summary=f"Due: {title}",
                url=url,
                stamp=enrollment.enrolled_at,
                on=enrollment.due_on,
                description=f"Complete “{title}” by the end of this day.",
            )
        )
    return items


# --- The employee's home --------------------------------------------------------------------------

# Most urgent first: what is late, then what is due today, soon, later; then the earliest due.
_URGENCY = {DueState.OVERDUE: 0, DueState.DUE_TODAY: 1, DueState.DUE_SOON: 2, DueState.ON_TRACK: 3}


@dataclass(frozen=True)
class AssignedItem:
    """One enrollment on the home page: its courses in the program's order, each with the person's progress."""

    enrollment: Enrollment
    title: str
    state: DueState
    courses: list[CourseCard]

    @property
    def courses_done(self) -> int:
        return sum(1 for card in self.courses if card.progress.completed)

    @property
    def started(self) -> bool:
        return any(card.started for card in self.courses)

    @property
    def percent(self) -> int:
        if self.enrollment.completed_at:
            return 100
        steps = sum(card.progress.steps_total for card in self.courses)
        return sum(card.progress.steps_done for card in self.courses) * 100 // steps if steps else 0

    @property
    def status(self) -> str:
        """Completed, Overdue, Due today, Due soon, In progress or Not started."""
        if self.state in (DueState.COMPLETED, DueState.OVERDUE, DueState.DUE_TODAY, DueState.DUE_SOON):
            return self.state.label
        return "In progress" if self.started else "Not started"

    @property
    def next_course(self) -> tuple[int, CourseCard] | None:
        """(position from 1, card) of the first course not completed, in the program's order."""
        for position, card in enumerate(self.courses, start=1):
            if not card.progress.completed:
                return position, card
        return None


@dataclass(frozen=True)
class ContinueCard:
    """The one next step: a course to continue (or start), and the assignment it belongs to, if any."""

    card: CourseCard
    item: AssignedItem | None = None
    position: int | None = None


@dataclass(frozen=True)
class HomePage:
    continue_card: ContinueCard | None
    assigned: list[AssignedItem]
    completed: list[AssignedItem]
    library: list[CourseCard]
    certificates: list[Certificate]
    earlier: list[EarlierCourse]


@prepared
def _current_enrollments(*, membership_id: int) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.current()
        .filter(membership_id=membership_id)
        .select_related("program", "course")
        .order_by("id")
    )


@prepared
def _enrolled_program_courses(*, membership_id: int) -> QuerySet[ProgramCourse]:
    """(program, course) of every program the person has a current enrollment in, in the program's order."""
    programs = Enrollment.objects.current().filter(membership_id=membership_id, program__isnull=False)
    return (
        ProgramCourse.objects.filter(program_id__in=programs.values("program_id"))
        .order_by("order", "id")
        .values_list("program_id", "course_id")
    )


def home_for(*, membership: Membership, now: datetime, time_zone: str | None = None) -> HomePage:
    """Everything the employee's home shows, in a constant number of queries (three to five): the
    courses, the person's progress, their enrollments, the courses of their programs (if any), the
    attempts of the courses no longer offered (if any).

    The assigned programs (and single courses) come in order of urgency, due states in the person's
    own time zone; each program's courses in the program's order, published ones only. The library is
    the rest of the organization's published courses. "Continue" goes to the next course of the most
    urgent open assignment, or else to a course the person started and has not finished.
    """
    progress_rows = _progress_rows(membership=membership)
    cards = learning_for(membership=membership, progress_rows=progress_rows)
    by_course = {card.course.pk: card for card in cards}
    enrollments = _current_enrollments(membership_id=membership.pk)
    program_courses: dict[int, list[int]] = {}
    if any(enrollment.program_id for enrollment in enrollments):
        for program_id, course_id in _enrolled_program_courses(membership_id=membership.pk):
            program_courses.setdefault(program_id, []).append(course_id)
    time_zone = time_zone or membership.user.time_zone
    items = []
    for enrollment in enrollments:
        course_ids = program_courses.get(enrollment.program_id, []) if enrollment.program_id else [enrollment.course_id]
        title = enrollment.program.title if enrollment.program_id else enrollment.course.title
        items.append(
            AssignedItem(
                enrollment=enrollment,
                title=title,
                state=enrollment.due_state(now=now, time_zone=time_zone),
                courses=[by_course[course_id] for course_id in course_ids if course_id in by_course],
            )
        )
    far = now + timedelta(days=36500)
    assigned = sorted(
        (item for item in items if item.state != DueState.COMPLETED),
        key=lambda item: (_URGENCY[item.state], item.enrollment.due_at or far, item.enrollment.enrolled_at),
    )
    completed = sorted(
        (item for item in items if item.state == DueState.COMPLETED),
        key=lambda item: item.enrollment.completed_at,
        reverse=True,
    )
    in_assignments = {card.course.pk for item in items for card in item.courses}
    library = [card for card in cards if card.course.pk not in in_assignments]
    earlier = earlier_courses_for(membership=membership, progress_rows=progress_rows)
    # Every certificate hangs on a course's progress, loaded above with the published courses and the
    # earlier ones: no query of its own.
    held = [card.certificate for card in cards] + [course.certificate for course in earlier]
    if any(enrollment.renews_id for enrollment in enrollments):
        # Recertified: the certificates of earlier rounds hang on archived progress, read with the
        # rest of the person's progress.
        held += [certificate_of(progress=row) for row in progress_rows if row.archived_at is not None]
    certificates = sorted(
        (certificate for certificate in held if certificate is not None and certificate.revoked_at is None),
        key=lambda certificate: certificate.issued_at,
        reverse=True,
    )
    return HomePage(
        continue_card=_continue_card(assigned, cards),
        assigned=assigned,
        completed=completed,
        library=library,
        certificates=certificates,
        earlier=earlier,
    )


def _continue_card(assigned: list[AssignedItem], cards: list[CourseCard]) -> ContinueCard | None:
    for item in assigned:
        if (found := item.next_course) is not None:
            position, card = found
            return ContinueCard(card=card, item=item, position=position)
    started = [card for card in cards if card.started and not card.progress.completed]
    return ContinueCard(card=started[0]) if started else None
