"""Assignments, enrollments and completion events: who takes which program by when, and what finished.

How the rules hold
------------------
- **One open enrollment per person and target** (program or single course), whatever number of
  assignments reached them: the partial unique constraints `enrollment_one_open_per_program` /
  `..._per_course`, which every enrollment insert names as its `ON CONFLICT` target. When a second
  assignment reaches someone already enrolled, the earliest due date wins (`DO UPDATE … WHERE
  excluded.due_at < due_at`). Someone who already completed the target is not enrolled again
  (recertification makes the next enrollment when a completion expires).
- **Standing rules without signals**: a team or organization assignment reaches people who join
  later through `enrollments_reconcile`, a set-based pass that Celery beat runs every minute and
  that the assignment pages run at once after their own changes. `organizations` never imports
  `enrollments`; the reconcile reads memberships and teams as they are.
- **Bulk**: enrolling an audience is one audience query and one multi-row upsert per
  `ENROLL_BATCH_SIZE` people. Audiences over `ASSIGN_IN_BACKGROUND_OVER` people are enrolled by a
  Celery task through an `ImportJob`, whose page shows the progress; each batch commits with the
  job's progress, so a retried task resumes where it stopped.
- **Completion events** are written in the transaction of the completion they record, and consumed
  by claiming (`completion_events_claim`): a conditional UPDATE with a lease, so two consumers
  never take the same row, and a consumer that died releases its rows when the lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, CourseStatus, Program, ProgramCourse
from enrollments.models import (
    Assignment,
    AssignmentAudience,
    AssignmentPerson,
    Certificate,
    CompletionEvent,
    CompletionEventKind,
    CourseProgress,
    DueFrom,
    Enrollment,
    EnrollmentQuerySet,
)
from organizations.models import ImportJob, ImportJobKind, ImportJobStatus, Membership, Role, Team, User
from organizations.permissions import NotPermitted, ensure_actor
from organizations.services import import_job_write_in_batches

ENROLL_BATCH_SIZE = 5000
ASSIGN_IN_BACKGROUND_OVER = 1000
# An identical assignment by the same person within this time is the same decision submitted twice.
REPEAT_WINDOW = timedelta(minutes=2)
END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class AssignOutcome:
    """What `assignment_create` did: the assignment, and either how many it enrolled or the job doing it."""

    assignment: Assignment
    enrolled: int
    job: ImportJob | None = None
    # True when this call found the same assignment just made by the same person and made no other.
    repeated: bool = False


@dataclass(frozen=True)
class _Reached:
    """One person an assignment reaches, with what their due date depends on."""

    assignment_id: int
    membership_id: int
    time_zone: str
    joined_at: datetime


# --- Due dates ------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_for(*, assignment: Assignment, time_zone: str, joined_at: datetime) -> tuple[date, datetime]:
    """The person's due date and the instant it ends (UTC), in the person's own time zone.

    A fixed date is that date, wherever they are. "N days after assignment" counts from the day the
    assignment was made, as a date where the person is; "N days after joining" from the day they
    joined, but never from before the assignment (people who were already there get N days from the
    assignment rather than a due date in the past). The due instant is the end of that local day:
    23:59:59.999999 there, which a daylight-saving change moves in UTC but not on the clock.
    """
    zone = _zone(time_zone)
    if assignment.due_on is not None:
        local_date = assignment.due_on
    else:
        start = assignment.created_at
        if assignment.due_from == DueFrom.JOINED:
            start = max(start, joined_at)
        local_date = start.astimezone(zone).date() + timedelta(days=assignment.due_days or 0)
    return local_date, datetime.combine(local_date, END_OF_DAY, tzinfo=zone).astimezone(UTC)


# --- Who an assignment reaches ---------------------------------------------------------------------


def _reached_sql(
    *, assignment_id: int | None, organization_id: int | None, membership_ids: Sequence[int] | None, skip_open: bool
) -> tuple[str, list]:
    """One query: every (live assignment, active member) pair the assignment's audience covers.

    People with a completed, not cancelled enrollment of the target are left out (they are done);
    with `skip_open`, people with an open one too (the reconcile only fills gaps; an explicit
    assignment also revisits open enrollments, whose due date it may bring forward).
    """
    a, m, u = Assignment._meta.db_table, Membership._meta.db_table, User._meta.db_table
    p, e = AssignmentPerson._meta.db_table, Enrollment._meta.db_table
    where, params = ["a.cancelled_at IS NULL"], []
    if assignment_id is not None:
        where.append("a.id = %s")
        params.append(assignment_id)
    if organization_id is not None:
        where.append("a.organization_id = %s")
        params.append(organization_id)
    if membership_ids is not None:
        where.append(f"m.id IN ({', '.join(['%s'] * len(membership_ids))})" if membership_ids else "FALSE")
        params.extend(membership_ids)
    done_or_open = "" if skip_open else "AND e.completed_at IS NOT NULL"
    sql = f"""
        SELECT a.id, m.id, u.time_zone, m.joined_at
        FROM {a} a
        JOIN {m} m ON m.organization_id = a.organization_id AND m.is_active
        JOIN {u} u ON u.id = m.user_id AND u.is_active
        WHERE {" AND ".join(where)}
          AND (a.audience = %s
               OR (a.audience = %s AND m.team_id = a.team_id)
               OR (a.audience = %s AND EXISTS (
                     SELECT 1 FROM {p} p WHERE p.assignment_id = a.id AND p.membership_id = m.id)))
          AND NOT EXISTS (
                SELECT 1 FROM {e} e
                WHERE e.membership_id = m.id AND e.cancelled_at IS NULL {done_or_open}
                  AND (e.program_id = a.program_id OR e.course_id = a.course_id))
        ORDER BY m.id, a.id
    """  # noqa: S608  (table names come from the models' Meta; every value is a parameter)
    params += [AssignmentAudience.ORGANIZATION, AssignmentAudience.TEAM, AssignmentAudience.PEOPLE]
    return sql, params


def _reached(
    *,
    assignment_id: int | None = None,
    organization_id: int | None = None,
    membership_ids: Sequence[int] | None = None,
    skip_open: bool,
) -> list[_Reached]:
    sql, params = _reached_sql(
        assignment_id=assignment_id, organization_id=organization_id, membership_ids=membership_ids, skip_open=skip_open
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Reached(*row) for row in cursor.fetchall()]


# --- Writing enrollments ---------------------------------------------------------------------------


def _enroll(*, reached: Sequence[_Reached], assignments: dict[int, Assignment], now: datetime) -> int:
    """Upsert one open enrollment per (person, target), the earliest due date winning; returns rows written.

    Several pairs for one person and target (two assignments) collapse to the earliest due first,
    because one upsert statement may not touch a row twice.
    """
    best: dict[tuple[int, int | None, int | None], tuple[datetime, date, int]] = {}
    for pair in reached:
        assignment = assignments[pair.assignment_id]
        due_on, due_at = due_for(assignment=assignment, time_zone=pair.time_zone, joined_at=pair.joined_at)
        key = (pair.membership_id, assignment.program_id, assignment.course_id)
        if key not in best or due_at < best[key][0]:
            best[key] = (due_at, due_on, assignment.pk)
    by_target: dict[str, list[tuple]] = {"program": [], "course": []}
    for (membership_id, program_id, course_id), (due_at, due_on, assignment_id) in best.items():
        row = (membership_id, program_id, course_id, assignment_id, now, due_on, due_at)
        by_target["program" if program_id else "course"].append(row)
    written = 0
    for target, rows in by_target.items():
        for start in range(0, len(rows), ENROLL_BATCH_SIZE):
            written += _upsert_enrollments(target=target, rows=rows[start : start + ENROLL_BATCH_SIZE])
    return written


def _upsert_enrollments(*, target: str, rows: Sequence[tuple]) -> int:
    """INSERT … ON CONFLICT on the open-enrollment constraint of `target`, in one statement.

    Raw SQL because the ORM's upsert cannot name a partial unique index as its conflict target nor
    keep the earlier of two due dates. The WHERE of the conflict target repeats the index's
    predicate, as PostgreSQL and SQLite both require to use a partial index.
    """
    if not rows:
        return 0
    table = Enrollment._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = f"""
        INSERT INTO {table} AS t (membership_id, program_id, course_id, assignment_id, enrolled_at, due_on, due_at)
        VALUES {values}
        ON CONFLICT (membership_id, {target}_id)
          WHERE cancelled_at IS NULL AND completed_at IS NULL AND {target}_id IS NOT NULL
        DO UPDATE SET due_on = excluded.due_on, due_at = excluded.due_at, assignment_id = excluded.assignment_id
          WHERE excluded.due_at < t.due_at
    """  # noqa: S608  (identifiers from the model; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return cursor.rowcount


def _nothing_left() -> Exists:
    """Correlated to an Enrollment row: no published course of its target is left uncompleted by its person."""
    in_target = Q(pk=OuterRef("course_id")) | Exists(
        ProgramCourse.objects.filter(program_id=OuterRef(OuterRef("program_id")), course_id=OuterRef("pk"))
    )
    completed = CourseProgress.objects.current().filter(
        membership_id=OuterRef(OuterRef("membership_id")), course_id=OuterRef("pk"), completed_at__isnull=False
    )
    return ~Exists(Course.objects.filter(in_target, status=CourseStatus.PUBLISHED).filter(~Exists(completed)))


def _complete_finished(enrollments: EnrollmentQuerySet, *, now: datetime) -> list[int]:
    """Complete the open enrollments among `enrollments` with nothing left; returns the ids completed.

    One query finds them; each is then completed by a conditional UPDATE (still open, still nothing
    left) followed by its completion event in the same transaction, so concurrent calls complete an
    enrollment once and write one event (the event's unique constraint is the second guard).
    """
    completed = []
    finished = enrollments.open().filter(_nothing_left())
    rows = finished.values_list(
        "pk", "membership_id", "program_id", "program__valid_for_days", "membership__user__time_zone",
        "renews__expires_at",
    )
    # savepoint=False: inside the caller's transaction (a course completing) a savepoint would cost
    # two statements on the learner's request for nothing: a failure here fails the whole completion.
    with transaction.atomic(savepoint=False):
        for pk, membership_id, program_id, valid_for_days, time_zone, previous_expiry in rows:
            # A renewal completed before the previous completion expired counts from that expiry:
            # retaking early never shortens the certification.
            counted_from = max(now, previous_expiry) if previous_expiry else now
            expires_at = completion_expires_at(
                completed_at=counted_from, time_zone=time_zone, valid_for_days=valid_for_days
            )
            if Enrollment.objects.open().filter(pk=pk).filter(_nothing_left()).update(
                completed_at=now, expires_at=expires_at
            ):
                CompletionEvent.objects.create(
                    kind=CompletionEventKind.ENROLLMENT, membership_id=membership_id, enrollment_id=pk, occurred_at=now
                )
                if expires_at is not None:
                    _certificates_expire(
                        membership_id=membership_id, program_id=program_id, expires_at=expires_at, time_zone=time_zone
                    )
                completed.append(pk)
    return completed


def completion_expires_at(*, completed_at: datetime, time_zone: str, valid_for_days: int | None) -> datetime | None:
    """When a completion of a program valid for `valid_for_days` stops counting; None if it never does.

    The end of the local day `valid_for_days` days after the day it was completed (or, for a
    renewal completed early, after the day the previous completion expired), in the person's
    zone (like a due date): completed on 1 March, valid for 365 days, it counts until the end of
    1 March the year after, wherever daylight saving moved UTC in between.
    """
    if not valid_for_days:
        return None
    zone = _zone(time_zone)
    local_date = completed_at.astimezone(zone).date() + timedelta(days=valid_for_days)
    return datetime.combine(local_date, END_OF_DAY, tzinfo=zone).astimezone(UTC)


def _certificates_expire(*, membership_id: int, program_id: int, expires_at: datetime, time_zone: str) -> int:
    """The certificates a program completion rests on carry its expiry; returns how many changed.

    They are the person's certificates of the program's courses on their current (unarchived)
    progress: the ones this completion was earned with. Certificates of earlier rounds (archived
    progress) keep the expiry they had. A certificate shows its dates in its own time zone (the
    organization's at issue), so it is valid until the end of the same date the completion expires
    on the person's calendar, in that zone: every viewer reads the date the dashboard shows. A
    course in two programs with a validity keeps the earlier expiry (a certificate is good while
    every certification resting on it is); a course outside any such program never expires.
    """
    expires_on = expires_at.astimezone(_zone(time_zone)).date()
    certificates = Certificate.objects.filter(
        progress__membership_id=membership_id,
        progress__archived_at__isnull=True,
        progress__course_id__in=ProgramCourse.objects.filter(program_id=program_id).values("course_id"),
    )
    by_zone: dict[str, list[int]] = {}
    for pk, certificate_zone in certificates.values_list("pk", "time_zone"):
        by_zone.setdefault(certificate_zone, []).append(pk)
    changed = 0
    for certificate_zone, ids in by_zone.items():
        until = datetime.combine(expires_on, END_OF_DAY, tzinfo=_zone(certificate_zone)).astimezone(UTC)
        changed += (
            Certificate.objects.filter(pk__in=ids)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=until))
            .update(valid_until=until)
        )
    return changed


def course_completion_recorded(*, membership_id: int, course_id: int, now: datetime) -> list[int]:
    """Record a course's completion: its event, then complete the enrollments it finishes (ids returned).

    Called by `enrollments.services.learning` inside the transaction that completed the course.
    """
    CompletionEvent.objects.create(
        kind=CompletionEventKind.COURSE, membership_id=membership_id, course_id=course_id, occurred_at=now
    )
    in_program = ProgramCourse.objects.filter(program_id=OuterRef("program_id"), course_id=course_id)
    containing = Enrollment.objects.filter(membership_id=membership_id).filter(
        Q(course_id=course_id) | Exists(in_program)
    )
    return _complete_finished(containing, now=now)


def _enrolled_in(assignment: Assignment, reached: Sequence[_Reached]) -> EnrollmentQuerySet:
    """The enrollments of the assignment's target held by the people it just reached."""
    target = {"program_id": assignment.program_id} if assignment.program_id else {"course_id": assignment.course_id}
    return Enrollment.objects.filter(membership_id__in=[pair.membership_id for pair in reached], **target)


# --- Assigning ------------------------------------------------------------------------------------


def _managed_team_ids(actor: Membership) -> set[int]:
    return set(Team.objects.filter(organization_id=actor.organization_id, managers=actor).values_list("pk", flat=True))


def _ensure_may_assign(actor: Membership, *, audience: str, team: Team | None, people: Sequence[Membership]) -> None:
    """Admins assign anywhere; managers only to the teams they manage and the people in them."""
    ensure_actor(actor, organization=actor.organization_id, roles=(Role.ADMIN, Role.MANAGER))
    if team is not None and team.organization_id != actor.organization_id:
        raise NotPermitted("The team is not in the actor's organization.")
    if any(person.organization_id != actor.organization_id for person in people):
        raise NotPermitted("A person is not in the actor's organization.")
    if actor.role == Role.ADMIN:
        return
    if audience == AssignmentAudience.ORGANIZATION:
        raise NotPermitted("Only admins assign to the whole organization.")
    managed = _managed_team_ids(actor)
    if audience == AssignmentAudience.TEAM and (team is None or team.pk not in managed):
        raise NotPermitted("Managers assign only to the teams they manage.")
    if any(person.team_id not in managed for person in people):
        raise NotPermitted("Managers assign only to people in the teams they manage.")


def _check_target(*, actor: Membership, program: Program | None, course: Course | None) -> None:
    if (program is None) == (course is None):
        raise ValidationError("Choose a program or a single course.")
    owner = program.organization_id if program is not None else course.organization_id
    if owner != actor.organization_id:
        raise NotPermitted("The program or course is not in the actor's organization.")
    if course is not None and course.status != CourseStatus.PUBLISHED:
        raise ValidationError(f"“{course.title}” is not published yet.")
    if program is not None:
        statuses = list(ProgramCourse.objects.filter(program=program).values_list("course__title", "course__status"))
        if not statuses:
            raise ValidationError(f"“{program.title}” has no course yet.")
        drafts = [title for title, status in statuses if status != CourseStatus.PUBLISHED]
        if drafts:
            raise ValidationError(
                f"Publish {', '.join(f'“{title}”' for title in drafts)} before assigning “{program.title}”."
            )


def assignment_create(
    *,
    actor: Membership,
    program: Program | None = None,
    course: Course | None = None,
    audience: str,
    team: Team | None = None,
    people: Sequence[Membership] = (),
    due_on: date | None = None,
    due_days: int | None = None,
    due_from: str = DueFrom.ASSIGNED,
    now: datetime | None = None,
) -> AssignOutcome:
    """Assign a program (or one course) to chosen people, a team or everyone, and enroll them.

    Checks the actor (admins anywhere, managers within their teams: NotPermitted otherwise) and the
    target (published, of the actor's organization: ValidationError otherwise). Small audiences are
    enrolled in this transaction; larger ones by a Celery task once this commits (the outcome then
    carries the job whose page shows the progress). Assigning again what people already have
    creates nothing, and only brings a due date forward.

    **A double submit makes one assignment.** Each call would otherwise create an Assignment row, so
    an identical assignment (same target, audience, team or people, and due rule) by the same actor
    within `REPEAT_WINDOW` is taken as the same decision submitted twice (a double tap, a resent
    form): the call returns the existing assignment (and its job) with `repeated=True` and writes
    nothing. Two concurrent calls are serialized by locking the actor's membership row
    (`SELECT … FOR UPDATE`) before the look: the second waits for the first to commit, then sees
    its row. Chosen over a one-time form token because it also covers two tabs, an API client and
    a retried request, needs no extra table or session state, and an identical decision repeated
    within two minutes has no other meaning (a changed date, team or person is a new assignment;
    the same one later is new too, and harmless: enrolling is an upsert).
    """
    now = now or timezone.now()
    people = list(people)
    _ensure_may_assign(actor, audience=audience, team=team, people=people)
    _check_target(actor=actor, program=program, course=course)
    if audience == AssignmentAudience.PEOPLE and not people:
        raise ValidationError("Choose at least one person.")
    if (due_on is None) == (due_days is None):
        raise ValidationError("Give a due date or a number of days.")
    with transaction.atomic():
        Membership.objects.select_for_update().filter(pk=actor.pk).values_list("pk").first()
        same = _same_assignment_just_made(
            actor=actor, program=program, course=course, audience=audience, team=team, people=people,
            due_on=due_on, due_days=due_days, due_from="" if due_on is not None else due_from, now=now,
        )  # fmt: skip
        if same is not None:
            job = ImportJob.objects.filter(
                organization_id=actor.organization_id, kind=ImportJobKind.ASSIGNMENT, payload__assignment_id=same.pk
            ).first()
            return AssignOutcome(assignment=same, enrolled=0, job=job, repeated=True)
        assignment = Assignment.objects.create(
            organization_id=actor.organization_id,
            program=program,
            course=course,
            audience=audience,
            team=team if audience == AssignmentAudience.TEAM else None,
            due_on=due_on,
            due_days=due_days,
            due_from="" if due_on is not None else due_from,
            created_by=actor,
            created_at=now,
        )
        if audience == AssignmentAudience.PEOPLE:
            AssignmentPerson.objects.bulk_create(
                [AssignmentPerson(assignment=assignment, membership=person) for person in people],
                ignore_conflicts=True,
            )
        reached = _reached(assignment_id=assignment.pk, skip_open=False)
        if len(reached) <= ASSIGN_IN_BACKGROUND_OVER:
            enrolled = _enroll(reached=reached, assignments={assignment.pk: assignment}, now=now)
            _complete_finished(_enrolled_in(assignment, reached), now=now)
            return AssignOutcome(assignment=assignment, enrolled=enrolled)
        job = ImportJob.objects.create(
            organization_id=actor.organization_id,
            created_by=actor,
            kind=ImportJobKind.ASSIGNMENT,
            total=len(reached),
            payload={
                "assignment_id": assignment.pk,
                "membership_ids": [pair.membership_id for pair in reached],
                # Where the job's page links once done (organizations does not know enrollments' URLs).
                "return_url": reverse("enrollments:assignment_detail", args=[assignment.pk]),
            },
        )
        from enrollments.tasks import assignment_job_run

        transaction.on_commit(lambda: assignment_job_run.delay(job.pk))
        return AssignOutcome(assignment=assignment, enrolled=0, job=job)


def _same_assignment_just_made(
    *,
    actor: Membership,
    program: Program | None,
    course: Course | None,
    audience: str,
    team: Team | None,
    people: Sequence[Membership],
    due_on: date | None,
    due_days: int | None,
    due_from: str,
    now: datetime,
) -> Assignment | None:
    """The live assignment identical to this one that `actor` made within `REPEAT_WINDOW`, if any."""
    candidates = Assignment.objects.live().filter(
        organization_id=actor.organization_id,
        created_by=actor,
        created_at__gte=now - REPEAT_WINDOW,
        program=program,
        course=course,
        audience=audience,
        team=team if audience == AssignmentAudience.TEAM else None,
        due_on=due_on,
        due_days=due_days,
        due_from=due_from,
    )
    wanted = sorted({person.pk for person in people}) if audience == AssignmentAudience.PEOPLE else []
    for candidate in candidates.order_by("-created_at", "-id")[:5]:
        if audience != AssignmentAudience.PEOPLE:
            return candidate
        chosen = sorted(AssignmentPerson.objects.filter(assignment=candidate).values_list("membership_id", flat=True))
        if chosen == wanted:
            return candidate
    return None


def assignment_job_run(*, job: ImportJob) -> None:
    """Enroll a large assignment's audience in batches, each committed with the job's progress.

    Safe to run again (a retried or duplicated task): each batch starts from the job's committed
    `done`, and enrolling is an upsert. A cancelled assignment stops the job where it is.
    """
    if job.is_finished:
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.PENDING).update(status=ImportJobStatus.RUNNING)
    assignment = Assignment.objects.filter(
        pk=job.payload.get("assignment_id"), organization_id=job.organization_id
    ).first()
    if assignment is None or assignment.is_cancelled:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED, errors=["The assignment was cancelled."], finished_at=timezone.now()
        )
        return

    def write(membership_ids: Sequence[int]) -> None:
        reached = _reached(assignment_id=assignment.pk, membership_ids=membership_ids, skip_open=False)
        now = timezone.now()
        _enroll(reached=reached, assignments={assignment.pk: assignment}, now=now)
        _complete_finished(_enrolled_in(assignment, reached), now=now)

    import_job_write_in_batches(job=job, items=job.payload["membership_ids"], batch_size=ENROLL_BATCH_SIZE, write=write)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.DONE, finished_at=timezone.now())


