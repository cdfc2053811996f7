"""Celery tasks of the delivery ledger: thin wrappers around `notifications.services`.

No task schedules anything ahead (no `eta`/`countdown`): what is due later waits in PostgreSQL, and
a redelivered or repeated task finds its rows already recorded and does nothing twice.
"""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def notifications_tick() -> int:
    """Every minute (beat): run the registered planners, sweep lost leases, claim what is due, enqueue batches."""
    from django.utils import timezone

    from notifications import categories, services

    now = timezone.now()
    for name, planner in categories.planners():
        try:
            planner(now)
        except Exception:  # one planner's bug must not stop delivery of everything else
            logger.exception("notifications: planner %s failed", name)
    return services.notifications_dispatch(now=now).count


@shared_task
def notifications_send_batch(token: str, ids: list[int]) -> int:
    """Send one claimed batch (ids under one claim token); returns how many messages were recorded as sent."""
    from notifications import services

    return services.messages_send_batch(token=token, ids=ids).sent


@shared_task
def notifications_send_now(dedup_keys: list[str]) -> int:
    """Send transactional messages (invitations, sign-in mail) without waiting for the next tick."""
    from notifications import services

    return services.messages_send_now(dedup_keys=dedup_keys).sent
