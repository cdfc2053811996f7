"""Writes with business meaning for organizations, people, standards and invitations."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import time as dt_time
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from notifications.services import messages_enqueue
from organizations import tasks
from organizations.emails import invitation_draft
from organizations.integrity import violated_constraint
from organizations.models import (
    INVITATION_VALIDITY,
    ImportJob,
    ImportJobKind,
    ImportJobStatus,
    Invitation,
    Membership,
    Organization,
    OrganizationRevision,
    Role,
    ServiceStandard,
    ServiceStandardRevision,
    Team,
    User,
    new_invitation_token,
    reminder_settings_errors,
    validate_time_zone,
)
from organizations.permissions import NotPermitted, ensure_actor

STALE_INVITATION_AGE = timedelta(days=90)


def invitations_purge_stale(*, now=None) -> int:
    """Delete never-accepted invitations that expired more than 90 days ago; returns how many.

    Accepted invitations are kept: they record who invited whom.
    """
    now = now or timezone.now()
    deleted, _ = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=now - STALE_INVITATION_AGE
    ).delete()
    return deleted


# --- Organization settings, service standards, teams and memberships ---------------------------

# The fields of a standard whose edits are versioned (the history page shows them in this order).
STANDARD_TRACKED_FIELDS: tuple[str, ...] = ("code", "title", "description", "behaviors", "order", "is_active")
ORGANIZATION_SETTINGS_FIELDS: tuple[str, ...] = (
    "name", "vision", "customer_promise", "time_zone",
    "reminder_lead_days", "escalate_after_days", "skip_level_after_days",
    "sending_window_start", "sending_window_end", "sending_weekdays", "daily_reminder_cap",
)


def _revision_value(value: Any) -> Any:
    """A settings value as the revision's JSON keeps it (times as "08:00")."""
    return value.strftime("%H:%M") if isinstance(value, dt_time) else value


def organization_update(
    *, organization: Organization, actor: Membership, **changes: Any
) -> OrganizationRevision | None:
    """Change the organization's settings (name, vision, promise, time zone, reminder policy); keep the history.

    Only an active admin of the organization may (`NotPermitted` otherwise), and only the settings
    fields may change (the slug is the tenant's stable identity). Like `standard_update`: in one
    transaction the organization row is locked, the diff (field -> [before, after]) is taken against
    the locked row and recorded as the next OrganizationRevision with who and when. Nothing is
    written when no value changes (returns None). `organization` is updated in place. Values out of
    their bounds, or reminder settings that contradict each other (`reminder_settings_errors`), are
    a ValidationError by field.
    """
    ensure_actor(actor, organization=organization, roles=(Role.ADMIN,))
    unknown = set(changes) - set(ORGANIZATION_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"organization_update() cannot change {', '.join(sorted(unknown))}")
    if "time_zone" in changes:
        validate_time_zone(changes["time_zone"])
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        diff = {
            name: [_revision_value(getattr(locked, name)), _revision_value(value)]
            for name, value in changes.items()
            if getattr(locked, name) != value
        }
        if not diff:
            return None
        for name in diff:
            setattr(locked, name, changes[name])
        # Bounds of each changed field, then the rules between the reminder settings (the check
        # constraints would refuse the same, as an IntegrityError rather than a message).
        unchanged = [f.name for f in Organization._meta.concrete_fields if f.name not in diff]
        locked.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
        errors = reminder_settings_errors({name: getattr(locked, name) for name in ORGANIZATION_SETTINGS_FIELDS})
        if errors:
            raise ValidationError(errors)
        locked.save(update_fields=list(diff))
        last = OrganizationRevision.objects.filter(organization=locked).order_by("-version").first()
        revision = OrganizationRevision.objects.create(
            organization=locked, version=(last.version + 1) if last else 1, edited_by=actor.user, changes=diff
        )
    for name in ORGANIZATION_SETTINGS_FIELDS:
        setattr(organization, name, getattr(locked, name))
    return revision


def _duplicate_code_error(code: str) -> ValidationError:
    return ValidationError({"code": f"Another standard of this organization already has the code “{code}”."})


