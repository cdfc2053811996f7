"""Every authoring write with business meaning: publishing rules, ordering, choice credits, programs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from html import unescape
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.html import strip_tags

from courses.content import MarkdownRefused, render_markdown, sanitize_html, video_embed_url
from courses.models import (
    Choice,
    Course,
    CourseStatus,
    Lesson,
    Program,
    ProgramCourse,
    Question,
    QuestionKind,
    QuestionSource,
    QuestionTextFormat,
)
from courses.question_formats import (
    MAX_UPLOAD_BYTES,
    ParsedQuestion,
    ParseError,
    SkippedQuestion,
    parse_aiken,
    parse_gift,
)
from organizations.models import ImportJob, ImportJobKind, ImportJobStatus, Membership, ServiceStandard
from organizations.permissions import NotPermitted, ensure_actor
from organizations.services import import_job_write_in_batches

# Kinds where exactly one choice is right; the others allow several.
SINGLE_ANSWER_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.TRUE_FALSE, QuestionKind.SCENARIO})
TRUE_FALSE_TEXTS = ("True", "False")
MIN_CHOICES = 2

Direction = Literal["up", "down"]


class CourseNotPublishable(ValidationError):
    """The publish rule does not hold; `problems` lists, in plain words, what must be fixed."""

    def __init__(self, problems: list[str], *, prefix: str = "") -> None:
        self.problems = problems
        super().__init__([f"{prefix}{problem}" for problem in problems] if prefix else problems)


@dataclass(frozen=True)
class ChoiceInput:
    """One answer option as the author typed it. `id` names an existing choice of the question."""

    text: str
    is_correct: bool
    feedback: str = ""
    id: int | None = None


# --- Rules shared with importers ------------------------------------------------------------------


def choice_credits_from_flags(kind: str, flags: Sequence[bool]) -> list[int]:
    """The credit_percent of each choice, in order, from the author's "correct" ticks.

    Single-answer kinds (single, true/false, scenario): exactly one correct choice, worth 100; the
    others 0. Multiple choice: at least one correct; the correct ones share 100 (the first ones get
    the rounding remainder, so they sum to exactly 100) and each wrong one costs -100/number_correct
    (truncated toward zero), so ticking every box never beats a careful answer. This is the one
    place the rule lives: the authoring form and the GIFT/Aiken importers both call it.
    Raises ValueError when the ticks do not fit the kind.
    """
    flags = [bool(flag) for flag in flags]
    correct = sum(flags)
    if kind in SINGLE_ANSWER_KINDS:
        if correct != 1:
            raise ValueError(f"Mark exactly one choice as correct (marked: {correct}).")
        return [100 if flag else 0 for flag in flags]
    if kind == QuestionKind.MULTIPLE:
        if correct < 1:
            raise ValueError("Mark at least one choice as correct.")
        share, remainder = divmod(100, correct)
        penalty = -int(100 / correct)
        credits: list[int] = []
        for flag in flags:
            if flag:
                credits.append(share + (1 if remainder > 0 else 0))
                remainder -= 1
            else:
                credits.append(penalty)
        return credits
    raise ValueError(f"Unknown question kind: {kind!r}.")


def choice_problems(kind: str, choices: Sequence[ChoiceInput]) -> list[str]:
    """What is wrong with a question's choices for its kind (empty when fine)."""
    problems = []
    if kind == QuestionKind.TRUE_FALSE:
        if len(choices) != 2:
            problems.append("A true/false question has exactly two choices: True and False.")
    elif len(choices) < MIN_CHOICES:
        problems.append(f"Give at least {MIN_CHOICES} choices.")
    if any(not choice.text.strip() for choice in choices) and kind != QuestionKind.TRUE_FALSE:
        problems.append("Every choice needs a text.")
    try:
        choice_credits_from_flags(kind, [choice.is_correct for choice in choices])
    except ValueError as error:
        problems.append(str(error))
    return problems


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _question_label(question: Question) -> str:
    text = question.title or question.prompt
    if question.text_format == QuestionTextFormat.HTML and not question.title:
        text = unescape(strip_tags(text))
    return f"“{_short(text)}”"


# The publish checklist names this many offenders of each kind, then says how many more there are.
NAMED_PROBLEMS = 10


def _named(labels: list[str], total: int) -> str:
    named = ", ".join(labels[:NAMED_PROBLEMS])
    return named + (f" and {total - NAMED_PROBLEMS} more" if total > NAMED_PROBLEMS else "")


