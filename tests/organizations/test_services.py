"""Services of the organization admin pages: standard history, teams, memberships, settings."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from organizations import services
from organizations.models import (
    Invitation,
    Membership,
    OrganizationRevision,
    Role,
    ServiceStandard,
    ServiceStandardRevision,
    Team,
)
from organizations.permissions import NotPermitted
from tests import factories

# --- Service standards ------------------------------------------------------------------------


def test_standard_create_writes_version_1_with_the_initial_values(acme, alice):
    standard = services.standard_create(actor=alice, code="S1",
        title="Greet every guest",
        description="Within ten seconds.",
        behaviors=["Makes eye contact", "Says hello"],
        order=3,
    )

    assert standard.version == 1
    revision = standard.revisions.get()
    assert revision.version == 1
    assert revision.edited_by == alice.user
    assert revision.changes == {
        "code": [None, "S1"],
        "title": [None, "Greet every guest"],
        "description": [None, "Within ten seconds."],
        "behaviors": [None, ["Makes eye contact", "Says hello"]],
        "order": [None, 3],
        "is_active": [None, True],
    }


def test_two_edits_write_two_revisions_with_their_diffs_and_editors(acme, alice):
    # given
    other_admin = factories.member(acme, Role.ADMIN)
    standard = services.standard_create(
        actor=alice, code="S1", title="Greet", behaviors=["Smiles"]
    )

    # when
    first = services.standard_update(standard=standard, actor=alice, title="Greet every guest")
    second = services.standard_update(
        standard=standard,
        actor=other_admin,
        title="Greet every guest",  # unchanged: not part of the diff
        behaviors=["Smiles", "Says hello"],
        order=5,
    )

    # then
    assert (first.version, first.edited_by, first.changes) == (
        2,
        alice.user,
        {"title": ["Greet", "Greet every guest"]},
    )
    assert (second.version, second.edited_by, second.changes) == (
        3,
        other_admin.user,
        {"behaviors": [["Smiles"], ["Smiles", "Says hello"]], "order": [0, 5]},
    )
    stored = ServiceStandard.objects.get(pk=standard.pk)
    assert (stored.version, stored.title, stored.behaviors, stored.order) == (
        3,
        "Greet every guest",
        ["Smiles", "Says hello"],
        5,
    )
    assert list(stored.revisions.values_list("version", flat=True)) == [3, 2, 1]
    assert standard.version == 3  # the caller's instance reflects what was saved


def test_an_edit_that_changes_nothing_writes_nothing(acme, alice):
    standard = services.standard_create(
        actor=alice, code="S1", title="Greet", behaviors=["Smiles"]
    )
    updated_at = ServiceStandard.objects.get(pk=standard.pk).updated_at

    revision = services.standard_update(
        standard=standard, actor=alice, code="S1", title="Greet", behaviors=["Smiles"], is_active=True
    )

    assert revision is None
    stored = ServiceStandard.objects.get(pk=standard.pk)
    assert (stored.version, stored.updated_at) == (1, updated_at)
    assert ServiceStandardRevision.objects.filter(standard=standard).count() == 1


def test_the_diff_is_computed_against_the_stored_row_not_a_stale_instance(acme, alice):
    # given two admins loaded the same standard; the first saves a new title
    standard = services.standard_create(actor=alice, code="S1", title="Greet")
    stale_copy = ServiceStandard.objects.get(pk=standard.pk)
    services.standard_update(standard=standard, actor=alice, title="Greet warmly")

    # when the second one saves from the stale copy
    revision = services.standard_update(standard=stale_copy, actor=alice, title="Greet quickly")

    # then "before" is what was really stored, and the version keeps counting
    assert revision.changes == {"title": ["Greet warmly", "Greet quickly"]}
    assert revision.version == 3


def test_deactivating_is_a_recorded_revision(acme, alice):
    standard = services.standard_create(actor=alice, code="S1", title="Greet")

    revision = services.standard_update(standard=standard, actor=alice, is_active=False)

    assert revision.changes == {"is_active": [True, False]}
    assert ServiceStandard.objects.get(pk=standard.pk).is_active is False


def test_standard_update_refuses_fields_that_are_not_versioned(acme, alice):
    standard = services.standard_create(actor=alice, code="S1", title="Greet")

    with pytest.raises(TypeError):
        services.standard_update(standard=standard, actor=alice, organization_id=999)


def test_a_duplicate_code_is_a_validation_error_not_an_integrity_error(acme, alice):
    services.standard_create(actor=alice, code="S1", title="Greet")
    other = services.standard_create(actor=alice, code="S2", title="Listen")

    with pytest.raises(ValidationError) as create_error:
        services.standard_create(actor=alice, code="S1", title="Again")
    with pytest.raises(ValidationError) as update_error:
        services.standard_update(standard=other, actor=alice, code="S1")

    assert "code" in create_error.value.message_dict
    assert "code" in update_error.value.message_dict
    assert ServiceStandard.objects.get(pk=other.pk).code == "S2"


def test_the_same_code_may_exist_in_two_organizations(acme, globex, alice, charlie):
    services.standard_create(actor=alice, code="S1", title="Greet")

    standard = services.standard_create(actor=charlie, code="S1", title="Greet")

    assert standard.organization == globex


# --- Teams ------------------------------------------------------------------------------------


def test_team_create_sets_its_managers(acme, alice, bob):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob, alice])

    assert set(team.managers.all()) == {alice, bob}


def test_a_team_manager_from_another_organization_is_refused(acme, alice, bob, charlie):
    with pytest.raises(ValidationError) as error:
        services.team_create(actor=alice, name="Front desk", managers=[bob, charlie])

    assert "managers" in error.value.message_dict
    assert not acme.teams.exists()


def test_an_employee_cannot_manage_a_team(acme, alice, carol):
    with pytest.raises(ValidationError):
        services.team_create(actor=alice, name="Front desk", managers=[carol])


def test_a_team_needs_a_manager(acme, alice):
    with pytest.raises(ValidationError):
        services.team_create(actor=alice, name="Front desk", managers=[])


def test_a_duplicate_team_name_is_a_validation_error(acme, alice, bob):
    services.team_create(actor=alice, name="Front desk", managers=[bob])

    with pytest.raises(ValidationError) as error:
        services.team_create(actor=alice, name="Front desk", managers=[bob])

    assert "name" in error.value.message_dict


def test_deleting_a_team_keeps_its_members(acme, alice, bob, carol):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob])
    carol.team = team
    carol.save()

    services.team_delete(team=team, actor=alice)

    carol.refresh_from_db()
    assert carol.team is None
    assert carol.is_active


# --- Memberships ------------------------------------------------------------------------------


def _update(membership, *, by, **changes):
    fields = {
        "role": membership.role,
        "team": membership.team,
        "job_title": membership.job_title,
        "can_author": membership.can_author,
        "is_active": membership.is_active,
    }
    fields.update(changes)
    return services.membership_update(membership=membership, actor=by, **fields)


def test_the_last_active_admin_cannot_demote_themselves(alice, bob):
    with pytest.raises(ValidationError) as error:
        _update(alice, by=alice, role=Role.MANAGER)

    assert "role" in error.value.message_dict
    alice.refresh_from_db()
    assert alice.role == Role.ADMIN


def test_the_last_active_admin_cannot_deactivate_themselves(alice):
    with pytest.raises(ValidationError) as error:
        _update(alice, by=alice, is_active=False)

    assert "is_active" in error.value.message_dict
    alice.refresh_from_db()
    assert alice.is_active


def test_an_inactive_second_admin_does_not_count(acme, alice):
    factories.member(acme, Role.ADMIN, is_active=False)

    with pytest.raises(ValidationError):
        _update(alice, by=alice, role=Role.EMPLOYEE)


def test_an_admin_may_step_down_when_another_admin_remains(acme, alice):
    factories.member(acme, Role.ADMIN)

    updated = _update(alice, by=alice, role=Role.MANAGER)

    assert updated.role == Role.MANAGER


def test_an_admin_of_another_organization_does_not_count(alice, charlie):
    with pytest.raises(ValidationError):
        _update(alice, by=alice, role=Role.EMPLOYEE)


def test_membership_update_changes_the_fields(acme, alice, carol):
    team = factories.TeamFactory(organization=acme)

    updated = _update(carol, by=alice, role=Role.MANAGER, team=team, job_title="Concierge", can_author=True)

    carol.refresh_from_db()
    assert (carol.role, carol.team, carol.job_title, carol.can_author) == (
        Role.MANAGER,
        team,
        "Concierge",
        True,
    )
    assert updated.pk == carol.pk


def test_may_author_is_kept_only_for_managers(alice, carol):
    updated = _update(carol, by=alice, can_author=True)

    assert updated.can_author is False


def test_a_team_of_another_organization_is_refused(globex, alice, carol):
    with pytest.raises(ValidationError):
        _update(carol, by=alice, team=factories.TeamFactory(organization=globex))


def test_a_manager_made_employee_stops_managing_teams(acme, alice, bob):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob, alice])

    _update(bob, by=alice, role=Role.EMPLOYEE)

    assert list(team.managers.all()) == [alice]


# --- Organization settings --------------------------------------------------------------------


def test_organization_update_changes_the_settings(acme, alice):
    services.organization_update(
        organization=acme,
        actor=alice,
        name="Acme Resorts",
        vision="Be loved.",
        customer_promise="We listen.",
        time_zone="Asia/Tokyo",
    )

    acme.refresh_from_db()
    assert (acme.name, acme.vision, acme.customer_promise, acme.time_zone) == (
        "Acme Resorts",
        "Be loved.",
        "We listen.",
        "Asia/Tokyo",
    )


def test_organization_update_refuses_an_unknown_time_zone_and_other_fields(acme, alice):
    with pytest.raises(ValidationError):
        services.organization_update(organization=acme, actor=alice, time_zone="Mars/Olympus")
    with pytest.raises(TypeError):
        services.organization_update(organization=acme, actor=alice, slug="taken")


def test_organization_update_keeps_each_change_of_the_vision_and_promise_as_a_revision(
    acme, alice
):
    # given
    acme.vision, acme.customer_promise = "Old vision", "Old promise"
    acme.save()

    # when
    first = services.organization_update(
        organization=acme,
        actor=alice,
        vision="New vision",
        customer_promise="Old promise",
    )
    second = services.organization_update(
        organization=acme, actor=alice, customer_promise="New promise"
    )

    # then: only what changed is recorded, versions count up, with who changed it
    assert (first.version, second.version) == (1, 2)
    assert first.changes == {"vision": ["Old vision", "New vision"]}
    assert second.changes == {"customer_promise": ["Old promise", "New promise"]}
    assert first.edited_by == alice.user
    assert list(
        OrganizationRevision.objects.of_organization(acme.pk).values_list(
            "version", flat=True
        )
    ) == [2, 1]
    assert acme.customer_promise == "New promise"  # the caller's object is up to date


def test_organization_update_without_a_change_writes_nothing(acme, alice):
    assert (
        services.organization_update(
            organization=acme, actor=alice, vision=acme.vision, name=acme.name
        )
        is None
    )
    assert not OrganizationRevision.objects.exists()


@pytest.mark.parametrize("who", ["bob", "carol", "charlie"])
def test_only_an_admin_of_the_organization_may_change_its_settings(acme, who, request):
    actor = request.getfixturevalue(
        who
    )  # a manager, an employee, another organization's admin
    with pytest.raises(NotPermitted):
        services.organization_update(organization=acme, actor=actor, vision="Hijacked")
    acme.refresh_from_db()
    assert acme.vision != "Hijacked"
    assert not OrganizationRevision.objects.exists()


# --- Team members -----------------------------------------------------------------------------


@pytest.fixture
def front(acme, bob):
    return factories.TeamFactory(organization=acme, name="Front desk")


@pytest.fixture
def back(acme):
    return factories.TeamFactory(organization=acme, name="Back office")


def test_team_member_add_moves_a_person_into_the_team(alice, carol, front, back):
    carol.team = back
    carol.save()

    services.team_member_add(actor=alice, team=front, membership=carol)

    carol.refresh_from_db()
    assert carol.team == front
    services.team_member_add(
        actor=alice, team=front, membership=carol
    )  # again: nothing changes
    carol.refresh_from_db()
    assert carol.team == front


def test_team_member_remove_leaves_the_person_in_the_organization_without_a_team(
    alice, carol, front
):
    carol.team = front
    carol.save()

    services.team_member_remove(actor=alice, team=front, membership=carol)

    carol.refresh_from_db()
    assert carol.team is None and carol.is_active


def test_team_member_remove_of_someone_in_another_team_changes_nothing(
    alice, carol, front, back
):
    carol.team = back
    carol.save()
    with pytest.raises(ValidationError):
        services.team_member_remove(actor=alice, team=front, membership=carol)
    carol.refresh_from_db()
    assert carol.team == back


def test_a_deactivated_person_is_not_added(alice, carol, front):
    carol.is_active = False
    carol.save()
    with pytest.raises(ValidationError):
        services.team_member_add(actor=alice, team=front, membership=carol)
    carol.refresh_from_db()
    assert carol.team is None


@pytest.mark.parametrize("who", ["bob", "carol", "charlie"])
def test_only_an_admin_of_the_organization_changes_team_members(
    who, request, carol, front
):
    actor = request.getfixturevalue(who)
    with pytest.raises(NotPermitted):
        services.team_member_add(actor=actor, team=front, membership=carol)
    carol.team = front
    carol.save()
    with pytest.raises(NotPermitted):
        services.team_member_remove(actor=actor, team=front, membership=carol)
    carol.refresh_from_db()
    assert carol.team == front


def test_a_person_of_another_organization_is_never_added(alice, charlie, front):
    with pytest.raises(NotPermitted):
        services.team_member_add(actor=alice, team=front, membership=charlie)
    charlie.refresh_from_db()
    assert charlie.team is None


# --- Services are the permission boundary -------------------------------------------------------
#
# Every writing service checks its actor itself (tasks and the HR API call them without a view):
# charlie (Globex admin) touches nothing of Acme's, and a role too low is refused, with nothing written.


def _admin_only_calls(acme, bob, carol):
    standard = factories.ServiceStandardFactory(organization=acme, code="S1")
    team = factories.TeamFactory(organization=acme)
    return {
        "organization_update": lambda actor: services.organization_update(organization=acme, actor=actor, name="X"),
        "standard_create": lambda actor: services.standard_create(actor=actor, code="S9", title="Listen"),
        "standard_update": lambda actor: services.standard_update(standard=standard, actor=actor, title="Hacked"),
        "team_create": lambda actor: services.team_create(actor=actor, name="Night shift", managers=[bob]),
        "team_update": lambda actor: services.team_update(team=team, actor=actor, name="Renamed", managers=[bob]),
        "team_delete": lambda actor: services.team_delete(team=team, actor=actor),
        "membership_update": lambda actor: services.membership_update(
            membership=carol, actor=actor, role=Role.ADMIN, team=None, job_title="", can_author=False, is_active=True
        ),
        "invitations_import_csv": lambda actor: services.invitations_import_csv(
            actor=actor, data=b"email,name,role,team,time_zone\nmallory@example.com,,admin,,\n"
        ),
    }


def _acme_state(acme):
    acme.refresh_from_db()
    return (
        acme.name,
        sorted(ServiceStandard.objects.filter(organization=acme).values_list("code", "title")),
        sorted(Team.objects.filter(organization=acme).values_list("name", flat=True)),
        sorted(Membership.objects.filter(organization=acme).values_list("role", flat=True)),
        Invitation.objects.count(),
    )


ADMIN_ONLY = [
    "organization_update", "standard_create", "standard_update", "team_create", "team_update",
    "team_delete", "membership_update", "invitations_import_csv",
]
# Services that create in the actor's own organization have no Acme object to aim at: for charlie
# they would rightly write into Globex, so only lower roles and inactive members are tried on them.
CREATES_IN_OWN_ORGANIZATION = {"standard_create", "team_create", "invitations_import_csv"}


@pytest.mark.parametrize(
    ("name", "who"),
    [
        (name, who)
        for name in ADMIN_ONLY
        for who in ("charlie", "bob", "carol", "inactive admin")
        if not (who == "charlie" and name in CREATES_IN_OWN_ORGANIZATION)
    ],
)
def test_admin_services_refuse_other_organizations_and_lower_roles(acme, alice, bob, carol, charlie, name, who):
    # given
    call = _admin_only_calls(acme, bob, carol)[name]
    inactive_admin = factories.member(acme, Role.ADMIN, is_active=False)
    actor = {"charlie": charlie, "bob": bob, "carol": carol, "inactive admin": inactive_admin}[who]
    before = _acme_state(acme)
    # when / then
    with pytest.raises(NotPermitted):
        call(actor)
    assert _acme_state(acme) == before


def test_the_same_calls_succeed_for_an_admin(acme, alice, bob, carol):
    for name, call in _admin_only_calls(acme, bob, carol).items():
        call(alice)  # no NotPermitted
        assert name


def test_a_manager_invites_employees_into_the_teams_they_manage(acme, bob):
    front_desk = factories.TeamFactory(organization=acme, name="Front desk")
    front_desk.managers.add(bob)

    invitation = services.invitation_create(actor=bob, email="dave@example.com", team=front_desk)

    assert (invitation.role, invitation.team, invitation.invited_by) == (Role.EMPLOYEE, front_desk, bob.user)


@pytest.mark.parametrize(
    ("role", "team_name"),
    [(Role.ADMIN, "Front desk"), (Role.MANAGER, "Front desk"), (Role.EMPLOYEE, "Housekeeping"), (Role.EMPLOYEE, None)],
)
def test_a_manager_may_not_invite_another_role_or_into_another_team(acme, bob, role, team_name):
    front_desk = factories.TeamFactory(organization=acme, name="Front desk")
    front_desk.managers.add(bob)
    teams = {"Front desk": front_desk, "Housekeeping": factories.TeamFactory(organization=acme, name="Housekeeping")}

    with pytest.raises(NotPermitted):
        services.invitation_create(actor=bob, email="dave@example.com", role=role, team=teams.get(team_name))

    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["carol", "charlie"])
def test_employees_and_other_organizations_may_not_invite(acme, carol, charlie, who):
    actor = {"carol": carol, "charlie": charlie}[who]
    team = factories.TeamFactory(organization=acme)

    with pytest.raises((NotPermitted, ValidationError)):
        services.invitation_create(actor=actor, email="dave@example.com", team=team)

    assert not Invitation.objects.filter(organization=acme).exists()


@pytest.mark.parametrize("action", ["revoke", "resend"])
def test_revoke_and_resend_check_who_manages_the_invitation(acme, alice, bob, carol, charlie, action):
    front_desk = factories.TeamFactory(organization=acme, name="Front desk")
    front_desk.managers.add(bob)
    housekeeping = factories.TeamFactory(organization=acme, name="Housekeeping")
    theirs = factories.InvitationFactory(organization=acme, team=front_desk)
    not_theirs = factories.InvitationFactory(organization=acme, team=housekeeping)
    a_manager = factories.InvitationFactory(organization=acme, team=front_desk, role=Role.MANAGER)
    call = getattr(services, f"invitation_{action}")

    for actor, invitation in [(charlie, theirs), (carol, theirs), (bob, not_theirs), (bob, a_manager)]:
        token = invitation.token
        with pytest.raises(NotPermitted):
            call(invitation=invitation, actor=actor)
        invitation.refresh_from_db()
        assert (invitation.revoked_at, invitation.token) == (None, token)

    call(invitation=theirs, actor=bob)  # bob manages the front desk's employee invitations
    call(invitation=not_theirs, actor=alice)  # an admin manages every invitation of Acme


# --- Following an invitation link: invitation_open -----------------------------------------------


def test_invitation_open_outcomes(acme, alice, carol):
    dave_invitation = factories.InvitationFactory(organization=acme, email="dave@example.com")
    anonymous = AnonymousUser()

    assert services.invitation_open(token="no-such-token", user=anonymous).outcome == "unknown"
    assert services.invitation_open(token="", user=anonymous).outcome == "unknown"
    assert services.invitation_open(token=dave_invitation.token, user=anonymous).outcome == "sign_up"
    dave = factories.UserFactory(email="Dave@example.com")
    assert services.invitation_open(token=dave_invitation.token, user=anonymous).outcome == "sign_in"
    assert services.invitation_open(token=dave_invitation.token, user=carol.user).outcome == "wrong_user"
    assert not Membership.objects.filter(user=dave).exists()

    joined = services.invitation_open(token=dave_invitation.token, user=dave)
    again = services.invitation_open(token=dave_invitation.token, user=dave)

    assert (joined.outcome, joined.membership.organization, joined.membership.user) == ("joined", acme, dave)
    assert again.outcome == "member"
    assert Membership.objects.filter(user=dave).count() == 1
    # Someone else with the link after dave joined: used.
    used = services.invitation_open(token=dave_invitation.token, user=anonymous)
    assert (used.outcome, used.reason) == ("unusable", "accepted")


def test_invitation_open_of_a_revoked_invitation_is_unusable(acme, alice):
    invitation = factories.InvitationFactory(organization=acme, email="dave@example.com")
    services.invitation_revoke(invitation=invitation, actor=alice)
    dave = factories.UserFactory(email="dave@example.com")

    opening = services.invitation_open(token=invitation.token, user=dave)

    assert (opening.outcome, opening.reason) == ("unusable", "revoked")
    assert not Membership.objects.filter(user=dave).exists()
