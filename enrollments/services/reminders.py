"""The reminder planner: which assignment mail is due by a given time, set-based and idempotent.

Run every minute by beat (`notifications.tasks.notifications_tick`) and by `manage.py
notifications_run --now …`. Each run reads every open enrollment that could be in a stage now, in
one query, works out each one's stage with the due rule every page uses (`enrollments.models.
due_state`, in the person's own time zone, with the organization's lead time), asks the ledger which
of those messages it already has (`dedup_keys_existing`) and renders and enqueues only the others.
A dedup key names the enrollment, the stage and the due date: planning again plans nothing, and a
changed due date plans the new date's messages (the old ones are skipped at send time).

Stages and when they start (each message's `not_before`, which the ledger then moves into the
recipient's sending window):

- due soon: the start of the local day N days before the due date (N = `reminder_lead_days`);
- due today: the start of the due date, locally;
- overdue: the end of the due date (`due_at`);
- escalation to the person's team managers: `due_at` + M days (`escalate_after_days`);
- skip level, to the managers of the team each of those managers belongs to: `due_at` + K days.

Only a stage that is current is planned: a due-soon reminder that the window could only deliver on
the due date is left to the due-today one, and an overdue stage is planned for `STAGE_GRACE` after
it starts, so a beat that was down for days loses nothing while switching reminders on does not mail
anyone about last year's assignments. Weekly digests are planned on Monday, in each manager's zone.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from enrollments import reminders
from enrollments.models import DueState, Enrollment, due_state
from notifications.services import Draft, dedup_keys_existing, messages_enqueue
from organizations.models import Membership, Organization, Team

# How long after a stage starts it is still planned (a beat down for less than this loses nothing).
STAGE_GRACE = timedelta(days=7)
# An enrollment made by an assignment within this time gets its "you were assigned" notice.
NEW_ASSIGNMENT_GRACE = timedelta(days=2)
DIGEST_OVERDUE_NAMES = 5
# Drafts rendered per run (about 0.75 ms each: a run stays within a few seconds), stored a thousand at a time.
PLAN_LIMIT = 5_000
ENQUEUE_CHUNK = 1_000

TeamManagers = Team.managers.through


@dataclass
class _Plan:
    """Messages this run may plan: each dedup key with the function that renders its draft."""

    builders: dict[str, Callable[[], Draft]]

    def add(self, key: str, build: Callable[[], Draft]) -> None:
        self.builders.setdefault(key, build)


def reminders_plan(*, now: datetime | None = None) -> int:
    """Plan every reminder, escalation, new-assignment notice and weekly digest due by `now`.

    Returns how many messages were new. Query count does not grow with the data: the organizations'
    bounds, the candidate enrollments, the team managers (two, only when someone reached an
    escalation stage), the managers for the digest (only on a Monday somewhere), the existing keys,
    the digests' figures (only for digests to render), then the inserts (one per thousand drafts).
    At most `PLAN_LIMIT` drafts are rendered per run; the next run plans the rest.
    """
    now = now or timezone.now()
    bounds = Organization.objects.aggregate(lead=Max("reminder_lead_days"), skip=Max("skip_level_after_days"))
    if bounds["lead"] is None:
        return 0
    plan = _Plan(builders={})
    candidates = _candidates(now=now, lead_days=bounds["lead"], skip_days=bounds["skip"])
    escalating: list[tuple[Enrollment, str, datetime]] = []
    for enrollment in candidates:
        _plan_for_person(plan, enrollment, now=now)
        escalating.extend(_escalation_stages(enrollment, now=now))
    if escalating:
        _plan_escalations(plan, escalating, now=now)
    digest_managers = _digest_managers(now) if _monday_somewhere(now) else []
    digests: dict[str, tuple[Membership, date]] = {}
    for manager in digest_managers:
        local = now.astimezone(_zone(manager))
        if local.isoweekday() == 1:
            digests[reminders.digest_key(manager.pk, local.date())] = (manager, local.date())

    existing = dedup_keys_existing([*plan.builders, *digests])
    # At most PLAN_LIMIT rendered per run, earliest due first (the candidates' order): the rest are
    # planned by the next run, a minute later, so a 50,000-person assignment never outlasts the tick.
    missing = [build for key, build in plan.builders.items() if key not in existing][:PLAN_LIMIT]
    new, drafts = 0, []
    for build in missing:
        drafts.append(build())
        if len(drafts) == ENQUEUE_CHUNK:  # stored as soon as rendered: a run cut short keeps its work
            new += messages_enqueue(drafts=drafts, now=now)
            drafts = []
    to_render = [value for key, value in digests.items() if key not in existing][: PLAN_LIMIT - len(missing)]
    if to_render:
        drafts.extend(_digest_drafts(to_render, now=now))
    return new + (messages_enqueue(drafts=drafts, now=now) if drafts else 0)


# --- The people's own reminders and new-assignment notices ----------------------------------------


def _candidates(*, now: datetime, lead_days: int, skip_days: int) -> list[Enrollment]:
    """Open enrollments of active people that may be in a stage now, one query.

    Due within the largest lead time (plus a day for time zones) or overdue for less than the latest
    skip level plus the grace; or enrolled by an assignment in the last two days. The exact stage is
    then computed per person, in their zone, with their organization's settings.
    """
    due_window = Q(
        due_at__lt=now + timedelta(days=lead_days + 2),
        due_at__gt=now - timedelta(days=skip_days) - STAGE_GRACE,
    )
    just_assigned = Q(
        assignment__isnull=False, renews__isnull=True, enrolled_at__lte=now, enrolled_at__gt=now - NEW_ASSIGNMENT_GRACE
    )
    return list(
        Enrollment.objects.open()
        .filter(due_window | just_assigned)
        .filter(due_at__isnull=False, due_on__isnull=False)
        .filter(membership__is_active=True, membership__user__is_active=True)
        .filter(Q(assignment__isnull=True) | Q(assignment__cancelled_at__isnull=True))
        .select_related(
            "membership__user", "membership__organization", "membership__team", "program", "course",
            "assignment__created_by__user",
        )
        .order_by("due_at", "id")
    )


def _zone(membership: Membership) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(reminders.zone_name(membership.user))


def _plan_for_person(plan: _Plan, enrollment: Enrollment, *, now: datetime) -> None:
    membership = enrollment.membership
    organization = membership.organization
    zone_name = reminders.zone_name(membership.user)

    if (
        enrollment.assignment_id is not None
        and enrollment.renews_id is None
        and now - NEW_ASSIGNMENT_GRACE < enrollment.enrolled_at <= now
    ):
        plan.add(
            reminders.new_assignment_key(enrollment.pk, enrollment.due_on),
            lambda: reminders.new_assignment_draft(enrollment=enrollment),
        )

    state = due_state(
        due_on=enrollment.due_on, due_at=enrollment.due_at, completed_at=None, now=now, time_zone=zone_name,
        soon_days=organization.reminder_lead_days,
    )
    if state == DueState.DUE_SOON:
        stage = reminders.DUE_SOON
        start = reminders.local_midnight(enrollment.due_on - timedelta(days=organization.reminder_lead_days), zone_name)
        ends = reminders.local_midnight(enrollment.due_on, zone_name)
    elif state == DueState.DUE_TODAY:
        stage, ends = reminders.DUE_TODAY, enrollment.due_at
        start = reminders.local_midnight(enrollment.due_on, zone_name)
    elif state == DueState.OVERDUE:
        stage, start = reminders.OVERDUE, enrollment.due_at
        ends = enrollment.due_at + STAGE_GRACE
    else:
        return
    start = max(start, enrollment.enrolled_at)
    arrives = reminders.window_for(organization, zone_name).next_open(max(start, now))
    # Planned only if it can still arrive while true: "due tomorrow" must not land on the due date.
    if now >= ends or (stage != reminders.OVERDUE and arrives >= ends):
        return
    plan.add(
        reminders.reminder_key(stage, enrollment.pk, enrollment.due_on),
        lambda: reminders.reminder_draft(enrollment=enrollment, stage=stage, not_before=start),
    )


# --- Escalations ----------------------------------------------------------------------------------


def _escalation_stages(enrollment: Enrollment, *, now: datetime) -> list[tuple[Enrollment, str, datetime]]:
    """The escalation stages current for an overdue enrollment: (enrollment, stage, start)."""
    if enrollment.membership.team_id is None or now <= enrollment.due_at:
        return []
    organization = enrollment.membership.organization
    stages = []
    for stage, days in (
        (reminders.MANAGER, organization.escalate_after_days),
        (reminders.SKIP_LEVEL, organization.skip_level_after_days),
    ):
        start = enrollment.due_at + timedelta(days=days)
        if start <= now < start + STAGE_GRACE:
            stages.append((enrollment, stage, start))
    return stages


def _managers_of(team_ids: Iterable[int]) -> dict[int, list[Membership]]:
    """Active managers of each team, with their users: one query."""
    managers: dict[int, list[Membership]] = defaultdict(list)
    rows = (
        TeamManagers.objects.filter(
            team_id__in=set(team_ids), membership__is_active=True, membership__user__is_active=True
        )
        .select_related("membership__user")
        .order_by("team_id", "membership__user__name", "membership_id")
    )
    for row in rows:
        managers[row.team_id].append(row.membership)
    return managers


def _plan_escalations(plan: _Plan, escalating: list[tuple[Enrollment, str, datetime]], *, now: datetime) -> None:
    """Escalations to each person's team managers, and skip level to those managers' own team managers.

    A person without a team, or in a team without managers, escalates to nobody (admins see them on
    the dashboard). Skip level never goes to the person or to the managers already told.
    """
    direct = _managers_of(enrollment.membership.team_id for enrollment, _, _ in escalating)
    upper: dict[int, list[Membership]] = {}
    if any(stage == reminders.SKIP_LEVEL for _, stage, _ in escalating):
        upper = _managers_of(
            manager.team_id for managers in direct.values() for manager in managers if manager.team_id
        )
    for enrollment, stage, start in escalating:
        person = enrollment.membership
        managers = [m for m in direct.get(person.team_id, []) if m.pk != person.pk]
        if stage == reminders.MANAGER:
            recipients = managers
        else:
            told = {m.pk for m in managers} | {person.pk}
            recipients = list(
                {m.pk: m for manager in managers for m in upper.get(manager.team_id, []) if m.pk not in told}.values()
            )
        for recipient in recipients:
            # Days overdue as they will read it: on the day it reaches them, in the person's calendar.
            window = reminders.window_for(person.organization, reminders.zone_name(recipient.user))
            arrival_day = window.next_open(max(start, now)).astimezone(_zone(person)).date()
            plan.add(
                reminders.escalation_key(stage, enrollment.pk, enrollment.due_on, recipient.pk),
                lambda e=enrollment, s=stage, r=recipient, m=managers, st=start, d=arrival_day: (
                    reminders.escalation_draft(enrollment=e, stage=s, recipient=r, managers=m, not_before=st, on_day=d)
                ),
            )


# --- Weekly digest ----------------------------------------------------------------------------------


def _monday_somewhere(now: datetime) -> bool:
    """Whether it is Monday in some time zone (UTC-12 to UTC+14): otherwise no digest is due anywhere."""
    return 1 in {(now + timedelta(hours=hours)).isoweekday() for hours in (-12, 0, 14)}


def _digest_managers(now: datetime) -> list[Membership]:
    """Active members who manage at least one team, with their user and organization: one query."""
    return list(
        Membership.objects.filter(
            is_active=True, user__is_active=True, pk__in=TeamManagers.objects.values("membership_id")
        )
        .select_related("user", "organization")
        .order_by("id")
    )


def _digest_drafts(managers: list[tuple[Membership, date]], *, now: datetime) -> list[Draft]:
    """Each manager's teams at a glance: three queries for every digest of the run.

    Overdue is `due_at` passed (the due rule's own test); due this week, within seven days; completed
    this week, in the last seven days.
    """
    links = list(
        TeamManagers.objects.filter(membership_id__in=[m.pk for m, _ in managers])
        .select_related("team")
        .order_by("team__name", "team_id")
    )
    team_ids = {link.team_id for link in links}
    week_ago, week_ahead = now - timedelta(days=7), now + timedelta(days=7)
    open_ = Q(enrollments__cancelled_at__isnull=True, enrollments__completed_at__isnull=True)
    figures = {
        row["team_id"]: row
        for row in Membership.objects.filter(team_id__in=team_ids, is_active=True, user__is_active=True)
        .values("team_id")
        .annotate(
            people=Count("id", distinct=True),
            overdue=Count("enrollments", filter=open_ & Q(enrollments__due_at__lt=now)),
            due_this_week=Count(
                "enrollments", filter=open_ & Q(enrollments__due_at__gte=now, enrollments__due_at__lt=week_ahead)
            ),
            completed_this_week=Count(
                "enrollments",
                filter=Q(enrollments__cancelled_at__isnull=True, enrollments__completed_at__gte=week_ago),
            ),
        )
        .order_by()
    }
    overdue_names: dict[int, list[str]] = defaultdict(list)
    overdue = (
        Enrollment.objects.open()
        .filter(
            membership__team_id__in=team_ids, membership__is_active=True, membership__user__is_active=True,
            due_at__lt=now,
        )
        .values_list("membership__team_id", "membership__user__name", "membership__user__email")
        .order_by("due_at", "id")
    )
    for team_id, name, email in overdue:
        names = overdue_names[team_id]
        if len(names) < DIGEST_OVERDUE_NAMES and (name or email) not in names:
            names.append(name or email)
    teams_of: dict[int, list[reminders.TeamWeek]] = defaultdict(list)
    for link in links:
        row = figures.get(link.team_id, {})
        teams_of[link.membership_id].append(
            reminders.TeamWeek(
                name=link.team.name,
                people=row.get("people", 0),
                overdue=row.get("overdue", 0),
                due_this_week=row.get("due_this_week", 0),
                completed_this_week=row.get("completed_this_week", 0),
                overdue_people=overdue_names.get(link.team_id, []),
            )
        )
    drafts = []
    for manager, monday in managers:
        zone_name = reminders.zone_name(manager.user)
        drafts.append(
            reminders.digest_draft(
                manager=manager,
                monday=monday,
                teams=teams_of.get(manager.pk, []),
                not_before=reminders.local_midnight(monday, zone_name),
            )
        )
    return drafts