def publish_problems(*, lessons: Iterable[Lesson], questions: Iterable[Question]) -> list[str]:
    """Why a course with these lessons and questions may not be published (empty when it may).

    The rule: at least one question; every lesson and every question tagged with a standard; every
    choice question has a correct choice. Reads `standards` and `choices` through `.all()`, so the
    caller prefetches them (the edit page shows this checklist without extra queries).
    """
    lessons, questions = list(lessons), list(questions)
    problems = []
    if not questions:
        problems.append("Add at least one knowledge-check question.")
    untagged_lessons = [f"“{_short(lesson.title)}”" for lesson in lessons if not lesson.standards.all()]
    if untagged_lessons:
        problems.append("Tag these lessons with a service standard: " + ", ".join(untagged_lessons) + ".")
    untagged_questions = [_question_label(q) for q in questions if not q.standards.all()]
    if untagged_questions:
        problems.append("Tag these questions with a service standard: " + ", ".join(untagged_questions) + ".")
    no_correct = [_question_label(q) for q in questions if not any(c.credit_percent > 0 for c in q.choices.all())]
    if no_correct:
        problems.append("Mark a correct choice in these questions: " + ", ".join(no_correct) + ".")
    return problems


def course_publish_problems(*, course: Course) -> list[str]:
    """The publish rule (see `publish_problems`) checked against the database in a fixed number of
    queries whatever the number of questions: the edit page shows it for a course of any size.

    Names the first NAMED_PROBLEMS questions of each problem and counts the rest.
    """
    lessons = Lesson.objects.filter(course=course).prefetch_related("standards")
    questions = Question.objects.filter(course=course).only("pk", "title", "prompt", "text_format")
    problems = []
    if not questions.exists():
        problems.append("Add at least one knowledge-check question.")
    untagged_lessons = [f"“{_short(lesson.title)}”" for lesson in lessons if not lesson.standards.all()]
    if untagged_lessons:
        problems.append("Tag these lessons with a service standard: " + ", ".join(untagged_lessons) + ".")
    for lead, offenders in (
        ("Tag these questions with a service standard: ", questions.filter(standards__isnull=True)),
        ("Mark a correct choice in these questions: ", questions.exclude(choices__credit_percent__gt=0)),
    ):
        first = list(offenders[:NAMED_PROBLEMS])
        if first:  # counted even when all are named: the same queries for 3 questions or 500
            problems.append(lead + _named([_question_label(q) for q in first], offenders.count()) + ".")
    return problems


def course_check_still_publishable(*, course: Course) -> None:
    """Refuse (raise CourseNotPublishable) a change that leaves a published course breaking its rule.

    Call it inside the writing transaction, after the change: the raise rolls the change back.
    Importers adding questions to a published course call it too.
    """
    if course.status != CourseStatus.PUBLISHED:
        return
    problems = course_publish_problems(course=course)
    if problems:
        raise CourseNotPublishable(
            problems,
            prefix="Not saved: this course is published and must stay publishable. ",
        )


# --- Guards ----------------------------------------------------------------------------------------


def _ensure_author_of(actor: Membership, organization_id: int) -> None:
    """Authoring is for authors (admins, and managers granted it) of the content's organization.

    Selectors already scope every object to the actor's organization; this is the last line, for
    callers without a view (tasks, the API). Raises NotPermitted, which views answer with a 404.
    """
    ensure_actor(actor, organization=organization_id, author=True)


def _ensure_standards_of(organization_id: int, standards: Iterable[ServiceStandard]) -> list[ServiceStandard]:
    standards = list(standards)
    if any(standard.organization_id != organization_id for standard in standards):
        raise ValidationError({"standards": "Choose standards of this organization only."})
    return standards


def _lock_course(course: Course) -> Course:
    """Re-read the course row FOR UPDATE: concurrent edits of one course (ordering, the publish
    rule) run one after the other."""
    return Course.objects.select_for_update().get(pk=course.pk)


def _rendered_lesson_body(body_markdown: str) -> str:
    try:
        return render_markdown(body_markdown)
    except MarkdownRefused as refusal:
        raise ValidationError({"body_markdown": refusal.messages}) from refusal


def _validated_video_url(url: str) -> str:
    url = (url or "").strip()
    if url and video_embed_url(url) is None:
        raise ValidationError(
            {"video_url": "Use a YouTube or Vimeo video address (for example https://www.youtube.com/watch?v=…)."}
        )
    return url


