"""Mail in tests: every email goes through the delivery ledger, so a test delivers before it reads."""

from __future__ import annotations

from datetime import datetime

from django.core import mail

from notifications.services import notifications_run


def deliver(now: datetime | None = None) -> list[mail.EmailMessage]:
    """Run the delivery pipeline in this process (what beat and a worker do) and return `mail.outbox`."""
    notifications_run(now=now)
    return mail.outbox
