"""The follow-up engine's messages, as categories of the delivery ledger, and the planner that sends them.

Registered in `FollowupsConfig.ready()`. The planner runs every minute with the ledger's tick (and in
`manage.py notifications_run --now …`): it consumes completion events (planning follow-ups), then puts
an email in the ledger for each follow-up that became due, in the recipient's sending window.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from enrollments.reminders import window_for, zone_name
from followups import selectors, services
from followups.models import FollowUp, FollowUpStatus, StepKind
from notifications.categories import Category, register, register_planner
from notifications.models import Message
from notifications.services import Draft, SendingWindow, message_render, messages_enqueue
from organizations.models import Membership, Role

FOLLOWUP = "followup"
OBSERVATION_DUE = "observation-due"
COACHING = "coaching"
NOTIFY_BATCH = 1000
CONSUME_ROUNDS = 20  # completion events consumed per tick: 20 claims of 100


def _window(membership: Membership) -> SendingWindow:
    """The organization's sending window (the one reminders use), in the recipient's own time zone."""
    return window_for(membership.organization, zone_name(membership.user))


def observation_path(followup: FollowUp) -> str:
    """Where a manager fills in the checklist (the observation page), else the follow-up's own page."""
    try:
        return reverse("followups:observation", args=[followup.pk])
    except NoReverseMatch:
        return reverse("followups:detail", args=[followup.pk])


def _drafts_for(followup: FollowUp, *, now: datetime, managers: list[Membership]) -> list[Draft]:
    person = followup.membership
    program = followup.enrollment.program
    context = {
        "followup": followup, "person": person, "program": program, "site_url": settings.SITE_URL,
        "organization": person.organization,
    }
    common = {"tenant_id": person.organization_id, "object_id": followup.pk, "not_before": now}
    if followup.kind == StepKind.OBSERVATION:
        drafts = []
        for manager in managers:
            url = observation_path(followup)
            subject, text, html = message_render(
                "emails/followup-observation", {**context, "manager": manager, "link": settings.SITE_URL + url},
                time_zone=manager.user.time_zone,
            )
            drafts.append(
                Draft(
                    dedup_key=f"followup:{followup.pk}:manager:{manager.pk}", category=OBSERVATION_DUE,
                    to_email=manager.user.email, recipient_id=manager.user_id, subject=subject, body_text=text,
                    body_html=html, url=url, window=_window(manager), **common,
                )
            )
        return drafts
    if followup.kind == StepKind.REFRESHER:
        url = reverse("followups:refresher", args=[followup.pk])
        # The link's 7 days start when the ledger will send it: at the next opening of the person's window.
        sent_at = _window(person).next_open(now)
        link = settings.SITE_URL + reverse(
            "followups:refresher_by_token", args=[selectors.refresher_link_token(followup, now=sent_at)]
        )
    else:
        url = reverse("followups:detail", args=[followup.pk])
        link = settings.SITE_URL + url
    subject, text, html = message_render(
        f"emails/followup-{followup.kind}", {**context, "link": link}, time_zone=person.user.time_zone
    )
    return [
        Draft(
            dedup_key=f"followup:{followup.pk}", category=FOLLOWUP, to_email=person.user.email,
            recipient_id=person.user_id, subject=subject, body_text=text, body_html=html, url=url,
            window=_window(person), **common,
        )
    ]


def coaching_draft(followup: FollowUp, *, now: datetime) -> Draft:
    """The person's notice that their manager answered: a reply to their reflection, or an observation's feedback.

    One per follow-up and kind of answer (the dedup key): editing a reply later announces nothing more.
    """
    person = followup.membership
    url = reverse("followups:detail", args=[followup.pk])
    coach = followup.replied_by if followup.kind == StepKind.PRACTICE else followup.observer
    context = {
        "followup": followup, "person": person, "program": followup.enrollment.program, "coach": coach,
        "organization": person.organization, "link": settings.SITE_URL + url, "site_url": settings.SITE_URL,
    }
    subject, text, html = message_render("emails/followup-coaching", context, time_zone=person.user.time_zone)
    answer = "reply" if followup.kind == StepKind.PRACTICE else "feedback"
    return Draft(
        dedup_key=f"followup:{followup.pk}:{answer}", category=COACHING, to_email=person.user.email,
        recipient_id=person.user_id, subject=subject, body_text=text, body_html=html, url=url,
        window=_window(person), tenant_id=person.organization_id, object_id=followup.pk, not_before=now,
    )