def _renumber(rows: list, model) -> None:
    changed = []
    for position, row in enumerate(rows):
        if row.order != position:
            row.order = position
            changed.append(row)
    if changed:
        model.objects.bulk_update(changed, ["order"])


def _move(rows: list, row_id: int, direction: Direction) -> list:
    index = next(i for i, row in enumerate(rows) if row.pk == row_id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows


# --- Courses ---------------------------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    actor: Membership,
    title: str,
    summary: str = "",
    estimated_minutes: int = 15,
    pass_mark_percent: int = 80,
    always_show_answers: bool = False,
    cover_image: File | None = None,
) -> Course:
    """A new draft course of the actor's organization (authors only)."""
    _ensure_author_of(actor, actor.organization_id)
    course = Course(
        organization_id=actor.organization_id,
        title=title,
        summary=summary,
        estimated_minutes=estimated_minutes,
        pass_mark_percent=pass_mark_percent,
        always_show_answers=always_show_answers,
        created_by=actor.user,
        status=CourseStatus.DRAFT,
    )
    if cover_image:
        course.cover_image = cover_image
    course.save()
    return course


@transaction.atomic
def course_update(
    *,
    course: Course,
    actor: Membership,
    title: str,
    summary: str,
    estimated_minutes: int,
    pass_mark_percent: int,
    always_show_answers: bool | None = None,
    cover_image: File | None | Literal[False] = None,
) -> Course:
    """Change a course's details. `cover_image`: a file replaces it, False removes it, None keeps it;
    `always_show_answers`: None keeps it.

    Allowed on published courses: attempts keep their own snapshot of what they were graded on.
    """
    _ensure_author_of(actor, course.organization_id)
    locked = _lock_course(course)
    locked.title = title
    locked.summary = summary
    locked.estimated_minutes = estimated_minutes
    locked.pass_mark_percent = pass_mark_percent
    if always_show_answers is not None:
        locked.always_show_answers = always_show_answers
    if cover_image is False:
        locked.cover_image = ""
    elif cover_image:
        locked.cover_image = cover_image
    locked.save()
    return locked


@transaction.atomic
def course_publish(*, course: Course, actor: Membership) -> Course:
    """Publish a course so learners can take it, if the publish rule holds.

    The rule (see `publish_problems`): at least one question, every lesson and question tagged with
    a standard, every choice question with a correct choice. Otherwise raises CourseNotPublishable
    listing what is wrong, and nothing changes. `published_at` records this publication.

    The rule keeps holding after publication: editing a published course is allowed (attempts keep
    their own snapshot), but every content service (lesson_*, question_*) re-checks it inside its
    transaction and refuses, with CourseNotPublishable and the reasons, a change that would break it
    (e.g. removing the last question's standard). We refuse rather than silently switching the
    course back to draft under its learners; to make such a change, unpublish first.
    """
    _ensure_author_of(actor, course.organization_id)
    locked = _lock_course(course)
    if locked.status == CourseStatus.PUBLISHED:
        return locked
    problems = course_publish_problems(course=locked)
    if problems:
        raise CourseNotPublishable(problems)
    locked.status = CourseStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    return locked


@transaction.atomic
def course_unpublish(*, course: Course, actor: Membership) -> Course:
    """Back to draft (from published or archived): learners no longer find it among courses to take."""
    _ensure_author_of(actor, course.organization_id)
    locked = _lock_course(course)
    locked.status = CourseStatus.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def course_archive(*, course: Course, actor: Membership) -> Course:
    """Retire a course: kept with its history (progress, attempts, certificates), no longer offered."""
    _ensure_author_of(actor, course.organization_id)
    locked = _lock_course(course)
    locked.status = CourseStatus.ARCHIVED
    locked.save(update_fields=["status", "updated_at"])
    return locked


# --- Lessons ---------------------------------------------------------------------------------------
#
# Published courses stay editable, but every content change re-checks the publish rule inside its
# transaction and is refused (rolled back, CourseNotPublishable with the reasons) when it would
# break it: a published course never silently changes status under its learners. To make such a
# change, unpublish first.


