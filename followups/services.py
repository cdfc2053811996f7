"""The follow-up engine: plan from completions, deliver through the ledger, refreshers, practice, observations.

Every write with business meaning; views and tasks call these. Follow-ups are rows with a due time
(Postgres is the source of truth); the notifications ledger carries the emails about them.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import CourseStatus, Lesson, Program, ProgramCourse, Question
from enrollments import grading
from enrollments.models import Attempt, CompletionEventKind, Enrollment
from enrollments.services import completion_events_claim, completion_events_processed
from followups import memory as memory_model
from followups import selectors
from followups.models import (
    DEFAULT_PLAN,
    FollowUp,
    FollowUpSettings,
    FollowUpStatus,
    MemoryState,
    PlanStep,
    Review,
    ReviewSource,
    StepKind,
)
from notifications.services import messages_enqueue
from organizations.models import Membership, Role, ServiceStandard, Team
from organizations.permissions import NotPermitted, ensure_actor

REFRESHER_MIN_QUESTIONS = 3
REFRESHER_MAX_QUESTIONS = 5
PASS_MARK_PERCENT = 0  # a refresher is practice: no pass mark, only feedback and memory
REFRESHER_HORIZON_DAYS = 180  # adaptive refreshers keep coming for six months after completion

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Completion events were claimed by another consumer while these were processed (nothing was written)."""


# --- Settings and plans ---------------------------------------------------------------------------


def followup_settings_for(organization_id: int) -> FollowUpSettings:
    """The organization's settings, or the defaults (unsaved) until an admin saves them."""
    found = FollowUpSettings.objects.filter(organization_id=organization_id).first()
    return found or FollowUpSettings(organization_id=organization_id)


def followup_settings_save(*, actor: Membership, target_recall: float, min_gap_days: int, max_gap_days: int) -> None:
    """Save the actor's organization's refresher settings (admins)."""
    ensure_actor(actor, organization=actor.organization, roles=(Role.ADMIN,))
    if min_gap_days >= max_gap_days:
        raise ValidationError({"max_gap_days": "The maximum gap must be longer than the minimum gap."})
    FollowUpSettings.objects.update_or_create(
        organization_id=actor.organization_id,
        defaults={"target_recall": target_recall, "min_gap_days": min_gap_days, "max_gap_days": max_gap_days},
    )


def plan_steps_for(program: Program) -> list[PlanStep]:
    """The program's follow-up plan; `DEFAULT_PLAN` is written the first time a program without one needs it."""
    steps = list(PlanStep.objects.filter(program=program))
    if steps:
        return steps
    PlanStep.objects.bulk_create(
        [PlanStep(program=program, offset_days=days, kind=kind) for days, kind in DEFAULT_PLAN], ignore_conflicts=True
    )
    return list(PlanStep.objects.filter(program=program))


@dataclass(frozen=True)
class StepInput:
    offset_days: int
    kind: str
    message: str = ""


def plan_steps_save(*, actor: Membership, program: Program, steps: list[StepInput]) -> list[PlanStep]:
    """Replace the program's plan with `steps` (admins). Follow-ups already planned keep their dates."""
    ensure_actor(actor, organization=program.organization, roles=(Role.ADMIN,))
    if not steps:
        raise ValidationError("A plan needs at least one step.")
    seen = set()
    for step in steps:
        if (step.offset_days, step.kind) in seen:
            raise ValidationError(f"Day {step.offset_days} has two {step.kind} steps.")
        seen.add((step.offset_days, step.kind))
        if step.kind == StepKind.MESSAGE and not step.message.strip():
            raise ValidationError(f"The message on day {step.offset_days} needs a text.")
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()  # one editor at a time
        keep = Q()
        for step in steps:
            keep |= Q(offset_days=step.offset_days, kind=step.kind)
        PlanStep.objects.filter(program=program).exclude(keep).delete()
        for step in steps:
            PlanStep.objects.update_or_create(
                program=program, offset_days=step.offset_days, kind=step.kind,
                defaults={"message": step.message.strip() if step.kind == StepKind.MESSAGE else ""},
            )
    return list(PlanStep.objects.filter(program=program))


# --- Memory ----------------------------------------------------------------------------------------


