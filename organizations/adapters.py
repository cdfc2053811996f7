"""django-allauth hooks: sign-up is open only to holders of a valid invitation.

The invitation link (`organizations:invitation_accept`) stores the token in the session and sends a
signed-out invitee to allauth's sign-up page. There, `is_open_for_signup` lets them in only while the
token names a pending invitation; `InvitationSignupForm` (organizations/forms.py) locks the email to
the invitation's and, inside the transaction that creates the user, calls the
`invitation_accept` service through its `signup()` hook. No signals are involved.

allauth's emails (address confirmation, password reset, "no account for this address", "you already
have an account") use the product's templates in templates/account/email/, name the person's
organization and the product, and link to `SITE_URL`: the adapter builds every link from it rather
than from the Host of the request that triggered the email, which behind a proxy or on an internal
address is not where the recipient can reach the product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from notifications.services import messages_enqueue

if TYPE_CHECKING:
    from organizations.models import Invitation

PRODUCT_NAME = "ServiceCraft"
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

    # --- Emails ----------------------------------------------------------------------------------

    def get_email_confirmation_url(self, request: HttpRequest | None, emailconfirmation) -> str:
        return site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth's own construction (one opaque key in place of "UID-KEY"), on SITE_URL.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_url(path.replace("UID-KEY", quote(key)))

    def send_account_already_exists_mail(self, email: str) -> None:
        """Someone tried to sign up with an address that has an account: point them to sign-in and reset."""
        self.send_mail("account/email/account_already_exists", email, {})

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every allauth email: add the product, the organization and SITE_URL links to its context.

        allauth's own links to its sign-up and reset pages (`signup_url`, and `password_reset_url`
        outside the reset email itself) are built from the request's host; they are replaced here.
        """
        from organizations.emails import account_mail_draft
        from organizations.selectors import account_for_email, organization_to_name

        request = self.request
        context = dict(context)
        # The recipient, never the person signed in on the request (the template context's default
        # `user`): they may differ, and an address without an account greets nobody by name.
        recipient = context.get("user") or account_for_email(email=email)
        context["user"] = recipient
        context.pop("signup_url", None)  # sign-up is by invitation only: there is no page to send anyone to
        if template_prefix != "account/email/password_reset_key":
            context["password_reset_url"] = site_url(reverse("account_reset_password"))
        context.update(
            product_name=PRODUCT_NAME,
            site_url=settings.SITE_URL,
            sign_in_url=site_url(reverse("account_login")),
            organization=(
                organization_to_name(user=recipient, acting=getattr(request, "membership", None))
                if recipient is not None
                else None
            ),
            confirmation_days=allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
            password_reset_days=max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)),
        )
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        # Through the delivery ledger like every email: stored in this request's transaction, sent by a worker.
        messages_enqueue(
            drafts=[account_mail_draft(self.render_mail(template_prefix, email, context), recipient=recipient)],
            send_now=True,
        )


def site_url(path: str) -> str:
    """An absolute link on the public address (`SITE_URL`), whatever host the request came in on."""
    return settings.SITE_URL + path