@transaction.atomic
def lesson_create(
    *,
    course: Course,
    actor: Membership,
    title: str,
    body_markdown: str = "",
    video_url: str = "",
    practice_prompt: str = "",
    standards: Iterable[ServiceStandard] = (),
) -> Lesson:
    """Add a lesson at the end of the course; the Markdown body is rendered and sanitized once here.

    A body the renderer refuses (too long, nested too deeply) is a ValidationError on `body_markdown`.
    """
    _ensure_author_of(actor, course.organization_id)
    standards = _ensure_standards_of(course.organization_id, standards)
    locked = _lock_course(course)
    count = Lesson.objects.filter(course=locked).count()
    lesson = Lesson.objects.create(
        course=locked,
        order=count,
        title=title,
        body_markdown=body_markdown,
        body_html=_rendered_lesson_body(body_markdown),
        video_url=_validated_video_url(video_url),
        practice_prompt=practice_prompt,
    )
    lesson.standards.set(standards)
    course_check_still_publishable(course=locked)
    return lesson


@transaction.atomic
def lesson_update(
    *,
    lesson: Lesson,
    actor: Membership,
    title: str,
    body_markdown: str,
    video_url: str,
    practice_prompt: str,
    standards: Iterable[ServiceStandard],
) -> Lesson:
    """Change a lesson; re-renders `body_html`. Refused on a published course if it breaks the rule."""
    _ensure_author_of(actor, lesson.course.organization_id)
    standards = _ensure_standards_of(lesson.course.organization_id, standards)
    locked = _lock_course(lesson.course)
    lesson.title = title
    lesson.body_markdown = body_markdown
    lesson.body_html = _rendered_lesson_body(body_markdown)
    lesson.video_url = _validated_video_url(video_url)
    lesson.practice_prompt = practice_prompt
    # Only the edited fields: `lesson` was loaded before the lock, so its `order` may be stale.
    lesson.save(update_fields=["title", "body_markdown", "body_html", "video_url", "practice_prompt"])
    lesson.standards.set(standards)
    course_check_still_publishable(course=locked)
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson, actor: Membership) -> None:
    """Remove a lesson (and learners' completion marks of it) and close the gap in the order."""
    _ensure_author_of(actor, lesson.course.organization_id)
    locked = _lock_course(lesson.course)
    lesson.delete()
    _renumber(list(Lesson.objects.filter(course=locked)), Lesson)
    course_check_still_publishable(course=locked)


@transaction.atomic
def lesson_move(*, lesson: Lesson, actor: Membership, direction: Direction) -> None:
    """Swap a lesson with its neighbor and renumber the course's lessons 0..n-1 in one transaction.

    Moving the first lesson up or the last one down changes nothing.
    """
    _ensure_author_of(actor, lesson.course.organization_id)
    locked = _lock_course(lesson.course)
    rows = list(Lesson.objects.filter(course=locked).only("id", "order", "course_id"))
    _renumber(_move(rows, lesson.pk, direction), Lesson)


# --- Questions -------------------------------------------------------------------------------------


def _normalized_choices(kind: str, choices: Sequence[ChoiceInput]) -> list[ChoiceInput]:
    choices = [
        ChoiceInput(text=c.text.strip(), is_correct=c.is_correct, feedback=c.feedback.strip(), id=c.id)
        for c in choices
    ]
    if kind == QuestionKind.TRUE_FALSE and len(choices) == 2:
        # True/false questions always read True, then False, whatever was typed.
        choices = [
            ChoiceInput(text=text, is_correct=c.is_correct, feedback=c.feedback, id=c.id)
            for text, c in zip(TRUE_FALSE_TEXTS, choices, strict=True)
        ]
    problems = choice_problems(kind, choices)
    if problems:
        raise ValidationError({"choices": problems})
    return choices


def _save_choices(question: Question, choices: list[ChoiceInput]) -> None:
    """Update choices in place (ids stay stable), create new ones, delete the ones left out."""
    credits = choice_credits_from_flags(question.kind, [c.is_correct for c in choices])
    existing = {choice.pk: choice for choice in Choice.objects.filter(question=question)}
    if question.kind == QuestionKind.TRUE_FALSE and all(c.id is None for c in choices):
        # The true/false form has no choice ids: reuse the existing two rows by position.
        reusable = sorted(existing.values(), key=lambda c: (c.order, c.pk))
        choices = [
            ChoiceInput(c.text, c.is_correct, c.feedback, reusable[i].pk if i < len(reusable) else None)
            for i, c in enumerate(choices)
        ]
    kept, to_update, to_create = set(), [], []
    for order, (data, credit) in enumerate(zip(choices, credits, strict=True)):
        row = existing.get(data.id) if data.id is not None else None
        if row is None or row.pk in kept:
            to_create.append(
                Choice(question=question, order=order, text=data.text, credit_percent=credit, feedback=data.feedback)
            )
            continue
        kept.add(row.pk)
        row.order, row.text, row.credit_percent, row.feedback = order, data.text, credit, data.feedback
        to_update.append(row)
    Choice.objects.filter(question=question).exclude(pk__in=kept).delete()
    if to_update:
        Choice.objects.bulk_update(to_update, ["order", "text", "credit_percent", "feedback"])
    if to_create:
        Choice.objects.bulk_create(to_create)