def _as_memory(state: MemoryState) -> memory_model.Memory:
    return memory_model.Memory(state.stability, state.difficulty, state.last_review, state.reviews)


def _review_standards(
    *, membership_id: int, ratings: Mapping[int, int], at: datetime, source: str,
    followup: FollowUp | None = None, notes: Mapping[int, str] | None = None,
) -> None:
    """Apply one review per standard to the person's memory (rows locked) and record it for the trend.

    A review at or before the memory's last one (the same completion delivered again, or a late event)
    changes nothing: memory only moves forward, and applying a review twice is impossible.
    """
    if not ratings:
        return
    states = {
        state.standard_id: state
        for state in MemoryState.objects.select_for_update().filter(
            membership_id=membership_id, standard_id__in=list(ratings)
        )
    }
    reviews = []
    for standard_id, rating in ratings.items():
        state = states.get(standard_id)
        current = _as_memory(state) if state else None
        if current is not None and current.last_review >= at:
            continue  # already applied (the same event again), or older than what memory holds
        reviews.append(
            Review(
                membership_id=membership_id, standard_id=standard_id, followup=followup, source=source,
                rating=rating, reviewed_at=at, notes=(notes or {}).get(standard_id, ""),
                recall_before=memory_model.recall(current, at) if current else None,
            )
        )
        updated = memory_model.review(current, rating, at)
        values = {
            "stability": updated.stability, "difficulty": updated.difficulty,
            "last_review": updated.last_review, "reviews": updated.reviews,
        }
        if state is None:
            MemoryState.objects.create(membership_id=membership_id, standard_id=standard_id, **values)
        else:
            MemoryState.objects.filter(pk=state.pk).update(**values)
    Review.objects.bulk_create(reviews)


def ratings_from_answers(snapshot: Mapping[str, Any], scores: Mapping[str, int]) -> dict[int, int]:
    """One rating per standard from graded answers: a question is right at full credit."""
    right: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    for question in snapshot["questions"]:
        for standard in question.get("standards", []):
            asked[standard["id"]] += 1
            right[standard["id"]] += scores.get(str(question["id"]), 0) == 100
    return {standard: memory_model.rating_for_answers(right[standard], asked[standard]) for standard in asked}


# --- Planning from completions ----------------------------------------------------------------------


def followups_consume_completions(*, now: datetime | None = None, limit: int = 100) -> int:
    """Claim completion events and act on them; returns how many events were processed.

    A course completion seeds the person's memory from their passing knowledge check; a program
    completion plans the program's follow-ups. All of a claim is written in one transaction with the
    events marked processed under the claim token: if another consumer took them meanwhile (the
    lease ran out), nothing is written, so an event is never acted on twice. Follow-ups are unique
    per enrollment and key, a second guard.
    """
    now = now or timezone.now()
    token, events = completion_events_claim(limit=limit, now=now)
    if not events:
        return 0
    acted_on = []
    with transaction.atomic():
        for event in events:
            try:
                with transaction.atomic():  # one event's failure leaves the others of the claim planned
                    if event.kind == CompletionEventKind.COURSE and event.course_id:
                        _seed_memory_from_check(membership_id=event.membership_id, course_id=event.course_id)
                    elif event.kind == CompletionEventKind.ENROLLMENT and event.enrollment_id:
                        _plan_enrollment(enrollment_id=event.enrollment_id, now=now)
            except Exception:
                # Left claimed and unprocessed: claimed again once its lease runs out, and retried.
                logger.exception("followups: completion event %s could not be acted on", event.pk)
                continue
            acted_on.append(event.pk)
        if acted_on and completion_events_processed(token=token, ids=acted_on, now=now) != len(acted_on):
            raise LeaseLost("Another consumer claimed these completion events; nothing was written.")
    return len(events)


def _seed_memory_from_check(*, membership_id: int, course_id: int) -> None:
    attempt = (
        Attempt.objects.filter(progress__membership_id=membership_id, progress__course_id=course_id, passed=True)
        .order_by("-submitted_at")
        .first()
    )
    if attempt is None or attempt.submitted_at is None:
        return
    grade = grading.attempt_grade(snapshot=attempt.snapshot, answers=attempt.responses)
    ratings = ratings_from_answers(attempt.snapshot, grade.question_scores)
    _review_standards(
        membership_id=membership_id, ratings=ratings, at=attempt.submitted_at, source=ReviewSource.KNOWLEDGE_CHECK
    )


