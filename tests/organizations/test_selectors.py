"""Selectors of the organization admin pages: scoping to the acting membership."""

from __future__ import annotations

import pytest
from django.http import Http404

from organizations import selectors, services
from organizations.models import Role
from tests import factories


def test_an_admin_sees_everyone_in_the_organization_and_nobody_else(alice, bob, carol, charlie, acme):
    former = factories.member(acme, Role.EMPLOYEE, is_active=False)

    members = set(selectors.members_visible_to(membership=alice))

    assert members == {alice, bob, carol, former}


def test_a_manager_sees_only_the_active_members_of_the_teams_they_manage(acme, alice, bob, carol):
    # given bob manages the front desk, where carol works; dave works in the kitchen
    front_desk = services.team_create(actor=alice, name="Front desk", managers=[bob])
    kitchen = services.team_create(actor=alice, name="Kitchen", managers=[alice])
    carol.team = front_desk
    carol.save()
    factories.member(acme, Role.EMPLOYEE, team=kitchen)
    factories.member(acme, Role.EMPLOYEE, team=front_desk, is_active=False)
    factories.member(acme, Role.EMPLOYEE)  # no team at all

    # when
    members = list(selectors.members_visible_to(membership=bob))

    # then
    assert members == [carol]


def test_a_team_with_two_managers_lists_each_member_once(acme, alice, bob, carol):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob, alice])
    carol.team = team
    carol.save()

    assert list(selectors.members_visible_to(membership=bob)) == [carol]


def test_an_employee_sees_nobody(carol):
    assert list(selectors.members_visible_to(membership=carol)) == []


def test_another_organizations_objects_are_404(alice, globex, charlie):
    standard = factories.ServiceStandardFactory(organization=globex)
    team = factories.TeamFactory(organization=globex)

    with pytest.raises(Http404):
        selectors.standard_get(membership=alice, standard_id=standard.pk)
    with pytest.raises(Http404):
        selectors.team_get(membership=alice, team_id=team.pk)
    with pytest.raises(Http404):
        selectors.membership_get(membership=alice, membership_id=charlie.pk)


def test_team_manager_choices_are_the_organizations_active_managers_and_admins(acme, alice, bob, carol, charlie):
    factories.member(acme, Role.MANAGER, is_active=False)

    choices = set(selectors.team_manager_choices(membership=alice))

    assert choices == {alice, bob}


def test_team_choices_are_the_organizations_teams(acme, globex, alice):
    own = factories.TeamFactory(organization=acme)
    factories.TeamFactory(organization=globex)

    assert list(selectors.team_choices(membership=alice)) == [own]


def test_standard_history_lists_revisions_newest_first_with_field_changes(acme, alice):
    standard = services.standard_create(
        actor=alice, code="S1", title="Greet", behaviors=["Smiles", "Waves"]
    )
    services.standard_update(standard=standard, actor=alice, behaviors=["Smiles", "Says hello"])

    history = selectors.standard_history(membership=alice, standard=standard)

    assert [entry.version for entry in history] == [2, 1]
    [behaviors] = history[0].changes
    assert behaviors.is_list
    assert [(item.text, item.changed) for item in behaviors.before_items] == [("Smiles", False), ("Waves", True)]
    assert [(item.text, item.changed) for item in behaviors.after_items] == [
        ("Smiles", False),
        ("Says hello", True),
    ]
    assert [change.name for change in history[1].changes] == [
        "code",
        "title",
        "description",
        "behaviors",
        "order",
        "is_active",
    ]


def test_standard_history_shows_nothing_of_another_organizations_standard(globex, alice, charlie):
    standard = services.standard_create(actor=charlie, code="S1", title="Greet")

    assert selectors.standard_history(membership=alice, standard=standard) == []


def test_the_switcher_lists_only_the_persons_active_memberships(acme, globex, alice):
    factories.MembershipFactory(user=alice.user, organization=globex, role=Role.EMPLOYEE)
    third = factories.OrganizationFactory(name="Initech")
    factories.MembershipFactory(user=alice.user, organization=third, is_active=False)

    organizations = [m.organization for m in selectors.memberships_for_switcher(user=alice.user)]

    assert organizations == [acme, globex]


def test_switching_to_an_organization_without_an_active_membership_is_404(acme, globex, alice):
    inactive_org = factories.OrganizationFactory()
    factories.MembershipFactory(user=alice.user, organization=inactive_org, is_active=False)

    with pytest.raises(Http404):
        selectors.membership_for_switch(user=alice.user, organization_id=globex.pk)
    with pytest.raises(Http404):
        selectors.membership_for_switch(user=alice.user, organization_id=inactive_org.pk)
    assert selectors.membership_for_switch(user=alice.user, organization_id=acme.pk) == alice
