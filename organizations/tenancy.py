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
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from organizations.models import Membership
from organizations.permissions import NotPermitted

CURRENT_ORGANIZATION_SESSION_KEY = "current_organization_id"


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The active membership the request acts in: the one chosen with the switcher, else the oldest."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=user).select_related("organization", "team")
    chosen_id = request.session.get(CURRENT_ORGANIZATION_SESSION_KEY)
    if chosen_id is not None:
        membership = memberships.filter(organization_id=chosen_id).first()
        if membership is not None:
            return membership
    return memberships.order_by("joined_at", "id").first()


def set_current_organization(request: HttpRequest, organization_id: int) -> None:
    request.session[CURRENT_ORGANIZATION_SESSION_KEY] = organization_id


class CurrentMembershipMiddleware:
    """Resolve the acting membership, and show times in the person's own time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = membership_for_request(request)
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
