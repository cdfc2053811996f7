"""Invitations: creating (idempotent), sending on commit, revoking, resending, accepting (single use,
expiry, the invitation's organization) and the invitation pages' permissions and query budget.

Personas: alice (Acme admin), bob (Acme manager of the front desk), carol (Acme employee),
charlie (Globex admin, who must not touch anything of Acme's).
"""

from __future__ import annotations

import smtplib
import socket
import threading
from datetime import timedelta
from email import message_from_bytes
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import tasks as notification_tasks
from notifications.models import Message
from notifications.services import messages_enqueue
from organizations import services
from organizations.emails import invitation_draft
from organizations.models import Invitation, Membership, Role, User
from organizations.tenancy import CURRENT_ORGANIZATION_SESSION_KEY
from tests import factories
from tests.conftest import client_for
from tests.mailbox import deliver
from tests.organizations.invitation_fixtures import (  # noqa: F401  (fixtures)
    age,
    dave_invitation,
    eager_celery,
    front_desk,
    globex_team,
    housekeeping,
)

SITE_URL = "https://servicecraft.example"


def accept_url(invitation: Invitation) -> str:
    return reverse("organizations:invitation_accept", kwargs={"token": invitation.token})


# --- invitation_create ----------------------------------------------------------------------------


def test_invitation_create_stores_the_invitation_and_sends_the_email_on_commit(
    acme, alice, front_desk, eager_celery, django_capture_on_commit_callbacks
):
    # when
    with override_settings(SITE_URL=SITE_URL), django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = services.invitation_create(
            actor=alice, email=" Dave@Example.com ", name="Dave",
            role=Role.EMPLOYEE, team=front_desk, time_zone="America/New_York",
        )

    # then
    assert len(callbacks) == 1
    invitation.refresh_from_db()
    assert (invitation.email, invitation.role, invitation.team, invitation.time_zone) == (
        "dave@example.com", Role.EMPLOYEE, front_desk, "America/New_York"
    )
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    link = f"{SITE_URL}/invitations/accept/{invitation.token}/"
    assert email.to == ["dave@example.com"]
    assert email.subject == "Alice Admin invited you to join Acme Hotels on ServiceCraft"
    assert link in email.body
    assert "as employee in the team Front desk" in email.body
    assert "(America/New_York)" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