def program_standard_ids(program_id: int) -> list[int]:
    """The standards a program teaches: those of its published courses' questions and lessons."""
    courses = Q(course__programs=program_id, course__status=CourseStatus.PUBLISHED)
    from_questions = ServiceStandard.objects.filter(
        is_active=True, questions__in=Question.objects.filter(courses)
    )
    from_lessons = ServiceStandard.objects.filter(is_active=True, lessons__in=Lesson.objects.filter(courses))
    return sorted(set(from_questions.values_list("pk", flat=True)) | set(from_lessons.values_list("pk", flat=True)))


def _plan_enrollment(*, enrollment_id: int, now: datetime) -> None:
    enrollment = (
        Enrollment.objects.select_related("program", "membership")
        .filter(pk=enrollment_id, program__isnull=False)
        .first()
    )
    if enrollment is None or enrollment.completed_at is None:
        return
    steps = plan_steps_for(enrollment.program)
    refreshers = [step for step in steps if step.kind == StepKind.REFRESHER]
    has_questions = bool(refreshers) and Question.objects.filter(
        course__programs=enrollment.program_id, course__status=CourseStatus.PUBLISHED
    ).exists()
    # Without a question to ask, a refresher would stay "to do" forever: none is planned.
    first_refresher = refreshers[0] if has_questions else None
    practice = _practice_for(enrollment) if any(step.kind == StepKind.PRACTICE for step in steps) else None
    followups = []
    for step in steps:
        if step.kind == StepKind.REFRESHER and step != first_refresher:
            continue  # the refreshers after the first are timed by the memory model (refresher_answer)
        followup = FollowUp(
            enrollment=enrollment, membership_id=enrollment.membership_id, step=step, key=f"step:{step.pk}",
            kind=step.kind, due_at=enrollment.completed_at + timedelta(days=step.offset_days), created_at=now,
        )
        if step.kind == StepKind.PRACTICE and practice is not None:
            followup.prompt, followup.standard_id = practice
        elif step.kind == StepKind.PRACTICE:
            continue  # no lesson of the program says what to try at work
        if step.kind == StepKind.MESSAGE:
            followup.prompt = step.message
        followups.append(followup)
    FollowUp.objects.bulk_create(followups, ignore_conflicts=True)
    transaction.on_commit(lambda: selectors.up_next_forget(enrollment.membership_id))


def _practice_for(enrollment: Enrollment) -> tuple[str, int | None] | None:
    """The "try this at work" of the program's lesson whose standard the person remembers least."""
    course_order = dict(
        ProgramCourse.objects.filter(program_id=enrollment.program_id).values_list("course_id", "order")
    )
    lessons = sorted(
        Lesson.objects.filter(course_id__in=course_order, course__status=CourseStatus.PUBLISHED)
        .exclude(practice_prompt="")
        .prefetch_related("standards"),
        key=lambda lesson: (course_order[lesson.course_id], lesson.order, lesson.pk),
    )
    if not lessons:
        return None
    memories = _memories_of(enrollment.membership_id)
    now = timezone.now()

    def weakness(lesson: Lesson) -> float:
        recalls = [
            memory_model.recall(memories[standard.pk], now) if standard.pk in memories else 0.0
            for standard in lesson.standards.all()
        ]
        return min(recalls, default=1.0)

    lesson = min(lessons, key=weakness)
    standards = list(lesson.standards.all())
    return lesson.practice_prompt, (standards[0].pk if standards else None)


def _memories_of(membership_id: int, standard_ids: Iterable[int] | None = None) -> dict[int, memory_model.Memory]:
    states = MemoryState.objects.filter(membership_id=membership_id)
    if standard_ids is not None:
        states = states.filter(standard_id__in=list(standard_ids))
    return {state.standard_id: _as_memory(state) for state in states}


# --- Refreshers -------------------------------------------------------------------------------------


