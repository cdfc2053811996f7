"""Every learner write with business meaning: visiting and completing lessons, knowledge-check
attempts, course completion and certificates.

Versioning of knowledge checks (for the README)
-----------------------------------------------
An attempt is graded against the course *as the person saw it*, never as it is now. When an attempt
starts, `attempt_start` freezes the questions, in the shuffled order this attempt shows them, with
their kind, title, prompt, explanation, standards (id, code, title), choices (id, text, credit,
feedback) and the course's pass mark into `Attempt.snapshot` (format in enrollments/grading.py).
Validation, grading and the result page read only that snapshot and the stored responses. So an
author who, after an attempt, rewords a question, rewrites a choice, changes which choice is
correct, changes the pass mark or deletes a question changes nothing about that attempt: its result
page still shows what was answered, the old texts and the same score. An attempt still open when the
course is edited keeps its snapshot too and is graded on it. The next attempt snapshots the course
as it is then. Certificates copy the person's name, the course title and the organization's name at
issue time for the same reason.

Concurrency and idempotency
---------------------------
- One open attempt per person and course: the partial unique constraint `attempt_one_open_per_progress`;
  `attempt_start` inserts in a savepoint and, if it loses a race, reuses the winner's attempt.
- An attempt is recorded exactly once: the conditional `UPDATE … WHERE status = 'in_progress'` in
  `attempt_submit`; a second submit (double click, second tab, replayed POST) changes 0 rows and
  records nothing.
- A lesson is marked done once: the unique constraint on (progress, lesson) with ON CONFLICT DO NOTHING.
- A course completes once and gets one certificate: the conditional `UPDATE … WHERE completed_at IS
  NULL` and the one-to-one certificate. Both `lesson_complete` and `attempt_submit` lock the person's
  CourseProgress row before checking "all lessons done and the check passed", so the last lesson
  marked done and a passing check submitted at the same moment cannot both miss the completion.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from courses.models import Choice, Course, CourseStatus, Lesson, Question, QuestionKind
from enrollments import grading
from enrollments.models import Attempt, AttemptStatus, Certificate, CourseProgress, LessonCompletion
from enrollments.services.assignments import course_completion_recorded
from organizations.integrity import violated_constraint
from organizations.models import Membership, User
from organizations.permissions import ensure_actor


class NoKnowledgeCheck(Exception):
    """The course has no question to ask, so there is nothing to attempt."""


class AttemptNotFound(Exception):
    """No such attempt among the member's own attempts at published courses of their organization."""


@dataclass(frozen=True)
class SubmitOutcome:
    """What `attempt_submit` did. `recorded` is False when the attempt had already been submitted."""

    attempt_id: int
    recorded: bool
    score_percent: int | None
    passed: bool | None
    course_completed: bool = False


# --- Progress and lessons -----------------------------------------------------------------------


def _progress_upsert(*, membership: Membership, course_id: int, last_lesson_id: int | None = None) -> int:
    """The id of the member's current CourseProgress of the course, created if missing, in one statement.

    INSERT … ON CONFLICT (membership, course) WHERE archived_at IS NULL DO UPDATE … RETURNING id:
    with a lesson, it records it as the place to resume; without, the update keeps the row as it is
    but still returns its id and, inside a transaction, holds the row's lock until commit
    (lesson_complete relies on that). Archived rows (recertification's history) never conflict.
    Raw SQL because the ORM's upsert (bulk_create) wraps itself in a transaction, which outside one
    costs a BEGIN and a COMMIT around the single statement on every lesson view. Portable:
    PostgreSQL and SQLite ≥ 3.35 both speak ON CONFLICT … RETURNING.
    """
    table = connection.ops.quote_name(CourseProgress._meta.db_table)
    # Only the model's own quoted table name is interpolated; every value is a query parameter.
    sql = (
        f"INSERT INTO {table} (membership_id, course_id, started_at, last_lesson_id) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) "
        # The conflict target is the partial unique index course_progress_unique: its WHERE repeats
        # the index's predicate (archived rows are history and never conflict).
        "ON CONFLICT (membership_id, course_id) WHERE archived_at IS NULL DO UPDATE "
        f"SET last_lesson_id = COALESCE(EXCLUDED.last_lesson_id, {table}.last_lesson_id) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [membership.pk, course_id, connection.ops.adapt_datetimefield_value(timezone.now()), last_lesson_id],
        )
        return cursor.fetchone()[0]


