"""Authoring reads, scoped to the acting membership's organization, with everything the page renders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from courses.models import Course, CourseStatus, Lesson, Program, ProgramCourse, Question
from organizations.models import Membership, ServiceStandard


def _count_per_course(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT per course, so several counts on one course list never multiply rows."""
    counted = (
        queryset.filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def courses_for_authoring(*, membership: Membership) -> QuerySet[Course]:
    """The organization's courses, every status: the base of each authoring page's course lookup."""
    return Course.objects.of_organization(membership.organization_id)


def course_list_for_authoring(*, membership: Membership) -> QuerySet[Course]:
    """Courses with their lesson and question counts and how many of those lack a standard.

    One query whatever the number of courses (correlated subqueries, no per-row counts).
    """
    return courses_for_authoring(membership=membership).annotate(
        lesson_count=_count_per_course(Lesson.objects.all()),
        question_count=_count_per_course(Question.objects.all()),
        untagged_lesson_count=_count_per_course(Lesson.objects.filter(standards__isnull=True)),
        untagged_question_count=_count_per_course(Question.objects.filter(standards__isnull=True)),
    )


def _lessons_with_standards() -> QuerySet[Lesson]:
    return Lesson.objects.prefetch_related("standards")


def _questions_with_standards_and_choices() -> QuerySet[Question]:
    return Question.objects.prefetch_related("standards", "choices")


def courses_for_editing(*, membership: Membership) -> QuerySet[Course]:
    """Courses with lessons (and standards) and questions (with standards and choices) preloaded.

    The course edit and preview pages render everything from this in a constant number of queries.
    """
    return courses_for_authoring(membership=membership).prefetch_related(
        Prefetch("lessons", queryset=_lessons_with_standards()),
        Prefetch("questions", queryset=_questions_with_standards_and_choices()),
    )


def lessons_for_authoring(*, membership: Membership, course_id: int) -> QuerySet[Lesson]:
    """One course's lessons, scoped to the organization, with their course and standards."""
    return (
        Lesson.objects.of_organization(membership.organization_id)
        .filter(course_id=course_id)
        .select_related("course")
        .prefetch_related("standards")
    )


def questions_for_authoring(*, membership: Membership, course_id: int) -> QuerySet[Question]:
    """One course's questions, scoped to the organization, with course, standards and choices."""
    return (
        Question.objects.of_organization(membership.organization_id)
        .filter(course_id=course_id)
        .select_related("course")
        .prefetch_related("standards", "choices")
    )


def standards_for_tagging(*, membership: Membership, keep_ids: Iterable[int] = ()) -> QuerySet[ServiceStandard]:
    """Standards an author may tag content with: the active ones, plus retired ones already tagged
    (so editing a lesson does not silently drop them)."""
    return ServiceStandard.objects.of_organization(membership.organization_id).filter(
        Q(is_active=True) | Q(pk__in=list(keep_ids))
    )


def programs_for_authoring(*, membership: Membership) -> QuerySet[Program]:
    """The organization's programs with their ordered courses preloaded."""
    return Program.objects.of_organization(membership.organization_id).prefetch_related(
        Prefetch("program_courses", queryset=ProgramCourse.objects.select_related("course"))
    )


def courses_for_program_choice(*, membership: Membership, keep_ids: Iterable[int] = ()) -> QuerySet[Course]:
    """Courses a program may list: every course that is not archived, plus ones already listed."""
    return courses_for_authoring(membership=membership).filter(
        ~Q(status=CourseStatus.ARCHIVED) | Q(pk__in=list(keep_ids))
    )


# Coverage strength, from the number of lessons and questions of one course tagged with one standard:
# (lowest count, level). The page shades cells by level; the numbers themselves stay as text.
COVERAGE_LEVELS: tuple[tuple[int, str], ...] = ((6, "strong"), (3, "medium"), (1, "light"), (0, "none"))


class CoverageCell(NamedTuple):
    lessons: int
    questions: int

    @property
    def strength(self) -> str:
        total = self.lessons + self.questions
        return next(level for lowest, level in COVERAGE_LEVELS if total >= lowest)


@dataclass
class CoverageRow:
    standard: ServiceStandard
    cells: list[CoverageCell] = field(default_factory=list)  # one per published course, in column order
    lesson_total: int = 0
    question_total: int = 0

    @property
    def is_taught(self) -> bool:
        return self.lesson_total > 0

    @property
    def is_checked(self) -> bool:
        return self.question_total > 0


@dataclass
class CoverageMatrix:
    courses: list[Course]
    rows: list[CoverageRow]

    @property
    def untaught(self) -> list[ServiceStandard]:
        return [row.standard for row in self.rows if not row.is_taught]


def standards_coverage(*, membership: Membership) -> CoverageMatrix:
    """How many lessons and questions of each published course teach each active standard.

    Four queries whatever the size: standards, published courses, and one grouped count over each
    tagging table (lesson↔standard, question↔standard). A standard is "taught" when at least one
    lesson of a published course is tagged with it.
    """
    organization_id = membership.organization_id
    standards = list(ServiceStandard.objects.of_organization(organization_id).filter(is_active=True))
    courses = list(courses_for_authoring(membership=membership).published())
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for slot, model, owner in ((0, Lesson, "lesson"), (1, Question, "question")):
        through = model.standards.through
        grouped = (
            through.objects.filter(
                **{
                    f"{owner}__course__organization_id": organization_id,
                    f"{owner}__course__status": CourseStatus.PUBLISHED,
                    "servicestandard__organization_id": organization_id,
                }
            )
            .order_by()
            .values("servicestandard_id", f"{owner}__course_id")
            .annotate(n=Count("id"))
        )
        for entry in grouped:
            counts[(entry["servicestandard_id"], entry[f"{owner}__course_id"])][slot] = entry["n"]
    rows = []
    for standard in standards:
        row = CoverageRow(standard=standard)
        for course in courses:
            lessons, questions = counts.get((standard.pk, course.pk), (0, 0))
            row.cells.append(CoverageCell(lessons, questions))
            row.lesson_total += lessons
            row.question_total += questions
        rows.append(row)
    return CoverageMatrix(courses=courses, rows=rows)


def questions_untagged_for_review(*, membership: Membership, course_id: int) -> QuerySet[Question]:
    """One course's questions without any standard (e.g. just imported), with their choices.

    The import review page lists them with their choices in a constant number of queries.
    """
    return (
        Question.objects.of_organization(membership.organization_id)
        .filter(course_id=course_id, standards__isnull=True)
        .prefetch_related("choices")
    )


def cover_image_visible(*, membership: Membership, name: str) -> bool:
    """Whether `name` (a stored file name: course-covers/x.png) is a cover of a course of the member's organization."""
    return Course.objects.of_organization(membership.organization_id).filter(cover_image=name).exists()