def _refresher_questions(followup: FollowUp, now: datetime) -> list[Question]:
    """3 to 5 of the program's questions, weakest standards first, none asked in the previous refresher."""
    questions = list(
        Question.objects.filter(
            course__programs=followup.enrollment.program_id,
            course__status=CourseStatus.PUBLISHED,
        )
        .prefetch_related("standards", "choices")
        .distinct()
        .order_by("pk")
    )
    previous = (
        FollowUp.objects.filter(enrollment_id=followup.enrollment_id, kind=StepKind.REFRESHER, snapshot__isnull=False)
        .exclude(pk=followup.pk)
        .order_by("-due_at")
        .values_list("snapshot", flat=True)
        .first()
    )
    asked_last = {question["id"] for question in (previous or {}).get("questions", [])}
    fresh = [question for question in questions if question.pk not in asked_last] or questions
    memories = _memories_of(followup.membership_id)

    def recall_of(standard_id: int) -> float:
        return memory_model.recall(memories[standard_id], now) if standard_id in memories else 0.0

    by_standard: dict[int, list[Question]] = defaultdict(list)
    rng = random.Random(followup.pk)  # noqa: S311 (the order questions are drawn in, not a secret)
    rng.shuffle(fresh)
    for question in fresh:
        for standard in question.standards.all():
            by_standard[standard.pk].append(question)
    chosen: list[Question] = []
    order = sorted(by_standard, key=recall_of)
    while len(chosen) < REFRESHER_MAX_QUESTIONS and any(by_standard[s] for s in order):
        for standard_id in order:
            pool = [q for q in by_standard[standard_id] if q not in chosen]
            by_standard[standard_id] = pool
            if pool and len(chosen) < REFRESHER_MAX_QUESTIONS:
                chosen.append(pool.pop(0))
        if len(chosen) >= REFRESHER_MIN_QUESTIONS and recall_of(order[0]) >= 0.5:
            break  # nothing is badly forgotten: a short refresher
    untagged = [question for question in fresh if question not in chosen]
    while len(chosen) < REFRESHER_MIN_QUESTIONS and untagged:
        chosen.append(untagged.pop(0))
    return chosen


def _question_snapshot(question: Question) -> dict[str, Any]:
    return {
        "id": question.pk, "kind": question.kind, "title": question.title, "prompt": question.prompt,
        "explanation": question.explanation, "text_format": question.text_format,
        "standards": [{"id": s.pk, "code": s.code, "title": s.title} for s in question.standards.all()],
        "choices": [
            {"id": c.pk, "text": c.text, "credit_percent": c.credit_percent, "feedback": c.feedback}
            for c in sorted(question.choices.all(), key=lambda choice: (choice.order, choice.pk))
        ],
    }


def refresher_open(*, followup: FollowUp, now: datetime | None = None) -> FollowUp:
    """Freeze the refresher's questions the first time it is opened (a reload shows the same ones)."""
    if followup.kind != StepKind.REFRESHER:
        raise ValidationError("This follow-up is not a refresher.")
    if followup.snapshot is not None:
        return followup
    now = now or timezone.now()
    questions = _refresher_questions(followup, now)
    snapshot = {
        "version": grading.SNAPSHOT_VERSION,
        "course": {"id": None, "title": followup.enrollment.program.title},
        "pass_mark_percent": PASS_MARK_PERCENT,
        "questions": [_question_snapshot(question) for question in questions],
    }
    # Conditional: two tabs opening it at once freeze one set of questions.
    FollowUp.objects.filter(pk=followup.pk, snapshot__isnull=True).update(snapshot=snapshot)
    followup.snapshot = FollowUp.objects.values_list("snapshot", flat=True).get(pk=followup.pk)
    return followup


@dataclass(frozen=True)
class RefresherResult:
    followup: FollowUp
    grade: grading.Grade
    next_refresher: FollowUp | None