def _ensure_may_cancel(actor: Membership, assignment: Assignment) -> None:
    ensure_actor(actor, organization=assignment.organization_id, roles=(Role.ADMIN, Role.MANAGER))
    if actor.role == Role.ADMIN:
        return
    people = list(Membership.objects.filter(pk__in=assignment.chosen.values("membership_id")))
    _ensure_may_assign(actor, audience=assignment.audience, team=assignment.team, people=people)


def assignment_cancel(*, actor: Membership, assignment: Assignment, now: datetime | None = None) -> int:
    """Cancel an assignment; returns how many enrollments it cancelled.

    Stops the assignment for the people it enrolled who have not started any of its courses (their
    enrollments are cancelled, kept as records); whoever started keeps their enrollment, progress,
    attempts and certificates. People whom another live assignment also reaches are enrolled again
    by it at once (its due date). Cancelling twice does nothing more.
    """
    ensure_actor(actor, organization=assignment.organization_id)
    _ensure_may_cancel(actor, assignment)
    now = now or timezone.now()
    with transaction.atomic():
        if not Assignment.objects.filter(pk=assignment.pk, cancelled_at__isnull=True).update(cancelled_at=now):
            return 0
        assignment.cancelled_at = now
        target_courses = (
            Q(course_id=assignment.course_id)
            if assignment.course_id
            else Q(course_id__in=ProgramCourse.objects.filter(program_id=assignment.program_id).values("course_id"))
        )
        started = CourseProgress.objects.current().filter(target_courses, membership_id=OuterRef("membership_id"))
        cancelled = (
            Enrollment.objects.open().filter(assignment=assignment).filter(~Exists(started)).update(cancelled_at=now)
        )
        enrollments_reconcile(organization_id=assignment.organization_id, now=now)
    return cancelled


