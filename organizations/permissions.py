"""The permission check every writing service makes of its actor.

Services are the permission boundary: views, Celery tasks and (later) the HR API all call them, so the
service itself checks that the acting membership belongs to the object's organization and has a role
that may do this. A failure raises `NotPermitted`, which `member_required` turns into a 404 (never a
403: a person learns nothing about what exists outside what they may see).
"""

from __future__ import annotations

from collections.abc import Iterable

from organizations.models import Membership, Organization


class NotPermitted(Exception):
    """The acting membership may not do this (another organization, a role too low, an inactive member)."""


def ensure_actor(
    actor: Membership,
    *,
    organization: Organization | int,
    roles: Iterable[str] = (),
    author: bool = False,
) -> Membership:
    """Check that `actor` is an active member of `organization`, in one of `roles`, and an author if asked.

    Returns the actor so a service can write `actor = ensure_actor(...)`. Raises `NotPermitted`.
    """
    organization_id = organization if isinstance(organization, int) else organization.pk
    if not isinstance(actor, Membership) or not actor.is_active or actor.organization_id != organization_id:
        raise NotPermitted("The actor is not a member of this organization.")
    roles = tuple(roles)
    if roles and actor.role not in roles:
        raise NotPermitted(f"A {actor.role} may not do this.")
    if author and not actor.is_author:
        raise NotPermitted("Only authors may do this.")
    return actor