@transaction.atomic
def question_create(
    *,
    course: Course,
    actor: Membership,
    kind: str,
    prompt: str,
    choices: Sequence[ChoiceInput],
    title: str = "",
    explanation: str = "",
    standards: Iterable[ServiceStandard] = (),
    source: str = QuestionSource.AUTHORED,
) -> Question:
    """Add a question at the end of the knowledge check, with its choices and their credits.

    Credits come from the "correct" ticks through `choice_credits_from_flags`; true/false questions
    get the choices True and False. Raises ValidationError when the choices do not fit the kind.
    """
    _ensure_author_of(actor, course.organization_id)
    standards = _ensure_standards_of(course.organization_id, standards)
    normalized = _normalized_choices(kind, choices)
    locked = _lock_course(course)
    _room_for_questions(locked, 1)
    question = Question.objects.create(
        course=locked,
        order=Question.objects.filter(course=locked).count(),
        kind=kind,
        title=title,
        prompt=prompt,
        explanation=explanation,
        source=source,
    )
    question.standards.set(standards)
    _save_choices(question, normalized)
    course_check_still_publishable(course=locked)
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    actor: Membership,
    kind: str,
    prompt: str,
    choices: Sequence[ChoiceInput],
    title: str,
    explanation: str,
    standards: Iterable[ServiceStandard],
) -> Question:
    """Change a question and its choices. Refused on a published course if it breaks the rule.

    An HTML question (imported [html]/[markdown]) is edited as HTML: every text is sanitized again.
    """
    _ensure_author_of(actor, question.course.organization_id)
    standards = _ensure_standards_of(question.course.organization_id, standards)
    if question.text_format == QuestionTextFormat.HTML:
        prompt, explanation = sanitize_html(prompt), sanitize_html(explanation)
        choices = [
            replace(choice, text=sanitize_html(choice.text), feedback=sanitize_html(choice.feedback))
            for choice in choices
        ]
    normalized = _normalized_choices(kind, choices)
    locked = _lock_course(question.course)
    question.kind = kind
    question.title = title
    question.prompt = prompt
    question.explanation = explanation
    # Only the edited fields: `question` was loaded before the lock, so its `order` may be stale.
    question.save(update_fields=["kind", "title", "prompt", "explanation"])
    question.standards.set(standards)
    _save_choices(question, normalized)
    course_check_still_publishable(course=locked)
    return question


@transaction.atomic
def question_delete(*, question: Question, actor: Membership) -> None:
    """Remove a question and close the gap. Refused if it is the last one of a published course."""
    _ensure_author_of(actor, question.course.organization_id)
    locked = _lock_course(question.course)
    question.delete()
    _renumber(list(Question.objects.filter(course=locked)), Question)
    course_check_still_publishable(course=locked)


@transaction.atomic
def question_move(*, question: Question, actor: Membership, direction: Direction) -> None:
    """Swap a question with its neighbor and renumber the knowledge check 0..n-1 atomically."""
    _ensure_author_of(actor, question.course.organization_id)
    locked = _lock_course(question.course)
    rows = list(Question.objects.filter(course=locked).only("id", "order", "course_id"))
    _renumber(_move(rows, question.pk, direction), Question)


# --- Programs --------------------------------------------------------------------------------------


