"""`manage.py notifications_run [--now 2026-12-04T09:00]`: run the follow-up pipeline once, at a chosen time."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.services import notifications_run


class Command(BaseCommand):
    help = (
        "Run every planner, then claim and send what is due, in this process (what beat and the workers "
        "do every minute). --now moves the clock, so a demo can show tomorrow's reminders today."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now",
            help="An ISO date and time (2026-12-04T09:00, in UTC unless it names an offset); default: now.",
        )

    def handle(self, *args, now: str | None = None, **options) -> None:
        at = timezone.now()
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now: {error}. Write it like 2026-12-04T09:00.") from error
            if timezone.is_naive(at):
                at = at.replace(tzinfo=UTC)
        result = notifications_run(now=at)
        self.stdout.write(
            f"At {at.isoformat()}: {result.emails} emails sent carrying {result.sent} messages; "
            f"{result.skipped} skipped, {result.deferred} deferred to their sending window or the daily cap, "
            f"{result.retrying} to retry, {result.failed} failed."
        )
