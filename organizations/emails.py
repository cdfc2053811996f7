"""The emails this app sends, as categories of the delivery ledger: invitations and account mail.

Both go through `notifications` like every other email: planned as a row in the transaction that
makes them necessary, sent by a worker, recorded once. Registered in `OrganizationsConfig.ready()`.
"""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from notifications.categories import Category, register
from notifications.models import Message
from notifications.services import Draft, message_render
from organizations.models import Invitation

INVITATION = "invitation"
ACCOUNT = "account"


def invitation_accept_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("organizations:invitation_accept", kwargs={"token": invitation.token})


def invitation_dedup_key(invitation: Invitation) -> str:
    # The token is part of the key: a re-sent invitation (new token) is a new email; the old one,
    # if still waiting, is skipped as replaced.
    return f"invitation:{invitation.pk}:{invitation.token}"


def invitation_draft(invitation: Invitation) -> Draft:
    """The invitation email, with its expiry in the invitee's time zone (the one the invitation names).

    Templates convert every aware datetime to the *active* time zone before formatting it, so the
    rendering runs with the invitee's zone active: the time printed and the zone named beside it agree.
    """
    zone_name = invitation.time_zone or invitation.organization.time_zone or "UTC"
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter_name": invitation.invited_by.display_name if invitation.invited_by else "",
        "role": invitation.get_role_display(),
        "team": invitation.team,
        "link": invitation_accept_url(invitation),
        "expires_at": timezone.localtime(invitation.expires_at, zoneinfo.ZoneInfo(zone_name)),
        "site_url": settings.SITE_URL,
    }
    subject, text, html = message_render("emails/invitation", context, time_zone=zone_name)
    return Draft(
        dedup_key=invitation_dedup_key(invitation),
        category=INVITATION,
        to_email=invitation.email,
        subject=subject,
        body_text=text,
        body_html=html,
        tenant_id=invitation.organization_id,
        object_id=invitation.pk,
        time_zone=zone_name,
    )


def invitations_still_relevant(messages: list[Message]) -> dict[int, str]:
    """Skip an invitation email whose invitation was used, withdrawn, expired or sent again since."""
    invitations = Invitation.objects.in_bulk([message.object_id for message in messages])
    now = timezone.now()
    reasons = {}
    for message in messages:
        invitation = invitations.get(message.object_id)
        if invitation is None:
            reasons[message.pk] = "The invitation was deleted."
        elif message.dedup_key != invitation_dedup_key(invitation):
            reasons[message.pk] = "The invitation was sent again with a new link."
        elif invitation.accepted_at is not None:
            reasons[message.pk] = "The invitation was already accepted."
        elif invitation.revoked_at is not None:
            reasons[message.pk] = "The invitation was withdrawn."
        elif invitation.expires_at <= now:
            reasons[message.pk] = "The invitation expired before it could be sent."
    return reasons


def invitations_mark_sent(messages: list[Message]) -> None:
    """Stamp `sent_at` on the invitations whose current link just went out (the list shows "Sent")."""
    tokens = [message.dedup_key.rsplit(":", 1)[-1] for message in messages]
    Invitation.objects.filter(token__in=tokens, sent_at__isnull=True).update(sent_at=timezone.now())


def account_mail_draft(message: EmailMessage, *, recipient) -> Draft:
    """An email allauth rendered (confirmation, password reset...), as a ledger draft.

    Each is its own message (a person who asks for two resets gets two links), so the key is random.
    """
    html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
    text = message.body
    if message.content_subtype == "html":
        html, text = message.body, strip_tags(message.body)
    return Draft(
        dedup_key=f"account:{uuid.uuid4().hex}",
        category=ACCOUNT,
        to_email=message.to[0],
        subject=message.subject,
        body_text=text,
        body_html=html,
        recipient_id=recipient.pk if recipient is not None else None,
        time_zone=getattr(recipient, "time_zone", "") or "UTC",
    )


def register_categories() -> None:
    register(
        Category(
            name=INVITATION,
            label="Invitations",
            description="The link to join an organization.",
            still_relevant=invitations_still_relevant,
            on_sent=invitations_mark_sent,
        )
    )
    register(
        Category(
            name=ACCOUNT,
            label="Account and sign-in",
            description="Email address confirmation, password reset and other account security mail.",
        )
    )
