"""Reads scoped to the acting membership. Every object a view shows comes through a selector here.

Each selector takes the acting `membership=` and scopes with `.of_organization(...)`, so an id of
another organization's row is a 404 (`get_object_or_404` on the scoped queryset), never a 403.
List selectors preload everything their page renders: templates never trigger queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.shortcuts import get_object_or_404
from django.utils import timezone

from notifications import categories as notification_categories
from notifications.models import Message, MessageStatus
from organizations.models import (
    ImportJob,
    Invitation,
    Membership,
    Organization,
    OrganizationRevision,
    Role,
    ServiceStandard,
    ServiceStandardRevision,
    Team,
    User,
)
from organizations.services import ORGANIZATION_SETTINGS_FIELDS, STANDARD_TRACKED_FIELDS

# --- Organization -------------------------------------------------------------------------------


def organization_for_settings(*, membership: Membership) -> Organization:
    """A fresh copy of the member's organization to edit.

    Fresh, so that a form that fails validation never alters `request.membership.organization`,
    which the page's navigation still renders.
    """
    return get_object_or_404(Organization, pk=membership.organization_id)


# --- Service standards --------------------------------------------------------------------------


def standards_for_home(*, membership: Membership) -> QuerySet[ServiceStandard]:
    """The active standards of the member's organization, in their display order."""
    return ServiceStandard.objects.of_organization(membership.organization_id).filter(is_active=True)


def standards_for_admin(*, membership: Membership) -> QuerySet[ServiceStandard]:
    """Every standard of the organization, active or not, in display order (one query)."""
    return ServiceStandard.objects.of_organization(membership.organization_id).order_by("order", "code", "pk")


def standard_get(*, membership: Membership, standard_id: int) -> ServiceStandard:
    """One standard of the member's organization; 404 for any other id."""
    return get_object_or_404(ServiceStandard.objects.of_organization(membership.organization_id), pk=standard_id)


@dataclass(frozen=True)
class ListItem:
    text: str
    changed: bool  # removed (in a "before" list) or added (in an "after" list)


@dataclass(frozen=True)
class FieldChange:
    """One field of one revision, ready to show: scalars as text, lists item by item."""

    name: str
    label: str
    before: str | None = None
    after: str | None = None
    is_list: bool = False
    before_items: list[ListItem] = field(default_factory=list)
    after_items: list[ListItem] = field(default_factory=list)


@dataclass(frozen=True)
class RevisionEntry:
    version: int
    edited_by: User | None
    edited_at: datetime
    changes: list[FieldChange]


