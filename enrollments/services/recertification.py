"""Recertification: a program valid for N days is taken again before its completion expires.

How it holds
------------
- Completing an enrollment of a program with `valid_for_days` stores when the completion expires
  (`Enrollment.expires_at`, the end of the local day N days later, written by the same conditional
  UPDATE that completes it) and gives the certificates it rests on a `valid_until` on that date
  (`enrollments.services.assignments._complete_finished`).
- `enrollments_recertify`, run by Celery beat every hour, finds in one query every completed
  enrollment of an active person expiring within `RECERTIFY_WITHIN_DAYS` days that has no renewal,
  and inserts the renewals in one statement: a new open enrollment of the same program, due on the
  expiry date in the person's own time zone, pointing at its predecessor (`renews`).
- **Idempotent, also when two run at once**: `renews` is one-to-one, and the insert is `ON CONFLICT
  DO NOTHING`, so a second run (or a concurrent one that read the same candidates before the first
  committed) inserts nothing; the open-enrollment constraint is a second guard. Only the run that
  inserted a renewal archives the person's progress, from the ids its insert returned.
- **History**: the completed enrollment stays as it is. The person's completed progress in the
  program's courses is archived (`CourseProgress.archived_at`) with its lesson completions,
  attempts and certificates, which stay readable; the next visit starts a new progress row, so the
  person retakes the courses, and the retaken course issues a new certificate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from enrollments.models import CourseProgress, Enrollment
from enrollments.services.assignments import END_OF_DAY, _zone

# Renewals are created this many days before a completion expires: the person's time to retake it.
RECERTIFY_WITHIN_DAYS = 30


def _expiring_without_renewal(*, now: datetime, within_days: int) -> list[tuple]:
    """(enrollment, membership, program, expires_at, time zone) of every completion to renew."""
    return list(
        Enrollment.objects.current()
        .filter(
            completed_at__isnull=False,
            expires_at__isnull=False,
            expires_at__lte=now + timedelta(days=within_days),
            program__isnull=False,
            renewal__isnull=True,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .order_by("pk")
        .values_list("pk", "membership_id", "program_id", "expires_at", "membership__user__time_zone")
    )


def _insert_renewals(rows: list[tuple]) -> list[int]:
    """INSERT the renewals in one statement, ON CONFLICT DO NOTHING; returns the ids actually inserted.

    No conflict target: any unique violation (a renewal of that enrollment already exists, from
    this run's competitor; or the person already has an open enrollment of the program) skips the row.
    """
    if not rows:
        return []
    table = connection.ops.quote_name(Enrollment._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (membership_id, program_id, enrolled_at, due_on, due_at, renews_id) "  # noqa: S608
        f"VALUES {values} ON CONFLICT DO NOTHING RETURNING id"
    )
    params = [
        value if not isinstance(value, datetime) else connection.ops.adapt_datetimefield_value(value)
        for row in rows
        for value in row
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def enrollments_recertify(*, now: datetime | None = None, within_days: int = RECERTIFY_WITHIN_DAYS) -> int:
    """Create the next enrollment of every completion expiring within `within_days`; returns how many.

    Set-based: one query finds the completions (active people, no renewal yet), one INSERT makes
    the renewals (due on the expiry date in the person's zone, `renews` = the completion; no
    assignment: the program's validity makes them, and cancelling an assignment keeps the records
    of whoever completed it), one
    UPDATE archives the completed progress of the renewed programs' courses so the person takes
    them again. Idempotent, even run concurrently (see the module docstring).
    """
    now = now or timezone.now()
    candidates = _expiring_without_renewal(now=now, within_days=within_days)
    rows = []
    for pk, membership_id, program_id, expires_at, time_zone in candidates:
        zone = _zone(time_zone)
        due_on = expires_at.astimezone(zone).date()
        due_at = datetime.combine(due_on, END_OF_DAY, tzinfo=zone).astimezone(UTC)
        rows.append((membership_id, program_id, now, due_on, due_at, pk))
    with transaction.atomic():
        inserted = _insert_renewals(rows)
        if inserted:
            renewed_course = Enrollment.objects.filter(
                pk__in=inserted,
                membership_id=OuterRef("membership_id"),
                program__program_courses__course_id=OuterRef("course_id"),
            )
            CourseProgress.objects.current().filter(completed_at__isnull=False).filter(Exists(renewed_course)).update(
                archived_at=now
            )
    return len(inserted)