def standard_create(
    *,
    actor: Membership,
    code: str,
    title: str,
    description: str = "",
    behaviors: list[str] | tuple[str, ...] = (),
    order: int = 0,
    is_active: bool = True,
) -> ServiceStandard:
    """Create a standard of the actor's organization at version 1 (admins only), with revision 1.

    Revision 1 maps each field to [None, initial value], so the history starts with who wrote the
    standard. A code already used in the organization is a ValidationError on `code`.
    """
    ensure_actor(actor, organization=actor.organization_id, roles=(Role.ADMIN,))
    organization = actor.organization
    try:
        with transaction.atomic():
            standard = ServiceStandard.objects.create(
                organization=organization,
                code=code,
                title=title,
                description=description,
                behaviors=list(behaviors),
                order=order,
                is_active=is_active,
                version=1,
            )
            ServiceStandardRevision.objects.create(
                standard=standard,
                version=1,
                edited_by=actor.user,
                changes={name: [None, getattr(standard, name)] for name in STANDARD_TRACKED_FIELDS},
            )
    except IntegrityError as error:
        if violated_constraint(error) == "standard_code_unique_per_org":
            raise _duplicate_code_error(code) from error
        raise
    return standard


def standard_update(
    *, standard: ServiceStandard, actor: Membership, **changes: Any
) -> ServiceStandardRevision | None:
    """Apply field changes to a standard and record them as a new revision (admins only); returns it.

    In one transaction the row is locked (select_for_update), the field-level diff
    (field -> [before, after]) is computed against the locked row, `version` goes up by one and a
    ServiceStandardRevision records who, when and what. Nothing at all is written when no value
    changes (returns None). `standard` is updated in place to the saved state.
    """
    ensure_actor(actor, organization=standard.organization_id, roles=(Role.ADMIN,))
    unknown = set(changes) - set(STANDARD_TRACKED_FIELDS)
    if unknown:
        raise TypeError(f"standard_update() cannot change {', '.join(sorted(unknown))}")
    if "behaviors" in changes:
        changes["behaviors"] = list(changes["behaviors"])
    try:
        with transaction.atomic():
            locked = ServiceStandard.objects.select_for_update().get(pk=standard.pk)
            diff = {
                name: [getattr(locked, name), value]
                for name, value in changes.items()
                if getattr(locked, name) != value
            }
            if not diff:
                revision = None
            else:
                for name, (_before, after) in diff.items():
                    setattr(locked, name, after)
                locked.version += 1
                locked.save(update_fields=[*diff, "version", "updated_at"])
                revision = ServiceStandardRevision.objects.create(
                    standard=locked, version=locked.version, edited_by=actor.user, changes=diff
                )
    except IntegrityError as error:
        if violated_constraint(error) == "standard_code_unique_per_org":
            raise _duplicate_code_error(changes.get("code", "")) from error
        raise
    for name in (*STANDARD_TRACKED_FIELDS, "version", "updated_at"):
        setattr(standard, name, getattr(locked, name))
    return revision


def _check_team_managers(*, organization: Organization, managers: list[Membership]) -> None:
    if not managers:
        raise ValidationError({"managers": "A team needs at least one manager."})
    for manager in managers:
        if manager.organization_id != organization.pk or manager.role not in (Role.MANAGER, Role.ADMIN):
            raise ValidationError({"managers": "Managers must be managers or admins of this organization."})


def _duplicate_team_error(name: str) -> ValidationError:
    return ValidationError({"name": f"This organization already has a team named “{name}”."})


def team_create(*, actor: Membership, name: str, managers: list[Membership]) -> Team:
    """Create a team of the actor's organization (admins only) with one or more managers, all
    managers or admins of that organization."""
    ensure_actor(actor, organization=actor.organization_id, roles=(Role.ADMIN,))
    organization = actor.organization
    managers = list(managers)
    _check_team_managers(organization=organization, managers=managers)
    try:
        with transaction.atomic():
            team = Team.objects.create(organization=organization, name=name)
            team.managers.set(managers)
    except IntegrityError as error:
        if violated_constraint(error) == "team_name_unique_per_org":
            raise _duplicate_team_error(name) from error
        raise
    return team


def team_update(*, team: Team, actor: Membership, name: str, managers: list[Membership]) -> Team:
    """Rename a team and replace its managers (same rules as `team_create`; admins only)."""
    ensure_actor(actor, organization=team.organization_id, roles=(Role.ADMIN,))
    managers = list(managers)
    _check_team_managers(organization=team.organization, managers=managers)
    try:
        with transaction.atomic():
            team.name = name
            team.save(update_fields=["name"])
            team.managers.set(managers)
    except IntegrityError as error:
        if violated_constraint(error) == "team_name_unique_per_org":
            raise _duplicate_team_error(name) from error
        raise
    return team


