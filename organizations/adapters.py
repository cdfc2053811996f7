"""django-allauth hooks: sign-up is open only to holders of a valid invitation.

The invitation link (`organizations:invitation_accept`) stores the token in the session and sends a
signed-out invitee to allauth's sign-up page. There, `is_open_for_signup` lets them in only while the
token names a pending invitation; `InvitationSignupForm` (organizations/forms.py) locks the email to
the invitation's and, inside the transaction that creates the user, calls the
`invitation_accept` service through its `signup()` hook. No signals are involved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

if TYPE_CHECKING:
    from organizations.models import Invitation

INVITATION_SESSION_KEY = "invitation_token"
_CACHE_ATTRIBUTE = "_signup_invitation"


def remember_invitation(request: HttpRequest, token: str) -> None:
    """Keep the invitation token for the sign-up that follows (in the session, never in the URL)."""
    request.session[INVITATION_SESSION_KEY] = token
    request.__dict__.pop(_CACHE_ATTRIBUTE, None)


def forget_invitation(request: HttpRequest) -> None:
    request.session.pop(INVITATION_SESSION_KEY, None)
    request.__dict__.pop(_CACHE_ATTRIBUTE, None)


def signup_invitation(request: HttpRequest | None) -> Invitation | None:
    """The pending invitation whose token is in the session, or None (looked up once per request)."""
    if request is None:
        return None
    if _CACHE_ATTRIBUTE not in request.__dict__:
        from organizations.selectors import invitation_by_token

        invitation = invitation_by_token(token=request.session.get(INVITATION_SESSION_KEY, ""))
        request.__dict__[_CACHE_ATTRIBUTE] = invitation if invitation and invitation.status == "pending" else None
    return request.__dict__[_CACHE_ATTRIBUTE]


def invitation_unusable_response(request: HttpRequest, reason: str, *, status: int = 410) -> HttpResponse:
    """The page that says an invitation link cannot be used, and why."""
    return render(request, "organizations/invitation_invalid.html", {"reason": reason}, status=status)


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Sign-up is by invitation only: open while the session holds a pending invitation's token."""
        return signup_invitation(request) is not None

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """Save the new person with the name typed on the sign-up form (prefilled from the invitation)."""
        user = super().save_user(request, user, form, commit=False)
        user.name = (form.cleaned_data.get("name") or "").strip()
        if commit:
            user.save()
        return user