def lesson_visit(
    *, membership: Membership, lesson: Lesson, progress_id: int | None = None, last_lesson_id: int | None = None
) -> int:
    """Record the lesson as where the person left off (creating their progress); returns the progress id.

    One upsert, safe against two tabs: the progress row is unique per membership and course. A
    caller that has read the person's progress already passes `progress_id` and `last_lesson_id`:
    when the lesson is already where they resume, nothing is written (a lesson page GET then costs
    no write). The member acts for themselves, in the lesson's organization (else NotPermitted).
    """
    ensure_actor(membership, organization=lesson.course.organization_id)
    if progress_id is not None and last_lesson_id == lesson.pk:
        return progress_id
    return _progress_upsert(membership=membership, course_id=lesson.course_id, last_lesson_id=lesson.pk)


def lesson_complete(*, membership: Membership, lesson: Lesson) -> bool:
    """Mark a lesson done (idempotent) and complete the course if that was the last thing missing.

    Returns True when this call completed the course. Marking twice, or from two tabs, leaves one
    completion row (unique constraint, ON CONFLICT DO NOTHING). The progress upsert locks the
    person's progress row first, which serializes this with a concurrent `attempt_submit`. The
    member acts for themselves, in the lesson's organization (else NotPermitted).
    """
    ensure_actor(membership, organization=lesson.course.organization_id)
    with transaction.atomic():
        progress_id = _progress_upsert(membership=membership, course_id=lesson.course_id, last_lesson_id=lesson.pk)
        LessonCompletion.objects.bulk_create(
            [LessonCompletion(progress_id=progress_id, lesson=lesson)], ignore_conflicts=True
        )
        return _course_complete_if_earned(progress_id=progress_id, course=lesson.course, membership=membership)