def test_the_email_is_not_sent_before_commit_nor_when_the_transaction_rolls_back(
    acme, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, mock.patch.object(
        notification_tasks.notifications_send_now, "delay"
    ) as delay:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.invitation_create(actor=alice, email="dave@example.com")
            assert delay.call_count == 0  # not before commit
            assert Message.objects.filter(to_email="dave@example.com").exists()  # planned in the transaction
            raise RuntimeError("the request failed after the invitation was written")

    assert callbacks == []
    delay.assert_not_called()
    assert not Invitation.objects.filter(email="dave@example.com").exists()
    assert not Message.objects.filter(to_email="dave@example.com").exists()


def test_a_double_submit_returns_the_open_invitation_and_sends_once(
    acme, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.invitation_create(actor=alice, email="dave@example.com")
        second = services.invitation_create(actor=alice, email="DAVE@example.com")

    assert first.pk == second.pk
    assert Invitation.objects.filter(organization=acme).count() == 1
    assert len(callbacks) == 1


def test_a_concurrent_insert_is_resolved_by_the_constraint_inside_a_savepoint(acme, alice):
    # given: another request committed an invitation for the same email after our check
    winner = factories.InvitationFactory(organization=acme, email="dave@example.com")
    real = services._open_invitations
    calls = iter([lambda **kwargs: Invitation.objects.none(), real])

    # when
    with mock.patch.object(services, "_open_invitations", side_effect=lambda **kw: next(calls)(**kw)):
        with transaction.atomic():
            result = services.invitation_create(actor=alice, email="dave@example.com")
            # the outer transaction is still usable after the caught IntegrityError
            assert Invitation.objects.filter(organization=acme).count() == 1

    # then
    assert result.pk == winner.pk


def test_an_expired_open_invitation_is_renewed(acme, alice, dave_invitation, django_capture_on_commit_callbacks):
    age(dave_invitation, days=8)
    old_token = dave_invitation.token

    with django_capture_on_commit_callbacks() as callbacks:
        renewed = services.invitation_create(
            actor=alice, email="dave@example.com", role=Role.MANAGER
        )

    assert renewed.pk == dave_invitation.pk
    renewed.refresh_from_db()
    assert renewed.token != old_token
    assert renewed.role == Role.MANAGER
    assert renewed.status == "pending"
    assert renewed.expires_at > timezone.now() + timedelta(days=6)
    assert len(callbacks) == 1


def test_an_active_member_cannot_be_invited(acme, alice, carol):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(actor=alice, email="Carol@acme.test")

    assert "already a member of Acme Hotels" in str(error.value)
    assert not Invitation.objects.exists()


def test_a_team_of_another_organization_is_rejected(acme, alice, globex_team):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(actor=alice, email="dave@example.com", team=globex_team)

    assert "team" in error.value.message_dict
    assert not Invitation.objects.exists()


def test_time_zone_defaults_to_the_organization(acme, alice):
    invitation = services.invitation_create(actor=alice, email="dave@example.com")

    assert invitation.time_zone == acme.time_zone == "Europe/Paris"


# --- sending ----------------------------------------------------------------------------------------


def planned(invitation: Invitation) -> Invitation:
    """What invitation_create and invitation_resend do in their transaction: the email goes in the ledger."""
    messages_enqueue(drafts=[invitation_draft(invitation)])
    return invitation


def test_the_invitation_is_emailed_once_however_often_the_pipeline_runs(dave_invitation):
    planned(dave_invitation)

    deliver()
    deliver()

    assert len(mail.outbox) == 1
    dave_invitation.refresh_from_db()
    assert dave_invitation.sent_at is not None


def test_a_revoked_or_resent_invitation_email_is_skipped_with_its_reason(alice, dave_invitation):
    planned(dave_invitation)
    services.invitation_revoke(invitation=dave_invitation, actor=alice)

    deliver()

    assert mail.outbox == []
    assert Message.objects.get(category="invitation").skip_reason == "The invitation was withdrawn."


def test_only_the_newest_link_is_emailed_after_a_resend(alice, dave_invitation, django_capture_on_commit_callbacks):
    planned(dave_invitation)
    old_token = dave_invitation.token
    services.invitation_resend(invitation=dave_invitation, actor=alice)

    (email,) = deliver()

    assert dave_invitation.token != old_token and dave_invitation.token in email.body
    skipped = Message.objects.get(dedup_key__endswith=old_token)
    assert skipped.skip_reason == "The invitation was sent again with a new link."


def test_an_smtp_failure_leaves_the_invitation_to_be_retried(dave_invitation):
    planned(dave_invitation)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    ):
        deliver()

    message = Message.objects.get(category="invitation")
    assert (message.status, message.attempts) == ("pending", 1)
    dave_invitation.refresh_from_db()
    assert dave_invitation.sent_at is None
    (email,) = deliver(message.not_before)  # the retry, after the backoff
    assert email.to == ["dave@example.com"]


class _Inbox:
    """aiosmtpd handler that keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.integration
def test_the_invitation_email_goes_through_a_real_smtp_server(dave_invitation):
    inbox = _Inbox()
    port = _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            SITE_URL=SITE_URL,
        ):
            planned(dave_invitation)
            deliver()
    finally:
        server.stop()

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["dave@example.com"]
    assert "Acme Hotels" in message["Subject"]
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
             if not part.is_multipart()}
    link = f"{SITE_URL}/invitations/accept/{dave_invitation.token}/"
    assert link in parts["text/plain"]
    assert link in parts["text/html"]
    dave_invitation.refresh_from_db()
    assert dave_invitation.sent_at is not None


# --- revoke and resend ------------------------------------------------------------------------------


def test_admin_revokes_an_invitation_and_its_link_stops_working(alice, dave_invitation):
    client = client_for(alice)

    response = client.post(reverse("organizations:invitation_revoke", kwargs={"invitation_id": dave_invitation.pk}))

    assert response.status_code == 302
    dave_invitation.refresh_from_db()
    assert dave_invitation.status == "revoked"
    assert client.get(accept_url(dave_invitation)).status_code == 410


def test_revoke_and_resend_answer_only_post(alice, dave_invitation):
    client = client_for(alice)
    for name in ("organizations:invitation_revoke", "organizations:invitation_resend"):
        assert client.get(reverse(name, kwargs={"invitation_id": dave_invitation.pk})).status_code == 405


def test_resend_gives_a_new_token_and_seven_more_days_and_sends_again(
    alice, dave_invitation, eager_celery, django_capture_on_commit_callbacks
):
    age(dave_invitation, days=8)  # an expired invitation can be resent
    old_token = dave_invitation.token

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            reverse("organizations:invitation_resend", kwargs={"invitation_id": dave_invitation.pk})
        )

    assert response.status_code == 302
    dave_invitation.refresh_from_db()
    assert dave_invitation.token != old_token
    assert dave_invitation.status == "pending"
    assert (
        timezone.now() + timedelta(days=6, hours=23) < dave_invitation.expires_at <= timezone.now() + timedelta(days=7)
    )
    assert len(mail.outbox) == 1
    assert dave_invitation.token in mail.outbox[0].body
    assert (
        client_for(alice).get(reverse("organizations:invitation_accept", kwargs={"token": old_token})).status_code
        == 404
    )


def test_an_accepted_invitation_cannot_be_revoked_or_resent(alice, dave_invitation):
    user = factories.UserFactory(email="dave@example.com")
    services.invitation_accept(invitation=dave_invitation, user=user)

    with pytest.raises(ValidationError):
        services.invitation_revoke(invitation=dave_invitation, actor=alice)
    with pytest.raises(ValidationError):
        services.invitation_resend(invitation=dave_invitation, actor=alice)


@pytest.mark.parametrize("name", ["organizations:invitation_revoke", "organizations:invitation_resend"])
def test_an_admin_of_another_organization_gets_404_and_changes_nothing(name, charlie, dave_invitation):
    before = Invitation.objects.values().get(pk=dave_invitation.pk)

    response = client_for(charlie).post(reverse(name, kwargs={"invitation_id": dave_invitation.pk}))

    assert response.status_code == 404
    assert Invitation.objects.values().get(pk=dave_invitation.pk) == before


# --- who may invite -----------------------------------------------------------------------------------


def test_admin_invites_through_the_page(acme, alice, housekeeping, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(alice).post(
            reverse("organizations:invitation_create"),
            {"email": "erin@example.com", "name": "Erin", "role": Role.MANAGER, "team": housekeeping.pk,
             "time_zone": "Europe/Lisbon"},
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="erin@example.com")
    assert (invitation.organization, invitation.role, invitation.team, invitation.time_zone) == (
        acme, Role.MANAGER, housekeeping, "Europe/Lisbon"
    )
    assert invitation.invited_by == alice.user
    assert len(callbacks) == 1


def test_the_confirmation_gives_the_expiry_date_in_the_inviters_time_zone(alice, housekeeping):
    # given: alice works in Tokyo (UTC+9) and invites at 22:00 UTC, already tomorrow for her
    alice.user.time_zone = "Asia/Tokyo"
    alice.user.save(update_fields=["time_zone"])
    client = client_for(alice)
    invited_at = timezone.now().replace(hour=22, minute=0, second=0, microsecond=0)

    # when
    with mock.patch("django.utils.timezone.now", return_value=invited_at):
        response = client.post(
            reverse("organizations:invitation_create"),
            {"email": "erin@example.com", "role": Role.EMPLOYEE, "team": housekeeping.pk, "time_zone": "UTC"},
            follow=True,
        )

    # then: the link expires 7 days later at 07:00 in Tokyo, on the day after the UTC date
    expires_in_tokyo = (invited_at + timedelta(days=8)).strftime("%d %b %Y")
    assert f"The link is valid until {expires_in_tokyo}." in response.content.decode()


def test_the_page_rejects_a_team_of_another_organization(alice, globex_team):
    response = client_for(alice).post(
        reverse("organizations:invitation_create"),
        {"email": "erin@example.com", "role": Role.EMPLOYEE, "team": globex_team.pk, "time_zone": "UTC"},
    )

    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_the_page_says_when_the_person_is_already_a_member(alice, carol):
    response = client_for(alice).post(
        reverse("organizations:invitation_create"),
        {"email": "carol@acme.test", "role": Role.EMPLOYEE, "time_zone": "UTC"},
    )

    assert response.status_code == 200
    assert "already a member" in " ".join(response.context["form"].errors["email"])


def test_manager_invites_an_employee_into_a_team_they_manage(acme, bob, front_desk):
    response = client_for(bob).post(
        reverse("organizations:invitation_create"),
        {"email": "erin@example.com", "role": Role.EMPLOYEE, "team": front_desk.pk, "time_zone": "UTC"},
    )

    assert response.status_code == 302
    assert Invitation.objects.get(email="erin@example.com").team == front_desk


@pytest.mark.parametrize(
    "data",
    [
        {"role": Role.ADMIN, "team": "front_desk"},  # managers invite employees only
        {"role": Role.EMPLOYEE, "team": "housekeeping"},  # not a team bob manages
        {"role": Role.EMPLOYEE, "team": ""},  # managers must choose one of their teams
    ],
)
def test_manager_cannot_invite_beyond_their_teams(data, request, bob, front_desk, housekeeping):
    team = request.getfixturevalue(data["team"]).pk if data["team"] else ""

    response = client_for(bob).post(
        reverse("organizations:invitation_create"),
        {"email": "erin@example.com", "role": data["role"], "team": team, "time_zone": "UTC"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Invitation.objects.exists()


def test_manager_sees_and_manages_only_their_teams_invitations(acme, alice, bob, front_desk, housekeeping):
    mine = factories.InvitationFactory(organization=acme, team=front_desk, email="mine@example.com")
    other = factories.InvitationFactory(organization=acme, team=housekeeping, email="other@example.com")
    client = client_for(bob)

    response = client.get(reverse("organizations:invitation_list"))

    assert [invitation.pk for invitation in response.context["invitations"]] == [mine.pk]
    assert (
        client.post(reverse("organizations:invitation_revoke", kwargs={"invitation_id": other.pk})).status_code == 404
    )
    assert client.post(reverse("organizations:invitation_revoke", kwargs={"invitation_id": mine.pk})).status_code == 302


@pytest.mark.parametrize(
    "name", ["organizations:invitation_list", "organizations:invitation_create", "organizations:invitation_import"]
)
def test_employees_get_404_on_invitation_pages(name, carol):
    assert client_for(carol).get(reverse(name)).status_code == 404


def test_the_list_shows_each_status_and_filters(acme, alice, front_desk):
    pending = factories.InvitationFactory(organization=acme, email="pending@example.com")
    expired = age(factories.InvitationFactory(organization=acme, email="expired@example.com"), days=8)
    revoked = factories.InvitationFactory(organization=acme, email="revoked@example.com", revoked_at=timezone.now())
    accepted = factories.InvitationFactory(organization=acme, email="accepted@example.com", accepted_at=timezone.now())
    client = client_for(alice)

    response = client.get(reverse("organizations:invitation_list"))

    assert response.status_code == 200
    assert response.context["counts"] == {"pending": 1, "accepted": 1, "expired": 1, "revoked": 1}
    body = response.content.decode()
    for label in ("Pending", "Accepted", "Expired", "Revoked"):
        assert 'class="badge' in body and label in body
    for status, invitation in [
        ("pending", pending),
        ("expired", expired),
        ("revoked", revoked),
        ("accepted", accepted),
    ]:
        filtered = client.get(reverse("organizations:invitation_list"), {"status": status}).context["invitations"]
        assert [row.pk for row in filtered] == [invitation.pk]


def _grow(acme, alice, team, size: int) -> None:
    for _ in range(size):
        factories.InvitationFactory(organization=acme, team=team, invited_by=alice.user)
        factories.InvitationFactory(organization=acme, invited_by=factories.UserFactory(), accepted_at=timezone.now(),
                                    accepted_by=factories.UserFactory())


def test_the_invitation_list_stays_within_its_query_budget_as_data_grows(
    acme, alice, front_desk, django_assert_max_num_queries
):
    client = client_for(alice)
    url = reverse("organizations:invitation_list")
    counts = []
    for size in (3, 30):
        _grow(acme, alice, front_desk, size)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


# --- accepting --------------------------------------------------------------------------------------


def test_an_unknown_token_is_404_with_a_clear_page(client, db):
    response = client.get(reverse("organizations:invitation_accept", kwargs={"token": "no-such-token"}))

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_an_invitation_older_than_seven_days_cannot_be_accepted(client, dave_invitation):
    age(dave_invitation, days=8)

    response = client.get(accept_url(dave_invitation))

    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    with pytest.raises(services.InvitationNotAcceptable) as error:
        services.invitation_accept(invitation=dave_invitation, user=factories.UserFactory(email="dave@example.com"))
    assert error.value.reason == "expired"


def test_an_invitation_expires_when_the_clock_passes_eight_days(acme, alice):
    invitation = services.invitation_create(actor=alice, email="dave@example.com")
    user = factories.UserFactory(email="dave@example.com")

    eight_days_later = timezone.now() + timedelta(days=8)
    with mock.patch("django.utils.timezone.now", return_value=eight_days_later):
        assert invitation.status == "expired"
        with pytest.raises(services.InvitationNotAcceptable):
            services.invitation_accept(invitation=invitation, user=user)

    assert not Membership.objects.filter(user=user).exists()


def test_an_invitation_is_single_use(dave_invitation):
    user = factories.UserFactory(email="dave@example.com")
    first = services.invitation_accept(invitation=dave_invitation, user=user)

    # Used again by the person who used it (the link clicked twice): not an error, the same membership.
    again = services.invitation_accept(invitation=Invitation.objects.get(pk=dave_invitation.pk), user=user)
    assert again.pk == first.pk
    # Anyone else, even with the invited address (dave has since changed his): already used.
    User.objects.filter(pk=user.pk).update(email="dave@elsewhere.example")
    newcomer = factories.UserFactory(email="dave@example.com")
    with pytest.raises(services.InvitationNotAcceptable) as error:
        services.invitation_accept(invitation=Invitation.objects.get(pk=dave_invitation.pk), user=newcomer)

    assert error.value.reason == "accepted"
    assert Membership.objects.filter(user__in=[user, newcomer]).count() == 1


def test_a_used_link_is_410_for_anyone_else(client, dave_invitation):
    services.invitation_accept(invitation=dave_invitation, user=factories.UserFactory(email="dave@example.com"))

    response = client.get(accept_url(dave_invitation))

    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_the_invitation_lands_the_person_in_its_organization_role_and_team(acme, globex, dave_invitation, front_desk):
    # given: dave already works at Globex and acts there
    dave_at_globex = factories.member(globex, Role.ADMIN, user__email="dave@example.com", user__name="Dave")
    client = client_for(dave_at_globex)
    session = client.session
    session[CURRENT_ORGANIZATION_SESSION_KEY] = globex.pk
    session.save()

    # when
    response = client.get(accept_url(dave_invitation))

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollments:home")
    membership = Membership.objects.get(user=dave_at_globex.user, organization=acme)
    assert (membership.role, membership.team) == (Role.EMPLOYEE, front_desk)
    assert Membership.objects.get(pk=dave_at_globex.pk).role == Role.ADMIN  # Globex unchanged
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == acme.pk
    dave_invitation.refresh_from_db()
    assert dave_invitation.accepted_by == dave_at_globex.user
    user = dave_at_globex.user
    user.refresh_from_db()
    assert user.time_zone == "Europe/Paris"  # not his first organization: his time zone stays


def test_a_former_manager_comes_back_with_only_what_the_invitation_grants(acme, alice, front_desk, housekeeping):
    # given: erin managed housekeeping and could author courses, then was deactivated
    erin = factories.member(acme, Role.MANAGER, can_author=True, user__email="erin@example.com")
    housekeeping.managers.add(erin)
    services.membership_update(
        membership=erin, actor=alice, role=Role.MANAGER, team=None, job_title="", can_author=True, is_active=False
    )
    invitation = services.invitation_create(
        actor=alice, email="erin@example.com", role=Role.EMPLOYEE, team=front_desk
    )

    # when: she comes back as an employee
    membership = services.invitation_accept(invitation=invitation, user=erin.user)

    # then: neither the authoring right nor the teams of her former role come back with her
    membership.refresh_from_db()
    assert (membership.pk, membership.is_active, membership.role, membership.team) == (
        erin.pk, True, Role.EMPLOYEE, front_desk
    )
    assert membership.can_author is False
    assert list(membership.managed_teams.all()) == []


def test_the_inviters_organization_does_not_matter(acme, globex, alice, front_desk):
    # given: alice is also a Globex admin and currently acts in Globex
    factories.member(globex, Role.ADMIN, user=alice.user)
    invitation = services.invitation_create(
        actor=alice, email="dave@example.com", team=front_desk
    )
    user = factories.UserFactory(email="dave@example.com", time_zone="UTC")

    membership = services.invitation_accept(invitation=invitation, user=user)

    assert membership.organization == acme
    assert not Membership.objects.filter(user=user, organization=globex).exists()
    user.refresh_from_db()
    assert user.time_zone == "Europe/Paris"  # first organization: the invitation's time zone


def test_a_signed_in_person_with_another_email_gets_a_clear_message(carol, dave_invitation):
    response = client_for(carol).get(accept_url(dave_invitation))

    assert response.status_code == 403
    body = response.content.decode()
    assert "dave@example.com" in body and "carol@acme.test" in body
    assert not Membership.objects.filter(user=carol.user, organization=dave_invitation.organization).exclude(
        pk=carol.pk
    ).exists()
    dave_invitation.refresh_from_db()
    assert dave_invitation.status == "pending"


def test_the_service_refuses_another_email(dave_invitation, carol):
    with pytest.raises(services.InvitationNotAcceptable) as error:
        services.invitation_accept(invitation=dave_invitation, user=carol.user)

    assert error.value.reason == "wrong_email"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_acceptances_by_the_invited_person_make_one_membership_and_both_succeed():
    organization = factories.OrganizationFactory()
    invitation = factories.InvitationFactory(organization=organization, email="dave@example.com")
    user = factories.UserFactory(email="dave@example.com")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept() -> None:
        try:
            barrier.wait()
            services.invitation_accept(invitation=Invitation.objects.get(pk=invitation.pk), user=user)
            outcomes.append("accepted")
        except services.InvitationNotAcceptable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The one who lost the conditional update is the same person: they joined, not "already used".
    assert sorted(outcomes) == ["accepted", "accepted"]
    assert Membership.objects.filter(user=user, organization=organization).count() == 1