def refresher_answer(
    *, followup: FollowUp, responses: Mapping[str, Any], now: datetime | None = None
) -> RefresherResult:
    """Record the answers once, update the memory of each standard asked, and time the next refresher.

    The refresher is spent by a conditional update (pending → done): a double submit, or the link
    used twice, records once (ValidationError for the second). Raises grading.ResponsesInvalid for
    answers that do not fit the questions.
    """
    now = now or timezone.now()
    if followup.snapshot is None:
        raise ValidationError("Open the refresher before answering it.")
    answers = grading.responses_validate(snapshot=followup.snapshot, responses=responses)
    grade = grading.attempt_grade(snapshot=followup.snapshot, answers=answers)
    with transaction.atomic():
        done = FollowUp.objects.filter(pk=followup.pk, status=FollowUpStatus.PENDING).update(
            status=FollowUpStatus.DONE, done_at=now, responses=answers, score_percent=grade.score_percent
        )
        if done != 1:
            raise ValidationError("This refresher was already answered.")
        _review_standards(
            membership_id=followup.membership_id,
            ratings=ratings_from_answers(followup.snapshot, grade.question_scores),
            at=now, source=ReviewSource.REFRESHER, followup=followup,
        )
        next_refresher = _plan_next_refresher(followup.enrollment, now=now)
        transaction.on_commit(lambda: selectors.up_next_forget(followup.membership_id))
    followup.status, followup.done_at, followup.responses = FollowUpStatus.DONE, now, answers
    followup.score_percent = grade.score_percent
    return RefresherResult(followup=followup, grade=grade, next_refresher=next_refresher)


def _plan_next_refresher(enrollment: Enrollment, *, now: datetime) -> FollowUp | None:
    """The next adaptive refresher: due when the weakest standard's predicted recall falls below the target.

    The plan's first refresher step is at its fixed offset; if the plan has more refresher steps, the
    refreshers after it are timed by the memory model instead of fixed dates (each planned when the
    previous one is answered, or re-timed when an observation changes memory), for
    REFRESHER_HORIZON_DAYS after completion. There is no count cap: bench/refresher_simulation.py
    showed that a cap spends itself on the first wrong answers and then keeps less than fixed dates.
    """
    planned = FollowUp.objects.filter(enrollment=enrollment, kind=StepKind.REFRESHER)
    if planned.filter(status=FollowUpStatus.PENDING).exists():
        return None
    if PlanStep.objects.filter(program_id=enrollment.program_id, kind=StepKind.REFRESHER).count() < 2:
        return None
    due_at = next_refresher_due(enrollment=enrollment, now=now)
    if due_at > enrollment.completed_at + timedelta(days=REFRESHER_HORIZON_DAYS):
        return None
    key = f"refresher:{planned.count() + 1}"
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                enrollment=enrollment, membership_id=enrollment.membership_id, key=key,
                kind=StepKind.REFRESHER, due_at=due_at, created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    return FollowUp.objects.filter(enrollment=enrollment, key=key).first()


def next_refresher_due(*, enrollment: Enrollment, now: datetime) -> datetime:
    """When the person's next refresher of this program should come, by the memory model and the org's settings."""
    settings = followup_settings_for(enrollment.membership.organization_id)
    memories = _memories_of(enrollment.membership_id, program_standard_ids(enrollment.program_id))
    return memory_model.next_refresher_at(
        memories.values(), target=settings.target_recall, now=now,
        min_gap=timedelta(days=settings.min_gap_days), max_gap=timedelta(days=settings.max_gap_days),
    )


def _retime_adaptive_refresher(*, membership_id: int, now: datetime) -> None:
    """After an observation changed memory, move a not-yet-sent adaptive refresher to its new time."""
    pending = FollowUp.objects.filter(
        membership_id=membership_id, kind=StepKind.REFRESHER, status=FollowUpStatus.PENDING,
        notified_at__isnull=True, step__isnull=True,
    ).select_related("enrollment__membership")
    for followup in pending:
        due_at = next_refresher_due(enrollment=followup.enrollment, now=now)
        if due_at > followup.enrollment.completed_at + timedelta(days=REFRESHER_HORIZON_DAYS):
            # Past the horizon, as _plan_next_refresher would not have planned it.
            changes = {"status": FollowUpStatus.CANCELLED}
        else:
            changes = {"due_at": due_at}
        FollowUp.objects.filter(pk=followup.pk, notified_at__isnull=True).update(**changes)


# --- Practice and observations ------------------------------------------------------------------------


