"""Writes with business meaning for organizations, people, standards and invitations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.models import (
    Invitation,
    Membership,
    Organization,
    Role,
    ServiceStandard,
    ServiceStandardRevision,
    Team,
    User,
    validate_time_zone,
)

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
ORGANIZATION_SETTINGS_FIELDS: tuple[str, ...] = ("name", "vision", "customer_promise", "time_zone")


def organization_update(*, organization: Organization, **changes: Any) -> Organization:
    """Change the organization's name, vision, customer promise or default time zone.

    Only the settings fields may change here (the slug is the tenant's stable identity).
    """
    unknown = set(changes) - set(ORGANIZATION_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"organization_update() cannot change {', '.join(sorted(unknown))}")
    if "time_zone" in changes:
        validate_time_zone(changes["time_zone"])
    with transaction.atomic():
        for name, value in changes.items():
            setattr(organization, name, value)
        if changes:
            organization.save(update_fields=list(changes))
    return organization


def _duplicate_code_error(code: str) -> ValidationError:
    return ValidationError({"code": f"Another standard of this organization already has the code “{code}”."})


def standard_create(
    *,
    organization: Organization,
    actor: User,
    code: str,
    title: str,
    description: str = "",
    behaviors: list[str] | tuple[str, ...] = (),
    order: int = 0,
    is_active: bool = True,
) -> ServiceStandard:
    """Create a standard at version 1 and record revision 1 with its initial values.

    Revision 1 maps each field to [None, initial value], so the history starts with who wrote the
    standard. A code already used in the organization is a ValidationError on `code`.
    """
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
                edited_by=actor,
                changes={name: [None, getattr(standard, name)] for name in STANDARD_TRACKED_FIELDS},
            )
    except IntegrityError as error:
        if "standard_code_unique_per_org" in str(error):
            raise _duplicate_code_error(code) from error
        raise
    return standard


def standard_update(*, standard: ServiceStandard, actor: User, **changes: Any) -> ServiceStandardRevision | None:
    """Apply field changes to a standard and record them as a new revision; returns the revision.

    In one transaction the row is locked (select_for_update), the field-level diff
    (field -> [before, after]) is computed against the locked row, `version` goes up by one and a
    ServiceStandardRevision records who, when and what. Nothing at all is written when no value
    changes (returns None). `standard` is updated in place to the saved state.
    """
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
                    standard=locked, version=locked.version, edited_by=actor, changes=diff
                )
    except IntegrityError as error:
        if "standard_code_unique_per_org" in str(error):
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


def team_create(*, organization: Organization, name: str, managers: list[Membership]) -> Team:
    """Create a team with one or more managers, all managers or admins of the same organization."""
    managers = list(managers)
    _check_team_managers(organization=organization, managers=managers)
    try:
        with transaction.atomic():
            team = Team.objects.create(organization=organization, name=name)
            team.managers.set(managers)
    except IntegrityError as error:
        if "team_name_unique_per_org" in str(error):
            raise _duplicate_team_error(name) from error
        raise
    return team


def team_update(*, team: Team, name: str, managers: list[Membership]) -> Team:
    """Rename a team and replace its managers (same rules as `team_create`)."""
    managers = list(managers)
    _check_team_managers(organization=team.organization, managers=managers)
    try:
        with transaction.atomic():
            team.name = name
            team.save(update_fields=["name"])
            team.managers.set(managers)
    except IntegrityError as error:
        if "team_name_unique_per_org" in str(error):
            raise _duplicate_team_error(name) from error
        raise
    return team


def team_delete(*, team: Team) -> None:
    """Delete a team. Its members stay in the organization, without a team."""
    with transaction.atomic():
        team.delete()


def membership_update(
    *,
    membership: Membership,
    role: str,
    team: Team | None,
    job_title: str,
    can_author: bool,
    is_active: bool,
) -> Membership:
    """Change a person's role, team, job title, authoring right and whether they are active.

    Invariants: the organization always keeps at least one active admin (the organization's admin
    rows are locked while this is checked, so two admins cannot demote each other at once); the
    team belongs to the same organization; `can_author` is kept only for managers (admins always
    author, employees never); someone who is no longer a manager or admin stops managing teams.
    """
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