@transaction.atomic
def program_set_courses(*, program: Program, actor: Membership, courses: Sequence[Course]) -> None:
    """Make the program's courses exactly `courses`, in that order (authors only).

    Rows of courses that stay keep their identity (only `order` changes); courses of another
    organization or listed twice are refused.
    """
    _ensure_author_of(actor, program.organization_id)
    courses = list(courses)
    if any(course.organization_id != program.organization_id for course in courses):
        raise ValidationError({"courses": "Choose courses of this organization only."})
    ids = [course.pk for course in courses]
    if len(set(ids)) != len(ids):
        raise ValidationError({"courses": "A course appears only once in a program."})
    Program.objects.select_for_update().filter(pk=program.pk).first()
    existing = {row.course_id: row for row in ProgramCourse.objects.filter(program=program)}
    # Only write what changes: setting the same courses again issues no INSERT/UPDATE/DELETE.
    dropped = [row.pk for course_id, row in existing.items() if course_id not in set(ids)]
    if dropped:
        ProgramCourse.objects.filter(pk__in=dropped).delete()
    to_update, to_create = [], []
    for order, course_id in enumerate(ids):
        row = existing.get(course_id)
        if row is None:
            to_create.append(ProgramCourse(program=program, course_id=course_id, order=order))
        elif row.order != order:
            row.order = order
            to_update.append(row)
    if to_update:
        ProgramCourse.objects.bulk_update(to_update, ["order"])
    if to_create:
        ProgramCourse.objects.bulk_create(to_create)


@transaction.atomic
def program_create(
    *,
    actor: Membership,
    title: str,
    description: str = "",
    courses: Sequence[Course] = (),
    valid_for_days: int | None = None,
) -> Program:
    """A new program (learning path) of the actor's organization with its ordered courses (authors only).

    `valid_for_days`: how long a completion counts before recertification (None: it never expires).
    """
    _ensure_author_of(actor, actor.organization_id)
    program = Program.objects.create(
        organization_id=actor.organization_id, title=title, description=description, valid_for_days=valid_for_days
    )
    program_set_courses(program=program, actor=actor, courses=courses)
    return program


@transaction.atomic
def program_update(
    *,
    program: Program,
    actor: Membership,
    title: str,
    description: str,
    courses: Sequence[Course],
    valid_for_days: int | None = None,
) -> Program:
    """Change a program's title, description, validity and ordered courses together.

    A new validity applies to completions from now on; completions already recorded keep their expiry.
    """
    _ensure_author_of(actor, program.organization_id)
    program.title = title
    program.description = description
    program.valid_for_days = valid_for_days
    program.save()
    program_set_courses(program=program, actor=actor, courses=courses)
    return program


@transaction.atomic
def program_delete(*, program: Program, actor: Membership) -> None:
    """Delete a program; refused while something that must keep it (e.g. assignments) refers to it."""
    _ensure_author_of(actor, program.organization_id)
    try:
        program.delete()
    except ProtectedError as error:
        raise ValidationError("This program is in use (it has assignments) and cannot be deleted.") from error


# --- Question import (GIFT, Aiken) -------------------------------------------------------------------

ImportFormat = Literal["gift", "aiken"]
_IMPORT_PARSERS = {"gift": parse_gift, "aiken": parse_aiken}
_IMPORT_SOURCES = {"gift": QuestionSource.GIFT, "aiken": QuestionSource.AIKEN}
# The review and edit pages list a course's questions a page at a time, and a knowledge check is
# snapshotted whole when an attempt starts (about 120 KiB of JSON for 200 questions): this keeps
# both at a size a request serves comfortably.
MAX_QUESTIONS_PER_COURSE = 500


class QuestionImportInvalid(ValidationError):
    """The file has problems; `parse_errors` lists every one with its line. Nothing was imported.

    `skipped` lists the questions of unsupported types, which would be left out once it is fixed.
    """

    def __init__(self, parse_errors: list[ParseError], skipped: Sequence[SkippedQuestion] = ()) -> None:
        self.parse_errors = sorted(parse_errors)
        self.skipped = sorted(skipped)
        super().__init__([str(error) for error in self.parse_errors])


@dataclass(frozen=True)
class ImportPlan:
    """A validated file, nothing written yet: what would be imported, skipped and dropped."""

    fmt: ImportFormat
    questions: list[tuple[ParsedQuestion, list[int]]]  # each with its choices' credits
    skipped: list[SkippedQuestion]
    warnings: list[ParseError]

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def needs_confirmation(self) -> bool:
        """Something of the file will not arrive as written: the author confirms first."""
        return bool(self.skipped or self.warnings)


@dataclass(frozen=True)
class ImportOutcome:
    questions: list[Question]

    @property
    def count(self) -> int:
        return len(self.questions)


def _imported_credits(parsed: ParsedQuestion) -> list[int]:
    # GIFT weights (%50%) are the author's own credits; otherwise the shared rule reads the flags.
    if parsed.has_explicit_credits:
        return [int(choice.credit_percent or 0) for choice in parsed.choices]
    return choice_credits_from_flags(parsed.kind, [choice.correct for choice in parsed.choices])