def _display(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


_FIELD_LABELS = {"is_active": "Active", "time_zone": "Default time zone"}


def _field_label(model: type, name: str) -> str:
    if name in _FIELD_LABELS:
        return _FIELD_LABELS[name]
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field recorded by an older version of the model
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _field_change(model: type, name: str, before: Any, after: Any) -> FieldChange:
    label = _field_label(model, name)
    if isinstance(before, list) or isinstance(after, list):
        before_list = [str(item) for item in before or []]
        after_list = [str(item) for item in after or []]
        return FieldChange(
            name=name,
            label=label,
            is_list=True,
            before_items=[ListItem(item, item not in after_list) for item in before_list],
            after_items=[ListItem(item, item not in before_list) for item in after_list],
        )
    return FieldChange(name=name, label=label, before=_display(before), after=_display(after))


def _ordered_changes(
    changes: dict[str, list[Any]], *, model: type = ServiceStandard, fields: tuple[str, ...] = STANDARD_TRACKED_FIELDS
) -> list[FieldChange]:
    known = [name for name in fields if name in changes]
    others = sorted(name for name in changes if name not in fields)
    return [_field_change(model, name, *changes[name]) for name in known + others]


def standard_history(*, membership: Membership, standard: ServiceStandard) -> list[RevisionEntry]:
    """The revisions of a standard, newest first, each with who, when and before/after per field.

    `standard` must come from `standard_get`; the organization filter is repeated here so that this
    selector alone can never show another organization's history.
    """
    revisions = (
        ServiceStandardRevision.objects.filter(
            standard=standard, standard__organization_id=membership.organization_id
        )
        .select_related("edited_by")
        .order_by("-version")
    )
    return [
        RevisionEntry(
            version=revision.version,
            edited_by=revision.edited_by,
            edited_at=revision.edited_at,
            changes=_ordered_changes(revision.changes),
        )
        for revision in revisions
    ]


def organization_history(*, membership: Membership) -> list[RevisionEntry]:
    """The revisions of the member's organization's settings (vision, promise...), newest first.

    One query: revisions with their editors.
    """
    revisions = (
        OrganizationRevision.objects.of_organization(membership.organization_id)
        .select_related("edited_by")
        .order_by("-version")
    )
    return [
        RevisionEntry(
            version=revision.version,
            edited_by=revision.edited_by,
            edited_at=revision.edited_at,
            changes=_ordered_changes(revision.changes, model=Organization, fields=ORGANIZATION_SETTINGS_FIELDS),
        )
        for revision in revisions
    ]


# --- Teams --------------------------------------------------------------------------------------


def teams_for_admin(*, membership: Membership) -> QuerySet[Team]:
    """The organization's teams with their managers (and their users) and active member counts.

    Two queries whatever the number of teams: teams with their counts, then managers joined to users.
    """
    managers = Membership.objects.select_related("user").order_by("user__name", "user__email")
    return (
        Team.objects.of_organization(membership.organization_id)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(Prefetch("managers", queryset=managers))
        .order_by("name")
    )


def team_get(*, membership: Membership, team_id: int) -> Team:
    """One team of the member's organization, with its managers; 404 for any other id."""
    return get_object_or_404(
        Team.objects.of_organization(membership.organization_id).prefetch_related("managers"), pk=team_id
    )


def team_members(*, membership: Membership, team: Team) -> QuerySet[Membership]:
    """The people in `team` (active or not), with their users, by name.

    `team` must come from `team_get`; the organization filter is repeated so that this selector alone
    can never list another organization's people.
    """
    return (
        Membership.objects.of_organization(membership.organization_id)
        .filter(team=team)
        .select_related("user")
        .order_by("user__name", "user__email", "pk")
    )


def team_member_choices(*, membership: Membership, team: Team) -> QuerySet[Membership]:
    """Who may be added to `team`: the organization's active members not already in it, with their current team."""
    return (
        Membership.objects.of_organization(membership.organization_id)
        .active()
        .exclude(team=team)
        .select_related("user", "team")
        .order_by("user__name", "user__email", "pk")
    )


def team_choices(*, membership: Membership) -> QuerySet[Team]:
    """The teams a member may be placed in: only the acting organization's."""
    return Team.objects.of_organization(membership.organization_id).order_by("name")


def team_manager_choices(*, membership: Membership) -> QuerySet[Membership]:
    """Who may manage a team: the organization's active managers and admins (with their users)."""
    return (
        Membership.objects.of_organization(membership.organization_id)
        .active()
        .filter(role__in=[Role.MANAGER, Role.ADMIN])
        .select_related("user")
        .order_by("user__name", "user__email")
    )


# --- People -------------------------------------------------------------------------------------


def members_visible_to(*, membership: Membership) -> QuerySet[Membership]:
    """The memberships the acting member may list.

    Admins: everyone in the organization, active or not, with the teams each one manages.
    Managers: the active members of the teams they manage (read-only). Anyone else: nobody.
    """
    members = (
        Membership.objects.of_organization(membership.organization_id)
        .select_related("user", "team")
        .order_by("user__name", "user__email", "pk")
    )
    if membership.role == Role.ADMIN:
        return members.prefetch_related(Prefetch("managed_teams", queryset=Team.objects.order_by("name")))
    if membership.role == Role.MANAGER:
        return members.filter(is_active=True, team__managers=membership)
    return members.none()


def membership_get(*, membership: Membership, membership_id: int) -> Membership:
    """One membership of the acting organization, with its user and team; 404 for any other id."""
    return get_object_or_404(
        Membership.objects.of_organization(membership.organization_id).select_related("user", "team"),
        pk=membership_id,
    )


# --- Organization switcher ----------------------------------------------------------------------


def memberships_for_switcher(*, user: User) -> QuerySet[Membership]:
    """The person's active memberships, with their organizations, by organization name.

    Crosses organizations on purpose: it is the one list of where this person may act.
    """
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )


def membership_for_switch(*, user: User, organization_id: int) -> Membership:
    """The person's active membership in the organization; 404 if they are not an active member."""
    return get_object_or_404(
        Membership.objects.active().filter(user=user).select_related("organization"),
        organization_id=organization_id,
    )


# --- Invitations --------------------------------------------------------------------------------

INVITATION_STATUSES: tuple[str, ...] = ("pending", "accepted", "expired", "revoked")


def _invitation_status_q(status: str, now) -> Q:
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        "pending": open_ & Q(expires_at__gt=now),
        "expired": open_ & Q(expires_at__lte=now),
        "accepted": Q(accepted_at__isnull=False),
        "revoked": Q(accepted_at__isnull=True, revoked_at__isnull=False),
    }[status]


def _invitations_manageable_by(membership: Membership) -> QuerySet[Invitation]:
    """Admins manage every invitation of the organization; managers those of employees to their teams."""
    invitations = Invitation.objects.of_organization(membership.organization_id)
    if membership.role == Role.ADMIN:
        return invitations
    if membership.role == Role.MANAGER:
        return invitations.filter(role=Role.EMPLOYEE, team__managers=membership)
    return invitations.none()