def followups_notify_due(*, now: datetime | None = None) -> int:
    """Put an email in the ledger for each follow-up that became due; returns how many follow-ups.

    `notified_at` is written in the same transaction as the messages, so a follow-up is announced
    once (and the ledger's dedup keys are the second guard).
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "membership__user", "membership__organization", "membership__team", "enrollment__program", "standard"
            )
            .filter(status=FollowUpStatus.PENDING, notified_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "pk")[:NOTIFY_BATCH]
        )
        if not due:
            return 0
        managers = _managers_of([f.membership for f in due if f.kind == StepKind.OBSERVATION])
        drafts = [
            draft
            for followup in due
            for draft in _drafts_for(followup, now=now, managers=managers.get(followup.membership_id, []))
        ]
        messages_enqueue(drafts=drafts, now=now)
        FollowUp.objects.filter(pk__in=[followup.pk for followup in due]).update(notified_at=now)
        # A message step asks nothing of the person: announcing it is doing it (else it stays "to do").
        FollowUp.objects.filter(
            pk__in=[followup.pk for followup in due if followup.kind == StepKind.MESSAGE]
        ).update(status=FollowUpStatus.DONE, done_at=now)
        for membership_id in {followup.membership_id for followup in due if followup.kind == StepKind.MESSAGE}:
            transaction.on_commit(lambda membership_id=membership_id: selectors.up_next_forget(membership_id))
    return len(due)


def _managers_of(people: list[Membership]) -> dict[int, list[Membership]]:
    """Each person's team managers (active), or the organization's admins when the team has none.

    Never the person themselves: a manager or admin who completes a program is observed by someone else.
    """
    if not people:
        return {}
    team_ids = {person.team_id for person in people if person.team_id}
    by_team: dict[int, list[Membership]] = {}
    for manager in (
        Membership.objects.active().select_related("user").filter(managed_teams__in=team_ids).distinct()
        .prefetch_related("managed_teams")
    ):
        for team in manager.managed_teams.all():
            by_team.setdefault(team.pk, []).append(manager)
    organizations = {person.organization_id for person in people}
    admins: dict[int, list[Membership]] = {}
    for admin in Membership.objects.active().select_related("user").filter(
        organization_id__in=organizations, role=Role.ADMIN
    ):
        admins.setdefault(admin.organization_id, []).append(admin)
    observers = {}
    for person in people:
        managers = [m for m in by_team.get(person.team_id or 0, []) if m.pk != person.pk]
        observers[person.pk] = managers or [m for m in admins.get(person.organization_id, []) if m.pk != person.pk]
    return observers


def followups_still_relevant(messages: list[Message]) -> dict[int, str]:
    """Skip the email of a follow-up already done or cancelled, or of a person no longer active."""
    rows = FollowUp.objects.select_related("membership").in_bulk([message.object_id for message in messages])
    reasons = {}
    for message in messages:
        followup = rows.get(message.object_id)
        if followup is None:
            reasons[message.pk] = "The follow-up was deleted."
        elif followup.status == FollowUpStatus.DONE and followup.kind != StepKind.MESSAGE:
            reasons[message.pk] = "It was already done."
        elif followup.status == FollowUpStatus.CANCELLED:
            reasons[message.pk] = "The follow-up was cancelled."
        elif not followup.membership.is_active:
            reasons[message.pk] = "The person is no longer a member."
    return reasons


def coaching_still_relevant(messages: list[Message]) -> dict[int, str]:
    """A reply or feedback stays worth telling while the person is a member and the follow-up stands."""
    rows = FollowUp.objects.select_related("membership").in_bulk([message.object_id for message in messages])
    reasons = {}
    for message in messages:
        followup = rows.get(message.object_id)
        if followup is None or followup.status == FollowUpStatus.CANCELLED:
            reasons[message.pk] = "The follow-up was cancelled."
        elif not followup.membership.is_active:
            reasons[message.pk] = "The person is no longer a member."
    return reasons


def followups_tick(now: datetime) -> None:
    """The planner: consume completions (plan follow-ups), then announce what became due."""
    try:
        for _ in range(CONSUME_ROUNDS):
            if not services.followups_consume_completions(now=now):
                break
    finally:  # what is due is announced even when planning failed this tick
        followups_notify_due(now=now)


def register_categories() -> None:
    register(
        Category(
            name=FOLLOWUP, label="Refreshers and practice",
            description="Short refreshers after a program, things to try at work, and notes from your organization.",
            optional=True, in_app=True, still_relevant=followups_still_relevant,
        )
    )
    register(
        Category(
            name=OBSERVATION_DUE, label="Observations to do",
            description="When one of your people is due for an observation against the standards.",
            optional=True, in_app=True, still_relevant=followups_still_relevant,
        )
    )
    register(
        Category(
            name=COACHING, label="Replies and feedback from your manager",
            description="When your manager replies to how your practice went, or records what they saw.",
            optional=True, in_app=True, still_relevant=coaching_still_relevant,
        )
    )
    register_planner("followups", followups_tick)
