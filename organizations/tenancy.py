"""The one tenancy and permission mechanism.

The acting membership is resolved once per request by `CurrentMembershipMiddleware` and stored on
`request.membership`. Views declare who may use them with `member_required`, then fetch objects only
through selectors that take that membership. Both failures, an object of another organization and a
role that may not use the page, answer 404: a person learns nothing about what exists outside what
they may see, and the cross-organization sweep in tests/test_tenancy.py holds for every role.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from config.prepared import prepared
from organizations.models import Membership
from organizations.permissions import NotPermitted

CURRENT_ORGANIZATION_SESSION_KEY = "current_organization_id"


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The active membership the request acts in: the one chosen with the switcher, else the oldest.

    For a request whose user is already loaded (a view that signed someone in, a test); the
    middleware resolves the user and the membership together instead (`_resolve_signed_in`).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=user).select_related("organization", "team")
    return _acting(list(memberships.order_by("joined_at", "id")), request.session.get(CURRENT_ORGANIZATION_SESSION_KEY))


def _acting(memberships: list[Membership], chosen_id: int | None) -> Membership | None:
    """The chosen organization's membership if it is among the active ones, else the oldest."""
    for membership in memberships:
        if membership.organization_id == chosen_id:
            return membership
    return memberships[0] if memberships else None


def set_current_organization(request: HttpRequest, organization_id: int) -> None:
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = organization_id


def _session_user_id(request: HttpRequest) -> Any:
    """The signed-in user's id as the session holds it, if a model backend signed them in; else None.

    The combined lookup below replaces `ModelBackend.get_user` (a user by primary key, refused when
    inactive), so it is used only for sessions made by a backend that loads users that way; any other
    backend gets Django's own `get_user`.
    """
    session = request.session
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    if not _loads_users_by_id(backend_path):
        return None
    return user_id


@cache
def _loads_users_by_id(backend_path: str) -> bool:
    return issubclass(import_string(backend_path), ModelBackend)


def _session_verified(request: HttpRequest, user: Any) -> bool:
    """Django's check that the session was made with the user's current password (django.contrib.auth.get_user).

    A session signed with a fallback secret is moved to the current one; an unverified session is
    flushed, as Django does.
    """
    session = request.session
    session_hash = session.get(HASH_SESSION_KEY)
    current_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, current_hash):
        return True
    if session_hash and any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = current_hash
        return True
    session.flush()
    return False


@prepared
def _active_memberships_with_user(*, user_id: int) -> QuerySet[Membership]:
    """The user's active memberships, oldest first, each with the user, organization and team."""
    return (
        Membership.objects.active()
        .filter(user_id=user_id)
        .select_related("user", "organization", "team")
        .order_by("joined_at", "id")
    )


def _resolve_signed_in(request: HttpRequest) -> Membership | None:
    """The user and the acting membership together, in one query, on the request.

    One row per active membership of the active user (a person rarely has more than one), each
    with its user, organization and team: the user comes from the row, so Django's separate user
    query is not made; the query is compiled once per process (config/prepared.py). No row is
    cached across requests, so a changed role, team or activation takes effect on the very next
    request. A person with no active membership (or an inactive user) gets Django's own lookup: one
    more query, only for them.
    """
    if hasattr(request, "_cached_user"):  # already loaded (signed in during this request)
        return membership_for_request(request)
    user_id = _session_user_id(request)
    if user_id is None:
        return None
    memberships = _active_memberships_with_user(user_id=user_id)
    if not memberships:
        return None
    user = memberships[0].user
    for membership in memberships:
        membership.user = user  # one instance for the request, as request.user
    if not _session_verified(request, user):
        return None
    request._cached_user = user  # what django.contrib.auth.middleware.get_user returns from now on
    request.user = user
    return _acting(memberships, request.session.get(CURRENT_ORGANIZATION_SESSION_KEY))


class CurrentMembershipMiddleware:
    """Resolve the user and the acting membership (one query), and show times in the person's zone.

    Sessions are kept in the cache in front of the database (`cached_db` on Redis), so a signed-in
    request costs this one query and nothing else before the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = _resolve_signed_in(request)
        user = request.user
        if user.is_authenticated:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


def member_required(*roles: str, author: bool = False) -> Callable:
    """Allow the view to members of the current organization, optionally only some roles or authors.

    Anonymous visitors go to the sign-in page; a signed-in person without an organization goes to a
    page that says so; a member whose role may not use the view, or whom a service refuses with
    `NotPermitted`, gets a 404 (see module docstring).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None:
                return redirect("organizations:no_organization")
            if roles and membership.role not in roles:
                raise Http404("No such page in this organization.")
            if author and not membership.is_author:
                raise Http404("No such page in this organization.")
            try:
                return view(request, *args, **kwargs)
            except NotPermitted as refusal:
                # A service refused the actor: answer as for an object that does not exist.
                raise Http404("No such page in this organization.") from refusal

        return wrapped

    return decorator