def team_delete(*, team: Team, actor: Membership) -> None:
    """Delete a team (admins only). Its members stay in the organization, without a team."""
    ensure_actor(actor, organization=team.organization_id, roles=(Role.ADMIN,))
    with transaction.atomic():
        team.delete()


def team_member_add(*, actor: Membership, team: Team, membership: Membership) -> Membership:
    """Put a person of the organization in `team` (a person is in one team: this moves them).

    Admins only. Both the team and the person must belong to the actor's organization
    (`NotPermitted` otherwise: another organization's ids are refused like a page one may not see);
    a deactivated person is refused with a ValidationError. Adding someone already in the team
    changes nothing.
    """
    ensure_actor(actor, organization=team.organization_id, roles=(Role.ADMIN,))
    if membership.organization_id != team.organization_id:
        raise NotPermitted("That person is not a member of this organization.")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not locked.is_active:
            raise ValidationError({"membership": "This person is deactivated; reactivate them first."})
        if locked.team_id != team.pk:
            locked.team = team
            locked.save(update_fields=["team"])
    return locked


def team_member_remove(*, actor: Membership, team: Team, membership: Membership) -> Membership:
    """Take a person out of `team`: they stay in the organization, without a team.

    Admins only, within their organization (`NotPermitted` otherwise). The row is changed only if
    the person is still in this team when locked, so a remove racing a move to another team never
    undoes the move; someone not in the team is a ValidationError.
    """
    ensure_actor(actor, organization=team.organization_id, roles=(Role.ADMIN,))
    if membership.organization_id != team.organization_id:
        raise NotPermitted("That person is not a member of this organization.")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.team_id != team.pk:
            raise ValidationError({"membership": "This person is not in this team."})
        locked.team = None
        locked.save(update_fields=["team"])
    return locked


def membership_update(
    *,
    membership: Membership,
    actor: Membership,
    role: str,
    team: Team | None,
    job_title: str,
    can_author: bool,
    is_active: bool,
) -> Membership:
    """Change a person's role, team, job title, authoring right and whether they are active (admins only).

    Invariants: the organization always keeps at least one active admin (the organization's admin
    rows are locked while this is checked, so two admins cannot demote each other at once); the
    team belongs to the same organization; `can_author` is kept only for managers (admins always
    author, employees never); someone who is no longer a manager or admin stops managing teams.
    """
    ensure_actor(actor, organization=membership.organization_id, roles=(Role.ADMIN,))
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role."})
    if team is not None and team.organization_id != membership.organization_id:
        raise ValidationError({"team": "Choose a team of this organization."})
    with transaction.atomic():
        admins = list(
            Membership.objects.select_for_update(of=("self",))
            .filter(organization_id=membership.organization_id, role=Role.ADMIN)
            .select_related("user")
            .order_by("pk")
        )
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        stays_active_admin = role == Role.ADMIN and is_active
        was_active_admin = locked.role == Role.ADMIN and locked.is_active
        if was_active_admin and not stays_active_admin:
            other_active_admins = [
                admin for admin in admins if admin.pk != locked.pk and admin.is_active and admin.user.is_active
            ]
            if not other_active_admins:
                field = "role" if role != Role.ADMIN else "is_active"
                raise ValidationError(
                    {
                        field: "This is the organization's last active admin. "
                        "Make someone else an admin first."
                    }
                )
        locked.role = role
        locked.team = team
        locked.job_title = job_title
        locked.can_author = bool(can_author) and role == Role.MANAGER
        locked.is_active = is_active
        locked.save(update_fields=["role", "team", "job_title", "can_author", "is_active"])
        if role == Role.EMPLOYEE:
            locked.managed_teams.clear()
    return locked


# --- Invitations --------------------------------------------------------------------------------
#
# Who may invite: admins invite anyone with any role; managers invite employees into the teams they
# manage, and resend or revoke only those invitations. The services enforce it (`_ensure_may_invite`,
# `_ensure_may_manage_invitation`); the forms and selectors only offer what is allowed. An invitation is single use;
# the partial unique constraint `invitation_one_open_per_email` allows one open (neither accepted nor
# revoked) invitation per email and organization, which makes double submits and re-uploaded CSV
# files harmless. Emails go out from a Celery task enqueued only once the transaction commits.