def _room_for_questions(course: Course, adding: int) -> None:
    """Refuse (ValidationError) adding questions past MAX_QUESTIONS_PER_COURSE."""
    present = Question.objects.filter(course=course).count()
    if present + adding > MAX_QUESTIONS_PER_COURSE:
        room = max(MAX_QUESTIONS_PER_COURSE - present, 0)
        raise ValidationError(
            f"A course holds at most {MAX_QUESTIONS_PER_COURSE} questions. “{course.title}” has {present}, "
            f"so {room} more fit and this would add {adding}. Split the questions over several courses."
        )


def questions_import_check(*, course: Course, actor: Membership, fmt: ImportFormat, text: str) -> ImportPlan:
    """Parse and validate a GIFT or Aiken text whole, writing nothing.

    Raises QuestionImportInvalid listing every problem with its line (a parse error, choices the
    credit rule refuses, no questions), or ValidationError when the course has no room for them.
    Questions of unsupported types are not problems: they are in `skipped` for the author to see.
    """
    _ensure_author_of(actor, course.organization_id)
    parser = _IMPORT_PARSERS.get(fmt)
    if parser is None:
        raise ValueError(f"Unknown question format: {fmt!r}.")
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise ValidationError("The questions are larger than 1 MiB; split them into smaller files.")
    result = parser(text)
    errors = list(result.errors)
    planned: list[tuple[ParsedQuestion, list[int]]] = []
    for parsed in result.questions:
        try:
            planned.append((parsed, _imported_credits(parsed)))
        except ValueError as error:
            errors.append(ParseError(parsed.line, str(error)))
    if not errors and not planned:
        if result.skipped:
            errors.append(ParseError(1, "No question of a type we import (single, multiple choice, true/false)."))
        else:
            errors.append(ParseError(1, "No questions found."))
    if errors:
        raise QuestionImportInvalid(errors, skipped=result.skipped)
    _room_for_questions(course, len(planned))
    return ImportPlan(fmt=fmt, questions=planned, skipped=list(result.skipped), warnings=list(result.warnings))


def questions_import(
    *, course: Course, actor: Membership, fmt: ImportFormat, text: str, skip_unsupported: bool = False
) -> ImportOutcome:
    """Add every question of a GIFT or Aiken text at the end of the course's knowledge check.

    All or nothing: any problem (see `questions_import_check`) raises and nothing is written.
    Questions of unsupported types are refused too unless `skip_unsupported` (the author saw them
    listed and confirmed). Questions and choices are inserted in one transaction (bulk), untagged,
    with source gift/aiken. A published course refuses imports: untagged questions would break its
    publish rule.
    """
    plan = questions_import_check(course=course, actor=actor, fmt=fmt, text=text)
    if plan.skipped and not skip_unsupported:
        raise QuestionImportInvalid([ParseError(q.line, q.message) for q in plan.skipped])
    return ImportOutcome(questions=_questions_write(course=course, plan=plan, planned=plan.questions))


def _questions_write(
    *, course: Course, plan: ImportPlan, planned: Sequence[tuple[ParsedQuestion, list[int]]]
) -> list[Question]:
    """Insert `planned` questions and their choices at the end of the course, in one transaction."""
    with transaction.atomic():
        locked = _lock_course(course)
        if locked.status == CourseStatus.PUBLISHED:
            raise ValidationError(
                f"“{locked.title}” is published, and imported questions arrive without standards. "
                "Unpublish it, import and tag the questions, then publish it again."
            )
        _room_for_questions(locked, len(planned))  # again, under the lock: a parallel import counts
        last = Question.objects.filter(course=locked).aggregate(last=Max("order"))["last"]
        first_order = 0 if last is None else last + 1
        source = _IMPORT_SOURCES[plan.fmt]
        questions = Question.objects.bulk_create(
            [
                Question(
                    course=locked,
                    order=first_order + index,
                    kind=parsed.kind,
                    title=parsed.title,
                    prompt=parsed.prompt,
                    explanation=parsed.explanation,
                    category=parsed.category,
                    text_format=parsed.text_format,
                    source=source,
                )
                for index, (parsed, _) in enumerate(planned)
            ]
        )
        Choice.objects.bulk_create(
            [
                Choice(
                    question=question,
                    order=order,
                    text=choice.text,
                    credit_percent=credit,
                    feedback=choice.feedback,
                )
                for question, (parsed, credits) in zip(questions, planned, strict=True)
                for order, (choice, credit) in enumerate(zip(parsed.choices, credits, strict=True))
            ]
        )
        course_check_still_publishable(course=locked)
    return questions