def _manages(actor: Membership, person: Membership) -> bool:
    """Whether `actor` coaches `person`: an active admin, or a manager of their team; never oneself."""
    if actor.organization_id != person.organization_id or not actor.is_active or actor.pk == person.pk:
        return False
    if actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.MANAGER
        and person.team_id is not None
        and Team.managers.through.objects.filter(team_id=person.team_id, membership_id=actor.pk).exists()
    )


def practice_reflect(*, followup: FollowUp, actor: Membership, reflection: str, now: datetime | None = None) -> None:
    """The employee's short reflection on their practice task (theirs only; once, later edits allowed)."""
    if followup.kind != StepKind.PRACTICE or actor.pk != followup.membership_id or not actor.is_active:
        raise NotPermitted("Only the person may answer their practice task.")
    text = reflection.strip()
    if not text:
        raise ValidationError({"reflection": "Write a sentence or two about how it went."})
    now = now or timezone.now()
    FollowUp.objects.filter(pk=followup.pk).exclude(status=FollowUpStatus.CANCELLED).update(
        reflection=text, status=FollowUpStatus.DONE, done_at=now
    )
    selectors.up_next_forget(followup.membership_id)
    followup.reflection, followup.status, followup.done_at = text, FollowUpStatus.DONE, now


def practice_reply(*, followup: FollowUp, actor: Membership, reply: str, now: datetime | None = None) -> None:
    """The manager's reply to a reflection (a manager of the person's team, or an admin)."""
    if followup.kind != StepKind.PRACTICE or not _manages(actor, followup.membership):
        raise NotPermitted("Only the person's manager may reply.")
    text = reply.strip()
    if not text:
        raise ValidationError({"reply": "Write a reply."})
    if not followup.reflection:
        raise ValidationError("There is no reflection to reply to yet.")
    now = now or timezone.now()
    with transaction.atomic():
        FollowUp.objects.filter(pk=followup.pk).update(reply=text, replied_by=actor, replied_at=now)
        followup.reply, followup.replied_by, followup.replied_at = text, actor, now
        _tell_the_person(followup, now=now)


def _tell_the_person(followup: FollowUp, *, now: datetime) -> None:
    """The person hears of a reply or an observation through the ledger, in the same transaction."""
    # followups.emails builds on these services (its planner consumes completions): imported here.
    from followups.emails import coaching_draft

    messages_enqueue(drafts=[coaching_draft(followup, now=now)], now=now)


def observation_record(
    *, followup: FollowUp, actor: Membership, ratings: Mapping[int, int], notes_by_standard: Mapping[int, str],
    notes: str = "", now: datetime | None = None,
) -> None:
    """Record a manager's observation (1–4 per standard) once; each rating also updates the person's memory.

    What the manager saw counts like a review: rating 1 is "forgot", 4 "easy".
    """
    if followup.kind != StepKind.OBSERVATION or not _manages(actor, followup.membership):
        raise NotPermitted("Only the person's manager may observe them.")
    expected = set(program_standard_ids(followup.enrollment.program_id))
    if not ratings:
        raise ValidationError("Rate at least one standard.")
    if set(ratings) - expected:
        raise ValidationError("Those standards are not part of this program.")
    if any(rating not in (1, 2, 3, 4) for rating in ratings.values()):
        raise ValidationError("Ratings go from 1 to 4.")
    now = now or timezone.now()
    with transaction.atomic():
        done = FollowUp.objects.filter(pk=followup.pk, status=FollowUpStatus.PENDING).update(
            status=FollowUpStatus.DONE, done_at=now, observer=actor, notes=notes.strip()
        )
        if done != 1:
            raise ValidationError("This observation was already recorded.")
        _review_standards(
            membership_id=followup.membership_id, ratings=dict(ratings), at=now, source=ReviewSource.OBSERVATION,
            followup=followup, notes=notes_by_standard,
        )
        _retime_adaptive_refresher(membership_id=followup.membership_id, now=now)
        followup.status, followup.done_at, followup.observer, followup.notes = FollowUpStatus.DONE, now, actor, notes
        _tell_the_person(followup, now=now)
        transaction.on_commit(lambda: selectors.up_next_forget(followup.membership_id))