OPEN_INVITATION_CONSTRAINT = "invitation_one_open_per_email"
CSV_IMPORT_MAX_BYTES = 1024 * 1024
CSV_IMPORT_COLUMNS: tuple[str, ...] = ("email", "name", "role", "team", "time_zone")
CSV_IMPORT_HEADER = ",".join(CSV_IMPORT_COLUMNS)
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254  # Invitation.email's column


class InvitationNotAcceptable(Exception):
    """The invitation cannot be accepted: `reason` is "expired", "accepted", "revoked" or "wrong_email"."""

    MESSAGES = {
        "expired": "This invitation has expired. Ask the person who invited you to send a new one.",
        "accepted": "This invitation has already been used.",
        "revoked": "This invitation has been withdrawn.",
        "wrong_email": "This invitation was sent to another email address.",
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(self.MESSAGES.get(reason, "This invitation cannot be accepted."))


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _open_invitations(*, organization_id: int, emails: Iterable[str]):
    """Open (not accepted, not revoked) invitations of the organization for these lowercased emails."""
    return (
        Invitation.objects.of_organization(organization_id)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=list(emails))
    )


def _active_member_emails(*, organization_id: int, emails: Iterable[str]) -> set[str]:
    return {
        email.lower()
        for email in Membership.objects.of_organization(organization_id)
        .active()
        .filter(user__email__in=list(emails))
        .values_list("user__email", flat=True)
    }


def _renew(invitation: Invitation, *, now, **fields: Any) -> None:
    """Give an expired open invitation a new token, a new validity period and the new details."""
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.token = new_invitation_token()
    invitation.created_at = now
    invitation.expires_at = now + INVITATION_VALIDITY
    invitation.sent_at = None


def _enqueue_invitation_emails(invitation_ids: list[int]) -> None:
    """Put the invitation emails in the delivery ledger, in this transaction: a rolled-back invitation
    is never emailed, and a committed one is never lost (a worker is asked to send at once, and the
    dispatcher sends whatever that request missed)."""
    invitations = Invitation.objects.select_related("organization", "team", "invited_by").filter(pk__in=invitation_ids)
    messages_enqueue(drafts=[invitation_draft(invitation) for invitation in invitations], send_now=True)


def _manages_team(actor: Membership, team_id: int) -> bool:
    return Team.managers.through.objects.filter(team_id=team_id, membership_id=actor.pk).exists()


def _ensure_may_invite(actor: Membership, *, role: str, team: Team | None) -> None:
    """Admins invite anyone; managers only employees, into a team they manage (raises NotPermitted)."""
    ensure_actor(actor, organization=actor.organization_id, roles=(Role.ADMIN, Role.MANAGER))
    if actor.role == Role.ADMIN:
        return
    if role != Role.EMPLOYEE:
        raise NotPermitted("Managers invite employees only.")
    if team is None or not _manages_team(actor, team.pk):
        raise NotPermitted("Managers invite only into the teams they manage.")


def _ensure_may_manage_invitation(actor: Membership, invitation: Invitation) -> None:
    """Admins manage every invitation of their organization; managers those of employees to their teams."""
    ensure_actor(actor, organization=invitation.organization_id, roles=(Role.ADMIN, Role.MANAGER))
    if actor.role == Role.ADMIN:
        return
    if invitation.role != Role.EMPLOYEE or invitation.team_id is None or not _manages_team(actor, invitation.team_id):
        raise NotPermitted("Managers manage only invitations of employees to their teams.")


