"""Every write of the enrollments app with business meaning, one module per subject.

- `learning`: lessons, knowledge-check attempts, course completion and certificates (the learner acts).
- `assignments`: assignments, enrollments, standing rules, completion events (managers and the system act).
- `calendar`: a person's private calendar feed link.
- `recertification`: renewing completions of programs valid for a number of days (the system acts).

The public functions are re-exported here, so callers write `from enrollments import services`.
"""

from enrollments.services.assignments import (
    ASSIGN_IN_BACKGROUND_OVER,
    ENROLL_BATCH_SIZE,
    AssignOutcome,
    assignment_cancel,
    assignment_create,
    assignment_job_run,
    completion_events_claim,
    completion_events_processed,
    course_completion_recorded,
    due_for,
    enrollments_reconcile,
)
from enrollments.services.calendar import calendar_feed_create, calendar_feed_reset
from enrollments.services.learning import (
    AttemptNotFound,
    NoKnowledgeCheck,
    SubmitOutcome,
    attempt_snapshot,
    attempt_snapshot_shuffle,
    attempt_start,
    attempt_submit,
    lesson_complete,
    lesson_visit,
)
from enrollments.services.recertification import RECERTIFY_WITHIN_DAYS, enrollments_recertify

__all__ = [
    "ASSIGN_IN_BACKGROUND_OVER",
    "ENROLL_BATCH_SIZE",
    "RECERTIFY_WITHIN_DAYS",
    "AssignOutcome",
    "AttemptNotFound",
    "NoKnowledgeCheck",
    "SubmitOutcome",
    "assignment_cancel",
    "assignment_create",
    "assignment_job_run",
    "attempt_snapshot",
    "attempt_snapshot_shuffle",
    "attempt_start",
    "attempt_submit",
    "calendar_feed_create",
    "calendar_feed_reset",
    "completion_events_claim",
    "completion_events_processed",
    "course_completion_recorded",
    "due_for",
    "enrollments_recertify",
    "enrollments_reconcile",
    "lesson_complete",
    "lesson_visit",
]