def invitations_visible_to(*, membership: Membership, status: str | None = None, now=None) -> QuerySet[Invitation]:
    """The invitations the member may manage, newest first, with team, inviter and invitee preloaded.

    `status` (pending, accepted, expired, revoked) filters in the database, so the page stays one
    query for the rows however many there are.
    """
    invitations = _invitations_manageable_by(membership).select_related("team", "invited_by", "accepted_by")
    if status in INVITATION_STATUSES:
        invitations = invitations.filter(_invitation_status_q(status, now or timezone.now()))
    return invitations.order_by("-created_at", "-pk")


def invitation_status_counts(*, membership: Membership, now=None) -> dict[str, int]:
    """How many invitations the member may manage are in each status (one query)."""
    now = now or timezone.now()
    counts = _invitations_manageable_by(membership).aggregate(
        **{status: Count("pk", filter=_invitation_status_q(status, now)) for status in INVITATION_STATUSES}
    )
    return {status: counts[status] or 0 for status in INVITATION_STATUSES}


def invitation_get(*, membership: Membership, invitation_id: int) -> Invitation:
    """One invitation the member may manage; 404 for another organization's or another team's."""
    return get_object_or_404(
        _invitations_manageable_by(membership).select_related("organization", "team"), pk=invitation_id
    )


def invitation_team_choices(*, membership: Membership) -> QuerySet[Team]:
    """The teams the member may invite into: every team for admins, the teams they manage for managers."""
    teams = Team.objects.of_organization(membership.organization_id).order_by("name")
    if membership.role == Role.ADMIN:
        return teams
    if membership.role == Role.MANAGER:
        return teams.filter(managers=membership)
    return teams.none()


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation a link points to, whatever its status, with its organization and team.

    Public by design: the token is the invitee's credential (see tests/test_tenancy.py).
    """
    if not token:
        return None
    return Invitation.objects.select_related("organization", "team").filter(token=token).first()


def account_for_email(*, email: str) -> User | None:
    """The person who signs in with this address, if any (the recipient of an account email)."""
    return User.objects.filter(email__iexact=email.strip()).first()


def organization_to_name(*, user: User, acting: Membership | None = None) -> Organization | None:
    """The organization an email to this person names: the one they act in, else their oldest.

    `acting` is the membership of the request that triggered the email; it wins when it is the
    person's own. None for a person without an active membership.
    """
    if acting is not None and acting.user_id == user.pk:
        return acting.organization
    membership = (
        Membership.objects.active().filter(user=user).select_related("organization").order_by("joined_at", "id").first()
    )
    return membership.organization if membership is not None else None


def import_job_get(*, membership: Membership, job_id: int) -> ImportJob:
    """An import job of the member's organization that they started (admins see every one); 404 otherwise.

    The imported text (`payload`, up to 1 MiB) is not loaded: the page polls this every second or two.
    """
    jobs = (
        ImportJob.objects.of_organization(membership.organization_id)
        .defer("payload")
        .annotate(course_id=KT("payload__course_id"), return_url=KT("payload__return_url"))
    )
    if not membership.is_admin:
        jobs = jobs.filter(created_by=membership)
    return get_object_or_404(jobs, pk=job_id)


# --- Delivery log (the notifications ledger, scoped to the organization) --------------------------


def delivery_log(
    *, membership: Membership, person: str = "", category: str = "", status: str = ""
) -> QuerySet[Message]:
    """The organization's messages, newest first, with their recipients: what was sent, skipped or failed, why.

    Scoped by the ledger's `tenant_id` (the organization's id, which the ledger keeps as an opaque
    number). `person` matches the recipient's name or email, or the address the message went to.
    The bodies are not loaded: the log shows subjects.
    """
    rows = (
        Message.objects.of_tenant(membership.organization_id)
        .select_related("recipient")
        .defer("body_text", "body_html")
        .order_by("-created_at", "-id")
    )
    if person:
        rows = rows.filter(
            Q(to_email__icontains=person) | Q(recipient__name__icontains=person) | Q(recipient__email__icontains=person)
        )
    if category:
        rows = rows.filter(category=category)
    if status:
        rows = rows.filter(status=status)
    return rows


def with_delivery_labels(messages: list[Message]) -> list[Message]:
    """Set `category_label` (from the registry) and `reason` (why it was skipped, failed or is retried)."""
    labels = {category.name: category.label for category in notification_categories.all_categories()}
    for message in messages:
        message.category_label = labels.get(message.category, message.category)
        if message.status == MessageStatus.SKIPPED:
            message.reason = message.skip_reason
        elif message.status in (MessageStatus.FAILED, MessageStatus.PENDING):
            message.reason = message.error  # a pending message with an error is waiting to retry
        else:
            message.reason = ""
    return messages