def invitation_create(
    *,
    actor: Membership,
    email: str,
    name: str = "",
    role: str = Role.EMPLOYEE,
    team: Team | None = None,
    time_zone: str = "",
) -> Invitation:
    """Invite a person into the actor's organization with a role and team; the email is sent on commit.

    Admins invite anyone; managers invite employees into a team they manage (else NotPermitted).

    Idempotent: while an open, unexpired invitation exists for the email it is returned unchanged (a
    double submit creates nothing). A concurrent insert is caught by the partial unique constraint
    inside a savepoint and resolved the same way. An open but expired invitation is renewed with the
    new details and sent again. An active member of the organization is a ValidationError on `email`.
    """
    email = _normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": "Choose admin, manager or employee."})
    organization = actor.organization
    if team is not None and team.organization_id != organization.pk:
        raise ValidationError({"team": "Choose a team of this organization."})
    _ensure_may_invite(actor, role=role, team=team)
    time_zone = time_zone or organization.time_zone
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise ValidationError({"time_zone": error.messages}) from None
    if _active_member_emails(organization_id=organization.pk, emails=[email]):
        raise ValidationError({"email": f"{email} is already a member of {organization.name}."})

    details = {"name": name.strip(), "role": role, "team": team, "time_zone": time_zone, "invited_by": actor.user}
    now = timezone.now()
    with transaction.atomic():
        existing = _open_invitations(organization_id=organization.pk, emails=[email]).select_for_update().first()
        if existing is not None:
            if existing.expires_at > now:
                return existing
            _renew(existing, now=now, **details)
            existing.save()
            invitation = existing
        else:
            try:
                with transaction.atomic():  # a savepoint: the constraint violation must not end the transaction
                    invitation = Invitation.objects.create(
                        organization=organization, email=email, created_at=now,
                        expires_at=now + INVITATION_VALIDITY, **details,
                    )
            except IntegrityError as error:
                if violated_constraint(error) != OPEN_INVITATION_CONSTRAINT:
                    raise
                # A concurrent request for the same email committed first: its invitation is the answer.
                invitation = _open_invitations(organization_id=organization.pk, emails=[email]).first()
                if invitation is None:
                    raise
                return invitation
        _enqueue_invitation_emails([invitation.pk])
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: Membership) -> Invitation:
    """Withdraw an open invitation; its link stops working at once (see `_ensure_may_manage_invitation`).

    A conditional update, so revoking something that was just accepted (or revoked) changes nothing
    and is reported as a ValidationError.
    """
    _ensure_may_manage_invitation(actor, invitation)
    now = timezone.now()
    changed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if changed != 1:
        raise ValidationError("This invitation was already accepted or revoked.")
    invitation.revoked_at = now
    return invitation