# --- Large imports in the background ---------------------------------------------------------------------

# Past this many questions an import runs as a Celery job with a progress page; it writes this many
# questions per transaction, each batch committed with the job's progress.
BACKGROUND_IMPORT_THRESHOLD = 200
IMPORT_BATCH_SIZE = 50


def questions_import_start(*, course: Course, actor: Membership, fmt: ImportFormat, text: str) -> ImportJob:
    """Validate a GIFT or Aiken text whole now, then hand the writing to a Celery job.

    Raises like `questions_import_check`. Questions of unsupported types are skipped (the author
    confirmed them on the preview). The text is kept on the job, which is enqueued once committed;
    `questions_import_job_run` writes it in batches.
    """
    plan = questions_import_check(course=course, actor=actor, fmt=fmt, text=text)
    with transaction.atomic():
        locked = _lock_course(course)
        if locked.status == CourseStatus.PUBLISHED:
            raise ValidationError(
                f"“{locked.title}” is published, and imported questions arrive without standards. "
                "Unpublish it, import and tag the questions, then publish it again."
            )
        job = ImportJob.objects.create(
            organization_id=course.organization_id,
            created_by=actor,
            kind=ImportJobKind.QUESTIONS,
            total=plan.count,
            payload={"course_id": course.pk, "format": fmt, "text": text},
        )
        from courses.tasks import questions_import_run  # tasks import services: imported here

        questions_import_run.delay_on_commit(job.pk)
    return job


def questions_import_job_run(*, job: ImportJob) -> None:
    """Write a question import job's questions in batches, each committed with the job's `done`.

    Safe to run again (a retried or duplicated task): each batch locks the job row and starts
    from its `done`, so no question is written twice. A job whose course is gone, whose author
    lost the right, or that the course refuses midway (published, full) stops with its errors;
    the batches already written stay and the page says how many.
    """
    if job.is_finished:
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.PENDING).update(status=ImportJobStatus.RUNNING)
    try:
        course = Course.objects.filter(pk=job.payload.get("course_id"), organization_id=job.organization_id).first()
        if course is None or job.created_by is None:
            raise ValidationError("The course or the person who started the import no longer exists.")
        ensure_actor(job.created_by, organization=course.organization_id, author=True)
        fmt = job.payload["format"]
        result = _IMPORT_PARSERS[fmt](job.payload["text"])
        if result.errors:  # validated before the job was made; only a changed parser gets here
            raise QuestionImportInvalid(result.errors)
        planned = [(parsed, _imported_credits(parsed)) for parsed in result.questions]
        plan = ImportPlan(fmt=fmt, questions=planned, skipped=result.skipped, warnings=result.warnings)
        import_job_write_in_batches(
            job=job,
            items=planned,
            batch_size=IMPORT_BATCH_SIZE,
            write=lambda batch: _questions_write(course=course, plan=plan, planned=batch),
        )
    except (ValidationError, NotPermitted) as error:
        messages = (
            error.messages if isinstance(error, ValidationError) else ["You may no longer import into this course."]
        )
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED, errors=messages, finished_at=timezone.now()
        )
        return
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.DONE, finished_at=timezone.now())


@transaction.atomic
def questions_add_standards(
    *, course: Course, actor: Membership, standards_by_question: Mapping[int, Iterable[ServiceStandard]]
) -> int:
    """Tag questions of one course with standards (the import review page); returns how many got tags.

    Adds to a question's standards, never removes. Questions of another course and standards of
    another organization are refused (ValidationError) and nothing is saved.
    """
    _ensure_author_of(actor, course.organization_id)
    wanted = {
        question_id: _ensure_standards_of(course.organization_id, standards)
        for question_id, standards in standards_by_question.items()
    }
    wanted = {question_id: standards for question_id, standards in wanted.items() if standards}
    if not wanted:
        return 0
    found = set(Question.objects.filter(course=course, pk__in=wanted).values_list("pk", flat=True))
    if found != set(wanted):
        raise ValidationError("Tag questions of this course only.")
    through = Question.standards.through
    through.objects.bulk_create(
        [
            through(question_id=question_id, servicestandard_id=standard.pk)
            for question_id, standards in wanted.items()
            for standard in standards
        ],
        ignore_conflicts=True,
    )
    return len(wanted)