def _course_complete_if_earned(*, progress_id: int, course: Course, membership: Membership, now=None) -> bool:
    """Complete the course and issue its certificate if every lesson is done and the check is passed.

    Call with the progress row locked (inside the caller's transaction). The conditional UPDATE
    (completed_at IS NULL and the conditions hold) changes one row only the first time, and only
    then is the certificate created; ON CONFLICT DO NOTHING on the one-to-one is a second guard.
    A course without questions completes when its lessons are done. The certificate copies the
    person's name, the course title, the organization's name and its time zone as they are now.
    The completion event, and the completion of any enrollment this course finishes, are written in
    the same transaction.
    """
    now = now or timezone.now()
    lesson_left = Lesson.objects.filter(course_id=course.pk).exclude(
        pk__in=LessonCompletion.objects.filter(progress_id=progress_id).values("lesson_id")
    )
    passed = Attempt.objects.filter(progress_id=progress_id, passed=True)
    has_questions = Question.objects.filter(course_id=course.pk)
    changed = (
        CourseProgress.objects.filter(pk=progress_id, completed_at__isnull=True)
        .filter(~Exists(lesson_left))
        .filter(Exists(passed) | ~Exists(has_questions))
        .update(completed_at=now)
    )
    if not changed:
        return False
    Certificate.objects.bulk_create(
        [
            Certificate(
                progress_id=progress_id,
                recipient_name=_display_name_of(membership),
                course_title=course.title,
                organization_name=membership.organization.name,
                time_zone=membership.organization.time_zone,
                issued_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    course_completion_recorded(membership_id=membership.pk, course_id=course.pk, now=now)
    return True


def _display_name_of(membership: Membership) -> str | Subquery:
    """The person's display name for a certificate, without a query of its own.

    When the membership's user is already loaded, User.display_name; otherwise the same rule (name,
    else email) as a subquery inside the certificate's INSERT, so that marking the last lesson done
    stays within the page budget of 10 queries.
    """
    if Membership.user.is_cached(membership):
        return membership.user.display_name
    display_name = Coalesce(NullIf(F("name"), Value("")), F("email"), output_field=CharField())
    return Subquery(User.objects.filter(pk=membership.user_id).values(name_or_email=display_name)[:1])


# --- Knowledge check ----------------------------------------------------------------------------

_system_random = random.SystemRandom()


def attempt_snapshot(*, course: Course) -> dict[str, Any]:
    """The knowledge check frozen as it is now (format in enrollments/grading.py), in one query.

    Questions without any choice cannot be answered and are left out (the publish rule requires a
    correct choice in every question, so a published course has none).
    """
    rows = (
        Choice.objects.filter(question__course_id=course.pk)
        .order_by(
            "question__order",
            "question_id",
            "order",
            "id",
            "question__standards__order",
            "question__standards__code",
        )
        .values_list(
            "question_id",
            "question__kind",
            "question__title",
            "question__prompt",
            "question__explanation",
            "question__text_format",
            "id",
            "text",
            "credit_percent",
            "feedback",
            "question__standards__id",
            "question__standards__code",
            "question__standards__title",
        )
    )
    questions: dict[int, dict[str, Any]] = {}
    for (
        question_id, kind, title, prompt, explanation, text_format,
        choice_id, text, credit, feedback,
        standard_id, standard_code, standard_title,
    ) in rows:
        question = questions.get(question_id)
        if question is None:
            question = questions[question_id] = {
                "id": question_id,
                "kind": kind,
                "title": title,
                "prompt": prompt,
                "explanation": explanation,
                "text_format": text_format,
                "standards": {},
                "choices": {},
            }
        # A question with two standards comes back twice per choice: keep each once, in order.
        question["choices"].setdefault(
            choice_id, {"id": choice_id, "text": text, "credit_percent": credit, "feedback": feedback}
        )
        if standard_id is not None:
            question["standards"].setdefault(
                standard_id, {"id": standard_id, "code": standard_code, "title": standard_title}
            )
    return {
        "version": grading.SNAPSHOT_VERSION,
        "course": {"id": course.pk, "title": course.title},
        "pass_mark_percent": course.pass_mark_percent,
        "questions": [
            {
                **question,
                "standards": list(question["standards"].values()),
                "choices": list(question["choices"].values()),
            }
            for question in questions.values()
        ],
    }


def attempt_snapshot_shuffle(snapshot: dict[str, Any], *, rng: random.Random) -> dict[str, Any]:
    """The snapshot with its questions, and each question's choices, in a random order.

    Each attempt gets its own order, so a retry cannot be passed by remembering positions; the
    order is the snapshot's list order, so a reload, the grading and the result page all show the
    same one. True/false keeps its authored order ("True" before "False" reads as expected).
    """
    questions = [dict(question, choices=list(question["choices"])) for question in snapshot["questions"]]
    rng.shuffle(questions)
    for question in questions:
        if question["kind"] != QuestionKind.TRUE_FALSE:
            rng.shuffle(question["choices"])
    return {**snapshot, "questions": questions}


def attempt_start(*, membership: Membership, course: Course, rng: random.Random | None = None) -> Attempt:
    """The member's open attempt at the course's knowledge check, started now if there is none.

    Invariant: at most one in-progress attempt per person and course (partial unique constraint).
    Two tabs or two requests starting at once: the loser's INSERT fails inside a savepoint and it
    returns the winner's attempt. A new attempt freezes the check in `snapshot` (see the module
    docstring on versioning), its questions and choices shuffled (`rng`: tests pass a seeded one).
    The caller passes a published course of the member's organization;
    another organization's course is refused (NotPermitted).
    """
    ensure_actor(membership, organization=course.organization_id)
    for _ in range(3):
        state = (
            CourseProgress.objects.current()
            .filter(membership=membership, course=course)
            .annotate(
                open_attempt_id=Subquery(
                    Attempt.objects.filter(progress=OuterRef("pk"), status=AttemptStatus.IN_PROGRESS).values("pk")[:1]
                ),
                last_number=Subquery(
                    Attempt.objects.filter(progress=OuterRef("pk")).order_by("-number").values("number")[:1]
                ),
            )
            .values_list("pk", "open_attempt_id", "last_number")
            .first()
        )
        if state is None:
            progress_id = _progress_upsert(membership=membership, course_id=course.pk)
            open_attempt_id = last_number = None
        else:
            progress_id, open_attempt_id, last_number = state
        if open_attempt_id is not None:
            attempt = Attempt.objects.filter(pk=open_attempt_id, status=AttemptStatus.IN_PROGRESS).first()
            if attempt is not None:
                return attempt
            continue  # submitted between the two reads: look again
        snapshot = attempt_snapshot(course=course)
        if not snapshot["questions"]:
            raise NoKnowledgeCheck(f"Course {course.pk} has no knowledge-check questions.")
        snapshot = attempt_snapshot_shuffle(snapshot, rng=rng or _system_random)
        try:
            with transaction.atomic():
                return Attempt.objects.create(
                    progress_id=progress_id, number=(last_number or 0) + 1, snapshot=snapshot
                )
        except IntegrityError as error:
            if violated_constraint(error) not in ("attempt_one_open_per_progress", "attempt_number_unique"):
                raise
            # Another request started one first (or took the number): reuse the open one.
            winner = Attempt.objects.filter(progress_id=progress_id, status=AttemptStatus.IN_PROGRESS).first()
            if winner is not None:
                return winner
    raise RuntimeError("Could not start or resume a knowledge-check attempt after three tries.")


def attempt_submit(*, attempt_id: int, membership: Membership, responses: dict[Any, Any]) -> SubmitOutcome:
    """Validate, grade and record the member's answers to one attempt, exactly once.

    Invariants:
    - only the member's own attempt at a published course of their organization (else AttemptNotFound);
    - answers are checked against the attempt's snapshot (grading.responses_validate); if any is
      wrong, ResponsesInvalid is raised and nothing is recorded;
    - grading reads the snapshot only (grading.attempt_grade), never the live course;
    - recorded exactly once: a conditional UPDATE from in_progress to submitted; if it changes no
      row (already submitted: double click, second tab, replayed POST) nothing is recorded and the
      outcome says `recorded=False`;
    - a passing attempt completes the course (and issues the certificate) if every lesson is done.

    `responses` maps question ids to lists of choice ids (strings or ints, as a form posts them).
    """
    with transaction.atomic():
        # Lock the person's progress row first: serializes with lesson_complete (see module docstring).
        attempt = (
            Attempt.objects.filter(
                pk=attempt_id,
                progress__membership=membership,
                progress__course__organization_id=membership.organization_id,
                progress__course__status=CourseStatus.PUBLISHED,
            )
            # The membership again, with the user and organization the certificate copies: no extra query.
            .select_related("progress__course", "progress__membership__user", "progress__membership__organization")
            .select_for_update(of=("progress",))
            .first()
        )
        if attempt is None:
            raise AttemptNotFound(attempt_id)
        if attempt.status != AttemptStatus.IN_PROGRESS:
            return SubmitOutcome(attempt.pk, recorded=False, score_percent=attempt.score_percent, passed=attempt.passed)
        answers = grading.responses_validate(snapshot=attempt.snapshot, responses=responses)
        grade = grading.attempt_grade(snapshot=attempt.snapshot, answers=answers)
        now = timezone.now()
        changed = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.IN_PROGRESS).update(
            status=AttemptStatus.SUBMITTED,
            responses=answers,
            score_percent=grade.score_percent,
            passed=grade.passed,
            submitted_at=now,
        )
        if not changed:
            return SubmitOutcome(attempt.pk, recorded=False, score_percent=None, passed=None)
        completed = grade.passed and _course_complete_if_earned(
            progress_id=attempt.progress_id,
            course=attempt.progress.course,
            membership=attempt.progress.membership,
            now=now,
        )
    return SubmitOutcome(
        attempt.pk,
        recorded=True,
        score_percent=grade.score_percent,
        passed=grade.passed,
        course_completed=completed,
    )