def invitation_resend(*, invitation: Invitation, actor: Membership) -> Invitation:
    """Give an open invitation a new token and a new 7-day validity, and email it again on commit.

    The old link stops working: only the newest email is valid. Who may: see
    `_ensure_may_manage_invitation`.
    """
    _ensure_may_manage_invitation(actor, invitation)
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if locked is None or locked.accepted_at is not None or locked.revoked_at is not None:
            raise ValidationError("Only open invitations can be sent again.")
        _renew(locked, now=now)
        locked.save(update_fields=["token", "created_at", "expires_at", "sent_at"])
        _enqueue_invitation_emails([locked.pk])
    for name in ("token", "created_at", "expires_at", "sent_at"):
        setattr(invitation, name, getattr(locked, name))
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Use the invitation: `user` joins the invitation's organization with its role and team.

    Single use: a conditional update must change exactly one row (pending, unexpired), else
    InvitationNotAcceptable, so two people cannot both join with one token. Accepting again as the
    person who already did is not an error: it returns their membership (the link clicked twice, or
    twenty requests at once, all land in the organization they joined). The membership is always in
    the invitation's organization, whatever organization the inviter or the person acts in. A blank
    name is taken from the invitation; the time zone too when this is the person's first organization.
    """
    return _invitation_accept(invitation=invitation, user=user)[0]


def _invitation_accept(*, invitation: Invitation, user: User) -> tuple[Membership, bool]:
    """`invitation_accept`, also saying whether this call is the one that used the invitation."""
    if _normalize_email(user.email) != _normalize_email(invitation.email):
        raise InvitationNotAcceptable("wrong_email")
    now = timezone.now()
    with transaction.atomic():
        changed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if changed != 1:
            # Read after the update: under READ COMMITTED it waited for a concurrent acceptance to
            # commit, and this statement sees it. Used by this very person: they are a member.
            current = Invitation.objects.filter(pk=invitation.pk).first()
            if current is not None and current.accepted_by_id == user.pk:
                membership = Membership.objects.get(user=user, organization_id=current.organization_id)
                invitation.accepted_at, invitation.accepted_by = current.accepted_at, user
                return membership, False
            raise InvitationNotAcceptable(current.status if current is not None else "revoked")
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user,
            organization_id=invitation.organization_id,
            defaults={"role": invitation.role, "team_id": invitation.team_id, "joined_at": now},
        )
        if not created and not membership.is_active:
            # A former member comes back with the invitation's role and team, and nothing more: an
            # authoring right granted in their former role is not restored (an admin grants it
            # again), and someone who comes back as an employee manages no team.
            membership.role = invitation.role
            membership.team_id = invitation.team_id
            membership.can_author = False
            membership.is_active = True
            membership.save(update_fields=["role", "team", "can_author", "is_active"])
            if membership.role == Role.EMPLOYEE:
                membership.managed_teams.clear()
        first_organization = (
            not Membership.objects.active().filter(user=user).exclude(pk=membership.pk).exists()
        )
        changed_fields = []
        if not user.name and invitation.name:
            user.name = invitation.name
            changed_fields.append("name")
        if first_organization:
            user.time_zone = invitation.time_zone or invitation.organization.time_zone
            changed_fields.append("time_zone")
        if changed_fields:
            user.save(update_fields=changed_fields)
    invitation.accepted_at = now
    invitation.accepted_by = user
    return membership, True


@dataclass(frozen=True)
class InvitationOpening:
    """What following an invitation link comes to; the view only renders it.

    `outcome` is one of:
    - "unknown": no invitation has this token;
    - "unusable": it cannot be used, `reason` says why (expired, accepted, revoked);
    - "sign_up" / "sign_in": a signed-out visitor, without / with an account for the invited email;
    - "wrong_user": signed in with another email address;
    - "joined": this request made the person a member; "member": they already were (they joined
      with this invitation before, or a concurrent request of theirs did a moment ago).
    `membership` is set when this call went as far as accepting.
    """

    outcome: str
    invitation: Invitation | None = None
    reason: str = ""
    membership: Membership | None = None


def invitation_open(*, token: str, user: User | Any) -> InvitationOpening:
    """Decide what an invitation link does for `user` (a User, or an anonymous user), joining if it can.

    The whole decision lives here rather than in the view, so the rules (single use, the invited
    address only, the person who joined may follow the link again) hold for every caller.
    """
    from organizations.selectors import invitation_by_token  # selectors import this module

    invitation = invitation_by_token(token=token)
    if invitation is None:
        return InvitationOpening("unknown")
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in and invitation.accepted_by_id == user.pk:
        return InvitationOpening("member", invitation)
    if invitation.status != "pending":
        return InvitationOpening("unusable", invitation, reason=invitation.status)
    if not signed_in:
        exists = User.objects.filter(email__iexact=invitation.email.strip()).exists()
        return InvitationOpening("sign_in" if exists else "sign_up", invitation)
    if _normalize_email(user.email) != _normalize_email(invitation.email):
        return InvitationOpening("wrong_user", invitation)
    try:
        membership, joined = _invitation_accept(invitation=invitation, user=user)
    except InvitationNotAcceptable as error:
        return InvitationOpening("unusable", invitation, reason=error.reason)
    return InvitationOpening("joined" if joined else "member", invitation, membership=membership)


# --- Bulk CSV import of invitations ------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """Why a file or one of its lines was refused; `line` is None for a problem with the whole file."""

    line: int | None
    message: str


@dataclass(frozen=True)
class ImportSkip:
    line: int
    email: str
    reason: str  # "already a member" or "already invited"


@dataclass
class ImportResult:
    errors: list[ImportProblem] = field(default_factory=list)
    invited: list[Invitation] = field(default_factory=list)
    skipped: list[ImportSkip] = field(default_factory=list)
    job: ImportJob | None = None  # a large file: validated, and written by a Celery job

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    name: str
    role: str
    team: Team | None
    time_zone: str


def _file_error(message: str) -> ImportResult:
    return ImportResult(errors=[ImportProblem(line=None, message=message)])


def _decode_csv(data: bytes) -> tuple[str | None, str | None]:
    """The file's text, or an error message when it is too big, binary or not UTF-8."""
    if len(data) > CSV_IMPORT_MAX_BYTES:
        return None, f"The file is larger than 1 MiB ({len(data) / 1024 / 1024:.1f} MiB). Split it into smaller files."
    if b"\x00" in data:
        return None, "This is a binary file, not a CSV text file. Export the sheet as “CSV UTF-8”."
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "The file is not UTF-8 text. Export the sheet as “CSV UTF-8” and upload it again."
    if not text.strip():
        return None, "The file is empty."
    return text, None