def enrollments_reconcile(*, organization_id: int | None = None, now: datetime | None = None) -> int:
    """Enroll everyone a live assignment reaches and who has no current enrollment of its target.

    The standing rules' engine: someone who joined a team or the organization after its assignment
    is enrolled here, by Celery beat within a minute, or at once after the assignment pages' own
    changes. Set-based (one query finds every gap, one upsert per batch fills it) and idempotent:
    run twice, or by two beats at once, it enrolls each person once. Returns enrollments written.
    """
    now = now or timezone.now()
    reached = _reached(organization_id=organization_id, skip_open=True)
    if not reached:
        return 0
    assignments = Assignment.objects.in_bulk({pair.assignment_id for pair in reached})
    with transaction.atomic():
        written = _enroll(reached=reached, assignments=assignments, now=now)
        # One query finds, among everyone just reached, the open enrollments with nothing left to do.
        _complete_finished(
            Enrollment.objects.filter(membership_id__in={pair.membership_id for pair in reached}), now=now
        )
    return written


# --- Completion events -----------------------------------------------------------------------------


def completion_events_claim(
    *, limit: int = 100, lease: timedelta = timedelta(minutes=5), now: datetime | None = None
) -> tuple[uuid.UUID, list[CompletionEvent]]:
    """Claim up to `limit` unprocessed completion events for one consumer; returns the claim token and rows.

    A conditional UPDATE (unprocessed, unclaimed or lease expired) writes the token and the lease,
    so two consumers never hold the same row (on SQLite too, where SKIP LOCKED does not exist);
    rows a dead consumer held are claimable again once their lease has run out.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    claimable = Q(processed_at__isnull=True) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    with transaction.atomic():
        candidates = CompletionEvent.objects.filter(claimable).order_by("occurred_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        CompletionEvent.objects.filter(claimable, pk__in=ids).update(claim_token=token, claimed_until=now + lease)
    return token, list(CompletionEvent.objects.filter(claim_token=token, processed_at__isnull=True))


def completion_events_processed(*, token: uuid.UUID, ids: Iterable[int], now: datetime | None = None) -> int:
    """Mark claimed events processed; only rows still held under `token` change (returns how many)."""
    now = now or timezone.now()
    return CompletionEvent.objects.filter(pk__in=list(ids), claim_token=token, processed_at__isnull=True).update(
        processed_at=now
    )
