"""Organization admin pages: who may use them, what they do, and their query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from organizations import services
from organizations.models import Membership, Organization, Role, ServiceStandard, ServiceStandardRevision, Team
from organizations.tenancy import CURRENT_ORGANIZATION_SESSION_KEY
from tests import factories
from tests.conftest import REQUEST_PATH_QUERIES, client_for

# The reminder policy as the settings form posts it unchanged (the defaults).
REMINDER_DEFAULTS = {
    "reminder_lead_days": "3", "escalate_after_days": "3", "skip_level_after_days": "7",
    "sending_window_start": "08:00", "sending_window_end": "18:00", "sending_weekdays": list("12345"),
    "daily_reminder_cap": "3",
}

ADMIN_PAGES = [
    ("organizations:settings", {}),
    ("organizations:organization_history", {}),
    ("organizations:standard_list", {}),
    ("organizations:standard_create", {}),
    ("organizations:standard_edit", {"standard_id": "standard"}),
    ("organizations:standard_history", {"standard_id": "standard"}),
    ("organizations:team_list", {}),
    ("organizations:team_create", {}),
    ("organizations:team_edit", {"team_id": "team"}),
    ("organizations:member_edit", {"membership_id": "membership"}),
]


@pytest.fixture
def acme_objects(acme, alice, bob, carol):
    standard = services.standard_create(actor=alice, code="S1", title="Greet")
    team = services.team_create(actor=alice, name="Front desk", managers=[bob])
    return {"standard": standard.pk, "team": team.pk, "membership": carol.pk}


def _url(name: str, kwargs: dict[str, str], objects: dict[str, int]) -> str:
    return reverse(name, kwargs={key: objects[value] for key, value in kwargs.items()})


# --- Role access --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), ADMIN_PAGES)
def test_admin_pages_open_for_an_admin(name, kwargs, alice, acme_objects):
    response = client_for(alice).get(_url(name, kwargs, acme_objects))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["bob", "carol"])
@pytest.mark.parametrize(("name", "kwargs"), ADMIN_PAGES)
def test_admin_pages_are_404_for_managers_and_employees(name, kwargs, persona, request, acme_objects):
    client = client_for(request.getfixturevalue(persona))
    url = _url(name, kwargs, acme_objects)

    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Taken over", "code": "X1", "title": "x", "order": 0}).status_code == 404


def test_an_employee_cannot_post_to_the_admin_actions(carol, acme_objects):
    client = client_for(carol)

    deactivate = client.post(
        reverse("organizations:standard_set_active", kwargs={"standard_id": acme_objects["standard"]}),
        {"is_active": "0"},
    )
    delete = client.post(reverse("organizations:team_delete", kwargs={"team_id": acme_objects["team"]}))

    assert (deactivate.status_code, delete.status_code) == (404, 404)
    assert ServiceStandard.objects.get(pk=acme_objects["standard"]).is_active
    assert Team.objects.filter(pk=acme_objects["team"]).exists()


def test_an_employee_has_no_people_page(carol):
    assert client_for(carol).get(reverse("organizations:member_list")).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(reverse("organizations:member_list"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- Organization settings ----------------------------------------------------------------------


def test_an_admin_edits_the_organization_settings(acme, alice):
    response = client_for(alice).post(
        reverse("organizations:settings"),
        {
            "name": "Acme Resorts",
            "vision": "Every guest leaves happier.",
            "customer_promise": "We own your problem.",
            "time_zone": "America/New_York",
            **REMINDER_DEFAULTS,
        },
        follow=True,
    )

    acme.refresh_from_db()
    assert (acme.name, acme.vision, acme.customer_promise, acme.time_zone) == (
        "Acme Resorts",
        "Every guest leaves happier.",
        "We own your problem.",
        "America/New_York",
    )
    assert "Organization settings saved." in response.content.decode()


def test_an_unknown_time_zone_is_a_form_error(acme, alice):
    response = client_for(alice).post(
        reverse("organizations:settings"), {"name": "Acme", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    acme.refresh_from_db()
    assert acme.name == "Acme Hotels"


def test_settings_fields_are_labelled_and_errors_are_tied_to_their_input(alice):
    response = client_for(alice).post(reverse("organizations:settings"), {"name": "", "time_zone": "UTC"})
    html = response.content.decode()

    for field in ("name", "vision", "customer_promise", "time_zone"):
        assert f'<label for="id_{field}"' in html
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'aria-invalid="true"' in html


# --- Service standards --------------------------------------------------------------------------


def test_an_admin_creates_a_standard_with_one_behavior_per_line(acme, alice):
    response = client_for(alice).post(
        reverse("organizations:standard_create"),
        {
            "code": "S1",
            "title": "Greet every guest",
            "description": "",
            "behaviors": "Makes eye contact\r\n\r\n  Says hello  \r\nSmiles\r\n",
            "order": "2",
        },
    )

    assert response.status_code == 302
    standard = ServiceStandard.objects.get(organization=acme)
    assert standard.behaviors == ["Makes eye contact", "Says hello", "Smiles"]
    assert standard.revisions.get().edited_by == alice.user


@pytest.mark.parametrize("order", ["2147483648", "10000", "99999999999999999999"])
def test_a_standard_order_over_the_maximum_is_a_form_error(acme, alice, order):
    # 2147483648 overflowed PostgreSQL's integer column: a 500.
    response = client_for(alice).post(
        reverse("organizations:standard_create"), {"code": "S1", "title": "Greet", "order": order}
    )

    assert response.status_code == 200
    assert "less than or equal to 9999" in response.context["form"].errors["order"][0]
    assert not ServiceStandard.objects.filter(organization=acme).exists()


def test_a_standard_order_at_the_maximum_is_saved(acme, alice):
    response = client_for(alice).post(
        reverse("organizations:standard_create"), {"code": "S1", "title": "Greet", "order": "9999"}
    )

    assert response.status_code == 302
    assert ServiceStandard.objects.get(organization=acme).order == 9999


def test_a_duplicate_code_is_a_clear_form_error(acme, alice):
    services.standard_create(actor=alice, code="S1", title="Greet")

    response = client_for(alice).post(
        reverse("organizations:standard_create"), {"code": "s1", "title": "Again", "order": "0"}
    )

    assert response.status_code == 200
    assert "already has the code" in response.context["form"].errors["code"][0]
    assert ServiceStandard.objects.filter(organization=acme).count() == 1


def test_renaming_a_standard_to_a_taken_code_is_a_form_error(acme, alice):
    services.standard_create(actor=alice, code="S1", title="Greet")
    second = services.standard_create(actor=alice, code="S2", title="Listen")

    response = client_for(alice).post(
        reverse("organizations:standard_edit", kwargs={"standard_id": second.pk}),
        {"code": "S1", "title": "Listen", "order": "0"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert ServiceStandard.objects.get(pk=second.pk).code == "S2"


def test_another_organization_may_use_the_same_code(acme, globex, alice, charlie):
    services.standard_create(actor=charlie, code="S1", title="Greet")

    response = client_for(alice).post(
        reverse("organizations:standard_create"), {"code": "S1", "title": "Greet", "order": "0"}
    )

    assert response.status_code == 302
    assert ServiceStandard.objects.filter(organization=acme, code="S1").exists()


def test_editing_a_standard_twice_shows_two_revisions_in_the_history(acme, alice):
    # given
    other_admin = factories.member(acme, Role.ADMIN, user__name="Dana Admin")
    standard = services.standard_create(
        actor=alice, code="S1", title="Greet", behaviors=["Smiles"]
    )
    edit_url = reverse("organizations:standard_edit", kwargs={"standard_id": standard.pk})

    # when
    client_for(alice).post(edit_url, {"code": "S1", "title": "Greet warmly", "behaviors": "Smiles", "order": "0"})
    client_for(other_admin).post(
        edit_url, {"code": "S1", "title": "Greet warmly", "behaviors": "Smiles\nWaves", "order": "0"}
    )
    response = client_for(alice).get(reverse("organizations:standard_history", kwargs={"standard_id": standard.pk}))

    # then
    assert [r.version for r in response.context["revisions"]] == [3, 2, 1]
    html = response.content.decode()
    assert "Dana Admin" in html and "Alice Admin" in html
    assert "<del>Greet</del>" in html and "<ins>Greet warmly</ins>" in html
    assert "<ins>Waves</ins>" in html
    assert 'class="diff"' in html


def test_saving_an_unchanged_standard_writes_no_revision(acme, alice):
    standard = services.standard_create(
        actor=alice, code="S1", title="Greet", behaviors=["Smiles"]
    )

    response = client_for(alice).post(
        reverse("organizations:standard_edit", kwargs={"standard_id": standard.pk}),
        {"code": "S1", "title": "Greet", "description": "", "behaviors": "Smiles\n", "order": "0"},
        follow=True,
    )

    assert ServiceStandardRevision.objects.filter(standard=standard).count() == 1
    assert "Nothing changed in S1." in response.content.decode()


def test_the_history_shows_times_in_the_viewers_time_zone(acme, alice):
    # given a revision made at 12:00 UTC, viewed by someone in New York (UTC-5 in January)
    alice.user.time_zone = "America/New_York"
    alice.user.save()
    standard = services.standard_create(actor=alice, code="S1", title="Greet")
    ServiceStandardRevision.objects.filter(standard=standard).update(
        edited_at=dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    )

    # when
    response = client_for(alice).get(reverse("organizations:standard_history", kwargs={"standard_id": standard.pk}))

    # then
    html = response.content.decode()
    assert "Jan 15, 2026, 07:00 EST" in html
    assert 'datetime="2026-01-15T07:00:00-05:00"' in html


def test_an_admin_deactivates_and_reactivates_a_standard(acme, alice):
    standard = services.standard_create(actor=alice, code="S1", title="Greet")
    url = reverse("organizations:standard_set_active", kwargs={"standard_id": standard.pk})
    client = client_for(alice)

    client.post(url, {"is_active": "0"})
    deactivated = ServiceStandard.objects.get(pk=standard.pk).is_active
    client.post(url, {"is_active": "1"})

    assert deactivated is False
    assert ServiceStandard.objects.get(pk=standard.pk).is_active is True
    assert standard.revisions.count() == 3


def test_set_active_answers_get_with_405(acme, alice):
    standard = services.standard_create(actor=alice, code="S1", title="Greet")

    response = client_for(alice).get(reverse("organizations:standard_set_active", kwargs={"standard_id": standard.pk}))

    assert response.status_code == 405


# --- Teams --------------------------------------------------------------------------------------


def test_an_admin_creates_a_team_with_managers(acme, alice, bob):
    response = client_for(alice).post(
        reverse("organizations:team_create"), {"name": "Front desk", "managers": [bob.pk, alice.pk]}
    )

    assert response.status_code == 302
    team = Team.objects.get(organization=acme)
    assert set(team.managers.all()) == {alice, bob}


def test_a_forged_manager_of_another_organization_is_a_form_error(acme, alice, bob, charlie):
    response = client_for(alice).post(
        reverse("organizations:team_create"), {"name": "Front desk", "managers": [bob.pk, charlie.pk]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["managers"]
    assert not Team.objects.filter(organization=acme).exists()


def test_an_employee_cannot_be_made_a_team_manager(acme, alice, carol):
    response = client_for(alice).post(
        reverse("organizations:team_create"), {"name": "Front desk", "managers": [carol.pk]}
    )

    assert response.context["form"].errors["managers"]


def test_the_manager_choices_show_only_the_organizations_managers_and_admins(alice, bob, carol, charlie):
    response = client_for(alice).get(reverse("organizations:team_create"))

    choices = set(response.context["form"].fields["managers"].queryset)
    assert choices == {alice, bob}


def test_a_duplicate_team_name_is_a_form_error(acme, alice, bob):
    services.team_create(actor=alice, name="Front desk", managers=[bob])

    response = client_for(alice).post(
        reverse("organizations:team_create"), {"name": "front desk", "managers": [bob.pk]}
    )

    assert response.status_code == 200
    assert "already has a team" in response.context["form"].errors["name"][0]


def test_an_admin_renames_a_team_and_changes_its_managers(acme, alice, bob):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob])

    client_for(alice).post(
        reverse("organizations:team_edit", kwargs={"team_id": team.pk}), {"name": "Reception", "managers": [alice.pk]}
    )

    team.refresh_from_db()
    assert team.name == "Reception"
    assert list(team.managers.all()) == [alice]


def test_an_admin_deletes_a_team_and_its_members_stay(acme, alice, bob, carol):
    team = services.team_create(actor=alice, name="Front desk", managers=[bob])
    carol.team = team
    carol.save()

    response = client_for(alice).post(reverse("organizations:team_delete", kwargs={"team_id": team.pk}))

    assert response.status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
    carol.refresh_from_db()
    assert carol.team is None


def test_deleting_another_organizations_team_is_404(globex, alice, charlie):
    team = services.team_create(actor=charlie, name="Front desk", managers=[charlie])

    response = client_for(alice).post(reverse("organizations:team_delete", kwargs={"team_id": team.pk}))

    assert response.status_code == 404
    assert Team.objects.filter(pk=team.pk).exists()


# --- People -------------------------------------------------------------------------------------


def test_a_manager_sees_only_their_teams_members_read_only(acme, alice, bob, carol):
    # given
    front_desk = services.team_create(actor=alice, name="Front desk", managers=[bob])
    kitchen = services.team_create(actor=alice, name="Kitchen", managers=[alice])
    carol.team = front_desk
    carol.save()
    factories.member(acme, Role.EMPLOYEE, team=kitchen, user__name="Dave Kitchen")

    # when
    response = client_for(bob).get(reverse("organizations:member_list"))

    # then
    html = response.content.decode()
    assert list(response.context["members"]) == [carol]
    assert "Carol Employee" in html and "Dave Kitchen" not in html
    assert "<h1>My team</h1>" in html
    assert reverse("organizations:member_edit", kwargs={"membership_id": carol.pk}) not in html


def test_an_admin_sees_everyone_with_edit_links(acme, alice, bob, carol, charlie):
    response = client_for(alice).get(reverse("organizations:member_list"))

    html = response.content.decode()
    assert set(response.context["members"]) == {alice, bob, carol}
    assert reverse("organizations:member_edit", kwargs={"membership_id": carol.pk}) in html
    assert "Charlie Other" not in html


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_the_people_page_links_to_invitations(persona, request):
    response = client_for(request.getfixturevalue(persona)).get(reverse("organizations:member_list"))

    assert f'href="{reverse("organizations:invitation_list")}"' in response.content.decode()


def test_an_admin_edits_a_membership(acme, alice, carol):
    team = factories.TeamFactory(organization=acme)

    response = client_for(alice).post(
        reverse("organizations:member_edit", kwargs={"membership_id": carol.pk}),
        {"role": Role.MANAGER, "team": team.pk, "job_title": "Concierge", "can_author": "on", "is_active": "on"},
    )

    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.role, carol.team, carol.job_title, carol.can_author, carol.is_active) == (
        Role.MANAGER,
        team,
        "Concierge",
        True,
        True,
    )


def test_a_team_of_another_organization_is_a_form_error(globex, alice, carol):
    foreign_team = factories.TeamFactory(organization=globex)

    response = client_for(alice).post(
        reverse("organizations:member_edit", kwargs={"membership_id": carol.pk}),
        {"role": Role.EMPLOYEE, "team": foreign_team.pk, "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["team"]
    carol.refresh_from_db()
    assert carol.team is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": Role.MANAGER, "is_active": "on"}, "role"),
        ({"role": Role.ADMIN}, "is_active"),  # an unchecked box: deactivate
    ],
)
def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(data, field, alice, bob):
    response = client_for(alice).post(
        reverse("organizations:member_edit", kwargs={"membership_id": alice.pk}), data
    )

    assert response.status_code == 200
    assert "last active admin" in response.context["form"].errors[field][0]
    assert "last active admin" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.role, alice.is_active) == (Role.ADMIN, True)


def test_an_admin_may_step_down_when_another_admin_remains(acme, alice):
    factories.member(acme, Role.ADMIN)

    response = client_for(alice).post(
        reverse("organizations:member_edit", kwargs={"membership_id": alice.pk}),
        {"role": Role.MANAGER, "is_active": "on"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.MANAGER


def test_editing_another_organizations_membership_is_404(alice, charlie):
    url = reverse("organizations:member_edit", kwargs={"membership_id": charlie.pk})

    response = client_for(alice).post(url, {"role": Role.EMPLOYEE})

    assert response.status_code == 404
    charlie.refresh_from_db()
    assert charlie.role == Role.ADMIN


# --- Organization switcher ----------------------------------------------------------------------


@pytest.fixture
def alice_in_globex(globex, alice):
    return factories.MembershipFactory(user=alice.user, organization=globex, role=Role.EMPLOYEE)


def test_the_switcher_lists_the_persons_organizations_and_marks_the_current_one(alice, alice_in_globex):
    response = client_for(alice).get(reverse("organizations:switch"))

    html = response.content.decode()
    current = html[html.index('aria-current="true"') :]
    assert current.index("Acme Hotels") < current.index("Globex Stores")
    assert html.count('aria-current="true"') == 1
    assert "Switch to Globex Stores" in html and "Switch to Acme Hotels" not in html


def test_switching_changes_the_organization_the_person_acts_in(globex, alice, alice_in_globex):
    client = client_for(alice)

    response = client.post(reverse("organizations:switch"), {"organization": globex.pk})
    home = client.get(reverse("organizations:promise"))

    assert response.status_code == 302
    assert client.session[CURRENT_ORGANIZATION_SESSION_KEY] == globex.pk
    assert home.context["membership"] == alice_in_globex
    assert client.get(reverse("organizations:standard_list")).status_code == 404  # an employee in Globex


def test_switching_to_an_organization_one_is_not_a_member_of_is_404(globex, alice, charlie):
    client = client_for(alice)

    response = client.post(reverse("organizations:switch"), {"organization": globex.pk})

    assert response.status_code == 404
    assert CURRENT_ORGANIZATION_SESSION_KEY not in client.session


def test_switching_to_an_organization_where_one_was_deactivated_is_404(globex, alice):
    factories.MembershipFactory(user=alice.user, organization=globex, is_active=False)

    response = client_for(alice).post(reverse("organizations:switch"), {"organization": globex.pk})

    assert response.status_code == 404


def test_a_malformed_switch_is_404(alice):
    assert client_for(alice).post(reverse("organizations:switch"), {"organization": "acme"}).status_code == 404


# --- Query budget: constant as the data grows ---------------------------------------------------


def _grow_acme(acme: Organization, bob: Membership, size: int) -> None:
    """`size` employees in `size // 3 + 1` teams, all managed by bob and one more manager each."""
    teams = []
    for _ in range(size // 3 + 1):
        co_manager = factories.member(acme, Role.MANAGER)
        team = factories.TeamFactory(organization=acme)
        team.managers.add(bob, co_manager)
        teams.append(team)
    for index in range(size):
        factories.member(acme, Role.EMPLOYEE, team=teams[index % len(teams)], job_title=f"Agent {index}")
    for index in range(size):
        factories.ServiceStandardFactory(organization=acme, code=f"Q{index}")


# Measured: the user with the acting membership (middleware), then the page's own queries.
MEMBER_LIST_ADMIN_QUERIES = REQUEST_PATH_QUERIES + 3  # the page count, members with user and team, teams managed
MEMBER_LIST_MANAGER_QUERIES = REQUEST_PATH_QUERIES + 2  # the page count, members of bob's teams with user and team
STANDARD_LIST_QUERIES = REQUEST_PATH_QUERIES + 1  # standards
TEAM_LIST_QUERIES = REQUEST_PATH_QUERIES + 2  # teams with member counts, managers with their users


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(
    ("persona", "page", "expected_queries", "rows", "expected_rows"),
    [
        ("alice", "organizations:member_list", MEMBER_LIST_ADMIN_QUERIES, "members", lambda n: n + n // 3 + 3),
        ("bob", "organizations:member_list", MEMBER_LIST_MANAGER_QUERIES, "members", lambda n: n),
        ("alice", "organizations:standard_list", STANDARD_LIST_QUERIES, "standards", lambda n: n),
        ("alice", "organizations:team_list", TEAM_LIST_QUERIES, "teams", lambda n: n // 3 + 1),
    ],
)
def test_list_pages_use_a_constant_number_of_queries(
    persona, page, expected_queries, rows, expected_rows, size, request, acme, alice, bob, django_assert_num_queries
):
    # given
    _grow_acme(acme, bob, size)
    client = client_for(request.getfixturevalue(persona))
    url = reverse(page)

    # when / then
    with django_assert_num_queries(expected_queries):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context[rows]) == expected_rows(size)


@pytest.mark.parametrize("edits", [2, 20])
def test_the_history_page_uses_a_constant_number_of_queries(edits, acme, alice, django_assert_num_queries):
    # given a standard edited `edits` times by as many different admins
    standard = services.standard_create(actor=alice, code="S1", title="Greet")
    for index in range(edits):
        editor = factories.member(acme, Role.ADMIN)
        services.standard_update(standard=standard, actor=editor, title=f"Greet {index}")
    client = client_for(alice)
    url = reverse("organizations:standard_history", kwargs={"standard_id": standard.pk})

    # when / then: the request path, the standard, its revisions with their editors
    with django_assert_num_queries(REQUEST_PATH_QUERIES + 2):
        response = client.get(url)
    assert len(response.context["revisions"]) == edits + 1


@pytest.mark.parametrize("size", [3, 30])
def test_a_teams_page_uses_a_constant_number_of_queries(size, acme, alice, bob, django_assert_num_queries):
    # given a team of `size // 3 + 1`-ish members among `size` people
    _grow_acme(acme, bob, size)
    team = Team.objects.of_organization(acme.pk).order_by("pk").first()
    client = client_for(alice)
    url = reverse("organizations:team_edit", kwargs={"team_id": team.pk})

    # when / then: the request path; the team with its managers (2); manager choices;
    # the members with their users; the people who may be added, with their teams
    with django_assert_num_queries(REQUEST_PATH_QUERIES + 5):
        response = client.get(url)
    assert len(response.context["members"]) == team.members.count() > 0


# --- A team's members -----------------------------------------------------------------------------


@pytest.fixture
def front_desk(acme, alice):
    return services.team_create(actor=alice, name="Front desk", managers=[alice])


def test_a_teams_page_lists_its_members_and_adds_and_removes_people(acme, alice, carol, front_desk):
    client = client_for(alice)
    page = reverse("organizations:team_edit", kwargs={"team_id": front_desk.pk})
    assert "Nobody is in this team yet." in client.get(page).content.decode()

    # when: carol is added from the page's form
    response = client.post(
        reverse("organizations:team_member_add", kwargs={"team_id": front_desk.pk}),
        {"membership": carol.pk},
        follow=True,
    )

    # then
    carol.refresh_from_db()
    assert carol.team == front_desk
    html = response.content.decode()
    assert "Carol Employee is now in “Front desk”." in html
    assert [member.pk for member in response.context["members"]] == [carol.pk]
    assert carol.pk not in {choice.pk for choice in response.context["member_form"].fields["membership"].queryset}

    # when: removed again
    remove = reverse("organizations:team_member_remove", kwargs={"team_id": front_desk.pk, "membership_id": carol.pk})
    assert client.get(remove).status_code == 405
    response = client.post(remove, follow=True)
    carol.refresh_from_db()
    assert carol.team is None
    assert response.context["members"] == []


def test_another_organizations_person_cannot_be_added_or_removed(acme, alice, charlie, front_desk):
    client = client_for(alice)

    added = client.post(
        reverse("organizations:team_member_add", kwargs={"team_id": front_desk.pk}), {"membership": charlie.pk}
    )
    removed = client.post(
        reverse("organizations:team_member_remove", kwargs={"team_id": front_desk.pk, "membership_id": charlie.pk})
    )

    assert added.status_code == 200 and added.context["member_form"].errors["membership"]
    assert removed.status_code == 404
    charlie.refresh_from_db()
    assert charlie.team is None


def test_team_members_are_changed_by_admins_only(bob, carol, front_desk):
    add = reverse("organizations:team_member_add", kwargs={"team_id": front_desk.pk})
    remove = reverse("organizations:team_member_remove", kwargs={"team_id": front_desk.pk, "membership_id": carol.pk})
    for persona in (bob, carol):
        client = client_for(persona)
        assert client.post(add, {"membership": carol.pk}).status_code == 404
        assert client.post(remove).status_code == 404
    carol.refresh_from_db()
    assert carol.team is None


# --- History of the organization settings ----------------------------------------------------------


def test_saving_the_settings_records_the_vision_and_promise_in_the_history(acme, alice):
    client = client_for(alice)
    settings_page = client.get(reverse("organizations:settings")).content.decode()
    history_url = reverse("organizations:organization_history")
    assert f'href="{history_url}"' in settings_page

    client.post(
        reverse("organizations:settings"),
        {
            "name": acme.name,
            "vision": "Every guest leaves happier.",
            "customer_promise": acme.customer_promise,
            "time_zone": acme.time_zone,
            **REMINDER_DEFAULTS,
        },
    )
    unchanged = client.post(
        reverse("organizations:settings"),
        {
            "name": acme.name,
            "vision": "Every guest leaves happier.",
            "customer_promise": acme.customer_promise,
            "time_zone": acme.time_zone,
            **REMINDER_DEFAULTS,
        },
        follow=True,
    )
    assert "Nothing changed in the organization settings." in unchanged.content.decode()

    response = client.get(history_url)
    html = response.content.decode()
    [revision] = response.context["revisions"]
    assert revision.edited_by == alice.user
    assert [(change.label, change.after) for change in revision.changes] == [
        ("Vision statement", "Every guest leaves happier.")
    ]
    assert "<ins>Every guest leaves happier.</ins>" in html


def test_the_settings_history_shows_only_the_own_organizations_changes(acme, alice, globex, charlie):
    services.organization_update(organization=globex, actor=charlie, vision="Globex secret vision")

    response = client_for(alice).get(reverse("organizations:organization_history"))

    assert response.context["revisions"] == []
    assert "Globex secret vision" not in response.content.decode()