def _parse_rows(*, organization: Organization, text: str) -> tuple[list[_Row], list[ImportProblem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (csv.Error, StopIteration):
        return [], [ImportProblem(None, f"This is not a CSV file with the header {CSV_IMPORT_HEADER}.")]
    columns = [column.strip().lower() for column in header]
    missing = [column for column in CSV_IMPORT_COLUMNS if column not in columns]
    unknown = [column for column in columns if column not in CSV_IMPORT_COLUMNS]
    if len(missing) == len(CSV_IMPORT_COLUMNS):
        return [], [
            ImportProblem(
                None, f"This is not an invitation file: its first line must be the header {CSV_IMPORT_HEADER}."
            )
        ]
    if missing or unknown or len(set(columns)) != len(columns):
        details = []
        if missing:
            details.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            details.append(f"unknown column(s): {', '.join(unknown)}")
        if len(set(columns)) != len(columns):
            details.append("a column appears twice")
        return [], [ImportProblem(1, f"Wrong header ({'; '.join(details)}). It must be: {CSV_IMPORT_HEADER}.")]
    index = {column: columns.index(column) for column in CSV_IMPORT_COLUMNS}

    teams = {team.name.strip().lower(): team for team in Team.objects.of_organization(organization.pk)}
    zones = {zone.lower(): zone for zone in zoneinfo.available_timezones()}
    roles = {value: value for value in Role.values} | {label.lower(): value for value, label in Role.choices}

    rows: list[_Row] = []
    problems: list[ImportProblem] = []
    first_line_of: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue  # blank lines are harmless
            if len(values) != len(columns):
                problems.append(ImportProblem(line, f"expected {len(columns)} values, found {len(values)}."))
                continue
            raw = {column: values[position].strip() for column, position in index.items()}
            row_problems = []
            email = raw["email"].lower()
            if not email:
                row_problems.append("the email is missing.")
            else:
                try:
                    if len(email) > EMAIL_MAX_LENGTH:
                        raise ValidationError("too long")
                    validate_email(email)
                except ValidationError:
                    row_problems.append(f"“{raw['email']}” is not a valid email address.")
                else:
                    if email in first_line_of:
                        row_problems.append(
                            f"{email} appears twice in the file (first on line {first_line_of[email]})."
                        )
                    else:
                        first_line_of[email] = line
            if len(raw["name"]) > NAME_MAX_LENGTH:
                row_problems.append(f"the name is longer than {NAME_MAX_LENGTH} characters.")
            role = roles.get(raw["role"].lower())
            if role is None:
                row_problems.append(
                    f"unknown role “{raw['role']}” (use admin, manager or employee)."
                    if raw["role"]
                    else "the role is missing (use admin, manager or employee)."
                )
            team = None
            if raw["team"]:
                team = teams.get(raw["team"].lower())
                if team is None:
                    row_problems.append(f"unknown team “{raw['team']}” in {organization.name}.")
            time_zone = organization.time_zone
            if raw["time_zone"]:
                time_zone = zones.get(raw["time_zone"].lower())
                if time_zone is None:
                    row_problems.append(f"unknown time zone “{raw['time_zone']}” (use a name such as Europe/Paris).")
            if row_problems:
                problems.extend(ImportProblem(line, message) for message in row_problems)
                continue
            rows.append(_Row(line, email, raw["name"], role, team, time_zone))
    except csv.Error as error:
        return [], [ImportProblem(None, f"This is not a valid CSV file (line {reader.line_num}: {error}).")]
    return rows, problems


def _import_rows(*, organization: Organization, invited_by: User | None, rows: list[_Row]) -> ImportResult:
    result = ImportResult()
    emails = [row.email for row in rows]
    now = timezone.now()
    with transaction.atomic():
        members = _active_member_emails(organization_id=organization.pk, emails=emails)
        open_invitations = {
            invitation.email_lower: invitation
            for invitation in _open_invitations(organization_id=organization.pk, emails=emails).select_for_update()
        }
        to_create: list[Invitation] = []
        to_renew: list[Invitation] = []
        for row in rows:
            if row.email in members:
                result.skipped.append(ImportSkip(row.line, row.email, "already a member"))
                continue
            details = {
                "name": row.name, "role": row.role, "team": row.team,
                "time_zone": row.time_zone, "invited_by": invited_by,
            }
            existing = open_invitations.get(row.email)
            if existing is not None and existing.expires_at > now:
                result.skipped.append(ImportSkip(row.line, row.email, "already invited"))
            elif existing is not None:
                _renew(existing, now=now, **details)
                to_renew.append(existing)
            else:
                to_create.append(
                    Invitation(
                        organization=organization, email=row.email, created_at=now,
                        expires_at=now + INVITATION_VALIDITY, **details,
                    )
                )
        if to_renew:
            Invitation.objects.bulk_update(
                to_renew,
                ["name", "role", "team", "time_zone", "invited_by", "token", "created_at", "expires_at", "sent_at"],
            )
        created = Invitation.objects.bulk_create(to_create)
        result.invited = [*created, *to_renew]
        if result.invited:
            _enqueue_invitation_emails([invitation.pk for invitation in result.invited])
    return result


# Past this many rows an invitation file is written by a Celery job with a progress page, this many
# rows per transaction.
BACKGROUND_INVITATIONS_THRESHOLD = 500
INVITATION_IMPORT_BATCH_SIZE = 250


def invitations_import_csv(*, actor: Membership, data: bytes) -> ImportResult:
    """Invite everyone listed in a CSV file (header email,name,role,team,time_zone), all or nothing.

    Admins only: a file may give any role. The invitations are the actor's organization's.

    The whole file is validated first; any bad line means nothing is created and every problem is
    reported with its line number. Emails that are already active members or already have a pending
    invitation are skipped, so uploading the same file twice creates nothing new. The invitations
    are created in one transaction and emailed in batches once it commits. A file of more than
    BACKGROUND_INVITATIONS_THRESHOLD rows is validated here and written by a Celery job instead (`result.job`).
    """
    ensure_actor(actor, organization=actor.organization_id, roles=(Role.ADMIN,))
    organization, invited_by = actor.organization, actor.user
    text, error = _decode_csv(data)
    if error:
        return _file_error(error)
    rows, problems = _parse_rows(organization=organization, text=text)
    if problems:
        return ImportResult(errors=problems)
    if not rows:
        return _file_error("The file has a header but no invitations.")
    if len(rows) > BACKGROUND_INVITATIONS_THRESHOLD:
        with transaction.atomic():
            job = ImportJob.objects.create(
                organization=organization, created_by=actor, kind=ImportJobKind.INVITATIONS,
                total=len(rows), payload={"text": text},
            )  # fmt: skip
            tasks.invitations_import_run.delay_on_commit(job.pk)
        return ImportResult(job=job)
    try:
        return _import_rows(organization=organization, invited_by=invited_by, rows=rows)
    except IntegrityError as error:
        if violated_constraint(error) != OPEN_INVITATION_CONSTRAINT:
            raise
        # Another import or invite of the same emails committed meanwhile; the second pass sees
        # those invitations and skips them.
        return _import_rows(organization=organization, invited_by=invited_by, rows=rows)


def invitations_import_job_run(*, job: ImportJob) -> None:
    """Write an invitation import job's rows in batches, each committed with the job's `done`.

    Safe to run again: each batch locks the job row and starts from its `done`, and a row already
    invited is skipped anyway. The invitation emails of a batch are enqueued when it commits.
    """
    if job.is_finished:
        return
    ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.PENDING).update(status=ImportJobStatus.RUNNING)
    organization = job.organization
    invited_by = job.created_by.user if job.created_by is not None else None
    rows, problems = _parse_rows(organization=organization, text=job.payload["text"])
    if problems:  # a team was deleted since the file was checked, say
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED, finished_at=timezone.now(),
            errors=[f"Line {p.line}: {p.message}" if p.line else p.message for p in problems],
        )  # fmt: skip
        return
    import_job_write_in_batches(
        job=job,
        items=rows,
        batch_size=INVITATION_IMPORT_BATCH_SIZE,
        write=lambda batch: _import_rows(organization=organization, invited_by=invited_by, rows=batch),
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.DONE, finished_at=timezone.now())


def import_job_write_in_batches(
    *, job: ImportJob, items: Sequence[Any], batch_size: int, write: Callable[[Sequence[Any]], None]
) -> None:
    """Write a job's validated items a batch at a time, each batch committed with the job's progress.

    The job row is locked while a batch is written and `done` moves in the same transaction, so a retried or
    duplicated task resumes after the last committed batch and writes nothing twice.
    """
    while True:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            batch = items[locked.done : locked.done + batch_size]
            if not batch:
                return
            write(batch)
            locked.done += len(batch)
            locked.save(update_fields=["done"])
